"""Bulk inserts and updates with their history rows, fast on both databases.

Rows are plain dicts (attname -> value), not model instances, which a large load cannot
afford. Each row is converted to database values once and written with COPY on PostgreSQL
or executemany on SQLite; the same values then make its history row, so a bulk load costs
little more than the load itself. Primary keys are drawn before the insert, so callers
(and history rows) know them. Use these only through mdm.history, which stamps
the history rows with the acting Change.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

Row = dict[str, Any]
_temp_names = itertools.count()


def as_row(obj: models.Model) -> Row:
    """A model instance as a row (attname -> value), for code that holds instances."""
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def insert(model: type[models.Model], rows: Sequence[Row]) -> list[Row]:
    """Insert rows (attname -> value; missing fields take their defaults). Rows without a
    primary key get one, set in the row. Returns the rows as written (database values)."""
    conn = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    pk = meta.pk.attname
    _assign_pks(conn, model, [row for row in rows if row.get(pk) is None])
    fields = meta.concrete_fields
    defaults = {f.attname: f.get_default() for f in fields if f.attname != pk}
    written = _convert(conn, fields, [{**defaults, **row} for row in rows])
    _write(conn, meta.db_table, fields, written)
    return written


def update(model: type[models.Model], rows: Sequence[Row], names: list[str]) -> list[Row]:
    """Write `names` of complete rows (matched by primary key); returns them as written."""
    conn = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    qn = conn.ops.quote_name
    written = _convert(conn, meta.concrete_fields, rows)
    fields = [meta.get_field(name) for name in names]
    pk = qn(meta.pk.column)
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            temp = f"mdm_bulk_update_{next(_temp_names)}"
            columns = ", ".join(qn(f.column) for f in [meta.pk, *fields])
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
                f"SELECT {columns} FROM {qn(meta.db_table)} WITH NO DATA"
            )
            _write(conn, temp, [meta.pk, *fields], written)
            assignments = ", ".join(f"{qn(f.column)} = u.{qn(f.column)}" for f in fields)
            cursor.execute(
                f"UPDATE {qn(meta.db_table)} t SET {assignments} FROM {temp} u WHERE t.{pk} = u.{pk}"
            )
            cursor.execute(f"DROP TABLE {temp}")
        else:
            assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
            cursor.executemany(
                f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {pk} = %s",
                [[row[f.attname] for f in fields] + [row[meta.pk.attname]] for row in written],
            )
    return written


def insert_history(model: type[models.Model], rows: list[Row], stamp: dict[str, Any]) -> None:
    """One history row per written row: the row's values plus the stamp (type, date, actor...)."""
    conn = connections[DEFAULT_DB_ALIAS]
    history = model.history.model._meta
    fields = [f for f in history.concrete_fields if f.attname != "history_id"]
    stamped = {f.attname: _converter(f, conn)(stamp[f.attname]) for f in fields if f.attname in stamp}
    tracked = [f.attname for f in fields if f.attname not in stamped]
    history_rows = [{**stamped, **{name: row[name] for name in tracked}} for row in rows]
    _write(conn, history.db_table, fields, history_rows)


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
    for row, pk in zip(rows, pks):
        row[meta.pk.attname] = pk


def _convert(conn, fields, rows: Sequence[Row]) -> list[Row]:
    converters = [(f.attname, _converter(f, conn)) for f in fields]
    return [{name: convert(row[name]) for name, convert in converters} for row in rows]


def _converter(field: models.Field, conn) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: json.dumps(value, ensure_ascii=False, cls=encoder)
    if isinstance(field, (models.IntegerField, models.CharField, models.TextField, models.BooleanField)):
        return lambda value: value
    last: list[Any] = [object(), None]

    def convert(value: Any) -> Any:
        # A batch shares one timestamp and operation id: convert each distinct value once.
        if value is not last[0]:
            last[0], last[1] = value, field.get_db_prep_save(value, conn)
        return last[1]

    return convert


def _write(conn, table: str, fields, rows: list[Row]) -> None:
    if not rows:
        return
    qn = conn.ops.quote_name
    names = [f.attname for f in fields]
    columns = ", ".join(qn(f.column) for f in fields)
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[name] for name in names])
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {qn(table)} ({columns}) VALUES ({marks})",
                [[row[name] for name in names] for row in rows],
            )
