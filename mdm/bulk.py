"""Bulk inserts and updates with their history rows, fast on both databases.

Rows are plain dicts (attname -> value), not model instances, which a large load cannot
afford. Each row is converted to database values once and written with COPY on PostgreSQL
or executemany on SQLite. History rows are then copied from the table by the database
itself (INSERT ... SELECT over the written primary keys, in the order given), so the wide
columns of a row (JSON payloads) are never read back into Python, encoded twice or sent
twice, and a history row holds exactly what the table holds. Primary keys are drawn
before the insert, so callers know them. Use these only through mdm.history, which stamps
the history rows with the acting Change.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import contains, itemgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

Row = dict[str, Any]
_dumps = json.JSONEncoder(ensure_ascii=False).encode
WRITE_CHUNK = 20_000  # rows converted and sent at a time: bounds the memory of a large write
_temp_names = itertools.count()


class JSONText(str):
    """A JSON value already encoded, written as it is: a plan holding the lineage of half
    a million golden records holds it this way, in a fraction of the dicts' memory."""

    @classmethod
    def of(cls, value: Any) -> JSONText:
        return cls(_dumps(value))


def as_row(obj: models.Model) -> Row:
    """A model instance as a row (attname -> value), for code that holds instances."""
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def insert(model: type[models.Model], rows: Sequence[Row], *, with_pks: bool = True,
           common: Row | None = None) -> list[Row]:
    """Insert rows (attname -> value; a field a row lacks takes its value from `common`,
    else its default: values every row shares need not be held a million times). Rows
    without a primary key get one, set in the row. Returns the rows (with their primary
    keys). Without `with_pks`, the database numbers the rows itself and the caller never
    sees their keys (derived rows: millions of keys drawn one by one cost a minute)."""
    if not rows:
        return []
    conn = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    pk = meta.pk.attname
    if with_pks:
        _assign_pks(conn, model, [row for row in rows if row.get(pk) is None])
        fields = meta.concrete_fields
    else:
        fields = [f for f in meta.concrete_fields if f.attname != pk]
    defaults = {**{f.attname: f.get_default() for f in fields if f.attname != pk}, **(common or {})}
    for start in range(0, len(rows), WRITE_CHUNK):
        values = _values(conn, fields, rows[start : start + WRITE_CHUNK], defaults)
        _write(conn, meta.db_table, [f.column for f in fields], values)
    return list(rows)


def update(model: type[models.Model], rows: Sequence[Row], names: list[str], stamp: dict[str, Any]) -> None:
    """Write the fields `names` of rows matched by primary key (a row needs its primary key
    and those fields; others are not read), and one history row each, as insert_history
    does. On PostgreSQL in one statement: the updated rows go from the UPDATE's RETURNING
    straight into the history table, rather than being looked up again by primary key."""
    if not rows:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    qn = conn.ops.quote_name
    fields = [meta.get_field(name) for name in names]
    pk = qn(meta.pk.column)
    if conn.vendor != "postgresql":
        assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        with conn.cursor() as cursor:
            for start in range(0, len(rows), WRITE_CHUNK):
                cursor.executemany(
                    f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {pk} = %s",
                    _values(conn, [*fields, meta.pk], rows[start : start + WRITE_CHUNK]),
                )
        insert_history(model, rows, stamp)
        return
    temp = f"mdm_bulk_update_{next(_temp_names)}"
    columns = [meta.pk, *fields]
    targets, sources, params = _history_columns(conn, model, stamp)
    assignments = ", ".join(f"{qn(f.column)} = u.{qn(f.column)}" for f in fields)
    with conn.cursor() as cursor:
        # the rows' order given, as a column: the history rows are inserted in it
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT "
            f"{', '.join(qn(f.column) for f in columns)}, 0::bigint AS mdm_order FROM {qn(meta.db_table)} WITH NO DATA"
        )
        for start in range(0, len(rows), WRITE_CHUNK):
            chunk = rows[start : start + WRITE_CHUNK]
            values = _values(conn, columns, chunk)
            _write(conn, temp, [*(f.column for f in columns), "mdm_order"],
                   [(*v, start + i) for i, v in enumerate(values)])
        returned = ", ".join(f"t.{qn(column)}" for column in dict.fromkeys(sources))
        cursor.execute(
            f"WITH changed AS (UPDATE {qn(meta.db_table)} t SET {assignments} FROM {temp} u "
            f"WHERE t.{pk} = u.{pk} RETURNING {returned}, u.mdm_order) "
            f"INSERT INTO {qn(model.history.model._meta.db_table)} ({targets}) "
            f"SELECT {', '.join([*(f'c.{qn(column)}' for column in sources), *(['%s'] * len(params))])} "
            f"FROM changed c ORDER BY c.mdm_order",
            params,
        )
        cursor.execute(f"DROP TABLE {temp}")


