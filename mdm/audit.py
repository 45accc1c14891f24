"""Tamper evidence: every history row is chained by SHA-256 to the previous row of its record.

A row's hash is sha256(previous row's hash + the row's canonical content), where the content
is the row as the database holds it, as JSON, without the two hash columns and without null
members (so a nullable column added later leaves old rows' hashes valid). One chain per
record and history table, so writers of different records never wait on one global chain.

The database computes the chain itself, in a trigger, so no path (ORM saves, the bulk paths'
INSERT … SELECT, raw SQL) can write a history row outside it. On PostgreSQL a BEFORE INSERT
trigger fills both hash columns. Writers of one record are already serialized before they
write its history: every path updates the record's row first and holds that row lock to
commit, so the next writer's history row comes later, in history_id order too, and sees
the one before it (a lock per record here would exhaust the lock table in a bulk load).
Another trigger
rejects UPDATE and DELETE on history and change-feed tables unless the session set
`mdm.retention` (the pruning procedure, `manage.py prune_history`). SQLite, one writer at a
time, fills them in an AFTER INSERT trigger through the `mdm_sha256` function registered on
every connection; it has no append-only trigger.

`verify()` recomputes every chain with the same content expression and names the first
broken link; `checkpoint()` records the chain heads so an export of them, kept elsewhere,
proves later that no chain was rewritten as a whole.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connections, models, transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from mdm.models import AuditAnchor

CHAIN_FIELDS = ("history_prev_hash", "history_hash")
APPEND_ONLY_TABLES = ("mdm_changeevent", "mdm_auditcheckpoint", "mdm_auditprune", "mdm_auditanchor",
                      "mdm_declarationversion", "mdm_declarationuse")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@receiver(connection_created)
def _register_sqlite_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("mdm_sha256", 1, sha256_hex, deterministic=True)


def history_models() -> list[type[models.Model]]:
    """Every history model that carries the chain (the historical models of tracked models)."""
    return [m for m in apps.get_models() if all(hasattr(m, f) for f in CHAIN_FIELDS)
            and m._meta.db_table.startswith(m._meta.app_label + "_historical")]


def _columns(connection, table: str) -> list[str]:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, table)
    return sorted(c.name for c in described if c.name not in CHAIN_FIELDS)


def content_sql(connection, table: str, alias: str = "t") -> str:
    """The SQL expression of a row's canonical content (text), over `alias`'s columns
    (SQLite: no alias, "", inside a trigger's UPDATE)."""
    if connection.vendor == "postgresql":
        return f"(jsonb_strip_nulls(to_jsonb({alias})) - 'history_hash' - 'history_prev_hash')::text"
    qn = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    members = ", ".join(f"'{c}', {prefix}{qn(c)}" for c in _columns(connection, table))
    # json_patch drops null members, as jsonb_strip_nulls does
    return f"json_patch('{{}}', json_object({members}))"


def key_column(model: type[models.Model]) -> str:
    return model._meta.get_field(model.instance_type._meta.pk.name).column


# One function per history table, its SQL static so PL/pgSQL keeps the plan. The previous
# row is read through the chain index on (record key, history_id) whatever the statistics
# say: without statistics (a bulk load into a fresh table) the planner scanned the table
# per row, and with the key's own index only it walked the primary key backwards from the
# newest row, both quadratic (5 ms a row at 20k records). A created row ("+") is its
# record's first, with nothing before it. The content is the text content_sql gives,
# written out column by column (see _pg_new_content).
_PG_CHAIN_FUNCTION = """
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql SET timezone = 'UTC' SET enable_seqscan = off AS $$
DECLARE
    previous text;
BEGIN
    IF NEW.history_type <> '+' THEN
        SELECT history_hash INTO previous FROM {table} WHERE {key} = NEW.{key}
        ORDER BY {key} DESC, history_id DESC LIMIT 1;
    END IF;
    NEW.history_prev_hash := coalesce(previous, '');
    NEW.history_hash := encode(sha256(convert_to(NEW.history_prev_hash || {content}, 'UTF8')), 'hex');
    RETURN NEW;
END $$;
"""
_PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION mdm_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('mdm.retention', true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'history is pruned only by manage.py prune_history';
END $$;
"""
_PG_SCALARS = {"smallint", "integer", "bigint", "boolean", "uuid", "date", "numeric", "double precision", "real",
               "timestamp with time zone", "timestamp without time zone"}


def _pg_new_content(cursor, qn, table: str) -> str:
    """content_sql's text for the row NEW of `table`, built member by member: the same text
    (jsonb prints an object's members shortest key first, then by bytes; null members
    left out) for a quarter less of the trigger's cost than to_jsonb(NEW), which copies
    the whole row, nested JSON included, into a jsonb, strips it and removes the hash columns. Made from the table's
    columns when the trigger is (re)made, after every migrate: a column added by hand
    later is left out of new rows' hashes, which verify() then reports."""
    cursor.execute("SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                   "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", [qn(table)])
    columns = sorted(((name, kind) for name, kind in cursor.fetchall() if name not in CHAIN_FIELDS),
                     key=lambda c: (len(c[0].encode()), c[0].encode()))
    members = []
    for name, kind in columns:
        value = f'NEW."{name}"'
        if kind in ("text", "character varying"):
            text = f"to_json({value})::text"
        elif kind in _PG_SCALARS:
            text = f"to_jsonb({value})::text"
        else:  # jsonb, json, arrays: their own null members stripped; a JSON null is left out
            text = f"nullif(jsonb_strip_nulls(to_jsonb({value}))::text, 'null')"
        key = json.dumps(name, ensure_ascii=False).replace("'", "''")
        members.append(f"'{key}: ' || {text}")
    # concat_ws leaves out the members that are NULL
    return "('{' || concat_ws(', ', " + ", ".join(members) + ") || '}')"


def chain_index(table: str) -> str:
    """PostgreSQL's index the chain reads a record's last row through (SQLite's index on the
    key already ends with the rowid, history_id)."""
    return f"mdm_chain_{table}"


def pg_chain_sql(cursor, qn, table: str, key: str) -> list[str]:
    """PostgreSQL statements that (re)make `table`'s chain: its index, function and trigger."""
    trigger = function = qn(f"mdm_chain_{table}")
    return [
        f"DROP TRIGGER IF EXISTS {trigger} ON {qn(table)}",
        # only when missing: even CREATE INDEX IF NOT EXISTS is refused in a transaction that
        # has pending deferred constraint checks on the table (a migrate inside a test's one)
        f"DO $$ BEGIN IF to_regclass('{qn(chain_index(table))}') IS NULL THEN "
        f"CREATE INDEX {qn(chain_index(table))} ON {qn(table)} ({qn(key)}, history_id); END IF; END $$",
        _PG_CHAIN_FUNCTION.format(function=function, table=qn(table), key=qn(key),
                                  content=_pg_new_content(cursor, qn, table)),
        f"CREATE TRIGGER {trigger} BEFORE INSERT ON {qn(table)} FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]


def install(using: str = "default") -> None:
    """(Re)create the chain and append-only triggers on every history table: idempotent,
    run after every migrate (a new history table, or a new column, gets them at once)."""
    connection = connections[using]
    qn = connection.ops.quote_name
    tables = set(connection.introspection.table_names())
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_APPEND_ONLY)
        for model in history_models():
            table = model._meta.db_table
            if table not in tables:
                continue
            trigger = qn(f"mdm_chain_{table}")
            if connection.vendor == "postgresql":
                for sql in pg_chain_sql(cursor, qn, table, key_column(model)):
                    cursor.execute(sql)
                _append_only(cursor, qn, table)
            else:
                key = qn(key_column(model))
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                cursor.execute(
                    f"CREATE TRIGGER {trigger} AFTER INSERT ON {qn(table)} BEGIN "
                    f"UPDATE {qn(table)} SET history_prev_hash = coalesce((SELECT p.history_hash "
                    f"FROM {qn(table)} p WHERE p.{key} = NEW.{key} AND p.history_id < NEW.history_id "
                    f"ORDER BY p.{key} DESC, p.history_id DESC LIMIT 1), '') WHERE history_id = NEW.history_id; "
                    f"UPDATE {qn(table)} SET history_hash = mdm_sha256(history_prev_hash || "
                    f"{content_sql(connection, table, alias='')}) WHERE history_id = NEW.history_id; END"
                )
        if connection.vendor == "postgresql":
            for table in APPEND_ONLY_TABLES:
                if table in tables:
                    _append_only(cursor, qn, table)


def install_after_migrate(using: str, plan=None, **kwargs) -> None:
    """After `migrate` (once: connected for this app, whose signal comes after every app's
    migrations ran). A flush sends the signal too, without a plan: its tables keep their
    triggers, so nothing is done (tests flush after every transactional test)."""
    if plan is not None:
        install(using)


def rechain(connection, table: str, key: str = "id") -> int:
    """Compute the chain of every row of a history table from scratch, in chain order: for
    the migration that introduced the chain (rows written before it). Returns the rows."""
    qn = connection.ops.quote_name
    done, head, current = 0, "", None
    updates = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.history_id, t.{qn(key)}, {content_sql(connection, table)} "
                       f"FROM {qn(table)} t ORDER BY t.{qn(key)}, t.history_id")
        rows = cursor.fetchall()
        for history_id, key_value, content in rows:
            if key_value != current:
                head, current = "", key_value
            prev, head = head, sha256_hex(head + content)
            updates.append((prev, head, history_id))
        for start in range(0, len(updates), 1000):
            cursor.executemany(f"UPDATE {qn(table)} SET history_prev_hash = %s, history_hash = %s "
                               f"WHERE history_id = %s", updates[start:start + 1000])
            done += len(updates[start:start + 1000])
    return done


def _append_only(cursor, qn, table: str) -> None:
    trigger = qn(f"mdm_append_only_{table}")
    cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {qn(table)}")
    cursor.execute(f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {qn(table)} "
                   f"FOR EACH ROW EXECUTE FUNCTION mdm_append_only()")


@dataclass(frozen=True)
class Link:
    """One history row as the chain sees it."""

    table: str
    history_id: int
    key: str
    prev_hash: str
    hash: str
    content: str


def _links(connection, table: str, key: str, after_id: int = 0) -> Iterator[Link]:
    qn = connection.ops.quote_name
    sql = (f"SELECT t.history_id, t.{qn(key)}, t.history_prev_hash, t.history_hash, "
           f"{content_sql(connection, table)} FROM {qn(table)} t "
           f"ORDER BY t.{qn(key)}, t.history_id")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute(sql)
        while rows := cursor.fetchmany(2000):
            for history_id, key_value, prev_hash, hash_, content in rows:
                yield Link(table, history_id, str(key_value), prev_hash, hash_, content)


@dataclass(frozen=True)
class Break:
    """The first link of a chain that does not hold, and why."""

    table: str
    history_id: int
    key: str
    problem: str

    def __str__(self) -> str:
        return f"{self.table} history_id={self.history_id} (record {self.key}): {self.problem}"


Heads = dict[str, dict[str, tuple[int, str]]]  # table -> record key -> (history_id, hash)


def chain_heads(using: str = "default") -> tuple[Heads, list[Break]]:
    """Walk every chain: (each chain's last intact link, the first break of each broken chain)."""
    connection = connections[using]
    heads: Heads = {}
    breaks: list[Break] = []
    for model in history_models():
        table, key = model._meta.db_table, key_column(model)
        table_heads = heads.setdefault(table, {})
        starts = _pruned_starts(connection, table)
        broken: set[str] = set()
        for link in _links(connection, table, key):
            if link.key in broken:
                continue
            if link.key in table_heads:
                valid = {table_heads[link.key][1]}
            else:  # a chain starts empty, or where the retention procedure recorded it now starts
                valid = {"", *starts.get(link.key, ())}
            problem = None
            if link.prev_hash not in valid:
                problem = "its previous-hash does not match the row before it (a row was removed or reordered)"
            elif link.hash != sha256_hex(link.prev_hash + link.content):
                problem = "its content does not match its hash (the row was altered)"
            if problem:
                breaks.append(Break(table, link.history_id, link.key, problem))
                broken.add(link.key)
                continue
            table_heads[link.key] = (link.history_id, link.hash)
    return heads, breaks


def _pruned_starts(connection, table: str) -> dict[str, set[str]]:
    starts: dict[str, set[str]] = {}
    for key, prev_hash in AuditAnchor.objects.using(connection.alias).filter(table=table).values_list(
            "key", "prev_hash"):
        starts.setdefault(key, set()).add(prev_hash)
    return starts


def history_row_count(using: str = "default") -> int:
    return sum(m.objects.using(using).count() for m in history_models())


def heads_digest(heads: Heads) -> str:
    """One hash over every chain head: what a checkpoint or an export manifest carries."""
    text = "\n".join(f"{table}\t{key}\t{history_id}\t{head}" for table in sorted(heads)
                     for key, (history_id, head) in sorted(heads[table].items()))
    return sha256_hex(text)


def missing_heads(heads: Heads, using: str = "default") -> list[Break]:
    """The heads of an earlier checkpoint that are no longer in the history as recorded:
    with every chain intact, a head that is gone or changed means a chain was rewritten
    or cut back from its end."""
    connection = connections[using]
    qn = connection.ops.quote_name
    gone = []
    with connection.cursor() as cursor:
        for table, table_heads in sorted(heads.items()):
            for key, (history_id, head) in sorted(table_heads.items()):
                cursor.execute(f"SELECT history_hash FROM {qn(table)} WHERE history_id = %s", [history_id])
                row = cursor.fetchone()
                if row is None or row[0] != head:
                    problem = "is gone" if row is None else "no longer has the hash a checkpoint recorded"
                    gone.append(Break(table, history_id, key, f"a checkpointed chain head {problem}"))
    return gone