def insert_history(model: type[models.Model], rows: Sequence[Row], stamp: dict[str, Any]) -> None:
    """One history row per row (by its primary key, in the order given): the row's values
    as the table holds them now, plus the stamp (type, date, actor...). Copied inside the
    database: no value of the row travels back through Python."""
    if not rows:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    qn = conn.ops.quote_name
    targets, sources, params = _history_columns(conn, model, stamp)
    values = ", ".join([*(f"t.{qn(column)}" for column in sources), *(["%s"] * len(params))])
    pks = [row[meta.pk.attname] for row in rows]
    pk = qn(meta.pk.column)
    if conn.vendor == "postgresql":
        keys = f"unnest(%s::{meta.pk.rel_db_type(conn)}[]) WITH ORDINALITY AS k(pk, n)"
        pk_ref, order, pk_param = "k.pk", "k.n", pks
    else:  # json_each: one parameter for any number of keys, "key" is the array index
        keys = "json_each(%s) AS k"
        pk_ref, order, pk_param = "k.value", "k.key", json.dumps(pks)
    with conn.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(model.history.model._meta.db_table)} ({targets}) SELECT {values} "
            f"FROM {keys} JOIN {qn(meta.db_table)} t ON t.{pk} = {pk_ref} ORDER BY {order}",
            [*params, pk_param],
        )


def _history_columns(conn, model: type[models.Model], stamp: dict[str, Any]) -> tuple[str, list[str], list[Any]]:
    """A history row's columns (the target list), the table's columns their values come
    from, then the stamp's values (database values) for the stamped rest."""
    qn = conn.ops.quote_name
    # the hash chain's columns are the database's to fill (mdm.audit)
    fields = [f for f in model.history.model._meta.concrete_fields
              if f.attname not in ("history_id", "history_prev_hash", "history_hash")]
    stamped = [f for f in fields if f.attname in stamp]
    tracked = [f for f in fields if f.attname not in stamp]
    source = {f.attname: f.column for f in model._meta.concrete_fields}
    targets = ", ".join(qn(f.column) for f in [*tracked, *stamped])
    return targets, [source[f.attname] for f in tracked], [_converter(f, conn)(stamp[f.attname]) for f in stamped]


def _assign_pks(conn, model: type[models.Model], rows: Sequence[Row]) -> None:
    if not rows:
        return
    meta = model._meta
    qn = conn.ops.quote_name
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            pks = [pk for (pk,) in cursor.fetchall()]
        else:
            # The caller's transaction holds SQLite's write lock (IMMEDIATE mode), so no other
            # writer can take these ids; explicit ids also advance AUTOINCREMENT's counter.
            cursor.execute(
                f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
                f"COALESCE((SELECT MAX({qn(meta.pk.column)}) FROM {qn(meta.db_table)}), 0))",
                [meta.db_table],
            )
            first = cursor.fetchone()[0] + 1
            pks = range(first, first + len(rows))
    for row, pk in zip(rows, pks, strict=True):
        row[meta.pk.attname] = pk


def _values(conn, fields, rows: Sequence[Row], defaults: Row | None = None) -> list[Sequence[Any]]:
    """Database values of `fields` of each row, in field order; a field a row lacks takes
    its value from `defaults` (else it is an error). Built a column at a time: a column of
    plain values (the key index's millions of rows) is picked in C, and only the others
    go through their field's conversion. A value no row has (the `common` of a large
    insert) is converted once."""
    columns = []
    for field in fields:
        name, convert = field.attname, _converter(field, conn)
        if defaults is not None and name in defaults and not any(map(contains, rows, repeat(name))):
            columns.append([convert(defaults[name])] * len(rows))
            continue
        if defaults is not None and name in defaults:
            default = defaults[name]
            column = [row.get(name, default) for row in rows]
        else:
            column = list(map(itemgetter(name), rows))
        columns.append(column if convert is _same else list(map(convert, column)))
    return list(zip(*columns, strict=True))


def _same(value: Any) -> Any:
    return value


def _converter(field: models.Field, conn) -> Callable[[Any], Any]:
    if isinstance(field, models.ForeignKey):  # written as the key it refers to
        field = field.target_field
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        if encoder is None:
            return lambda value: value if isinstance(value, JSONText) else _dumps(value)
        return lambda value: (
            value if isinstance(value, JSONText) else json.dumps(value, ensure_ascii=False, cls=encoder)
        )
    if isinstance(field, (models.IntegerField, models.CharField, models.TextField, models.BooleanField)):
        return _same
    last: list[Any] = [object(), None]

    def convert(value: Any) -> Any:
        # A batch shares one timestamp and operation id: convert each distinct value once.
        if value is not last[0]:
            last[0], last[1] = value, field.get_db_prep_save(value, conn)
        return last[1]

    return convert


def _write(conn, table: str, names: list[str], values: list[Sequence[Any]]) -> None:
    if not values:
        return
    qn = conn.ops.quote_name
    columns = ", ".join(qn(name) for name in names)
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {qn(table)} ({columns}) VALUES ({marks})", values)
