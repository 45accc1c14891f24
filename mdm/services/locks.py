"""The locks writers take, and the one order they take them in.

Every writer of a domain takes, in this order and before it reads what it will change:
the source systems it writes records of (by pk), the domain's golden-record lock, and
last, when it appends change events, the feed counter. One order, so two writers never
wait for each other in a circle.

The counter and lock rows are touched by every write, real-time matching's too: they are
written in plain SQL, because the ORM takes longer to compile these statements than the
database takes to run them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, models

from mdm.domains import get_domain
from mdm.models import GoldenIdSequence, SourceSystem

ALL_SYSTEMS = None  # domain_write_lock(systems=ALL_SYSTEMS): a writer that may touch any system's records


def domain_write_lock(domain: str, *, systems: Iterable[int] | None = ()) -> None:
    """Lock what a writer of `domain` needs until the transaction ends: the source systems
    `systems` (pks; ALL_SYSTEMS for every one: a match run), then the domain's golden
    records. An import holds its system's lock while it writes, so nothing moves its
    records between its read and its write."""
    query = SourceSystem.objects.select_for_update().order_by("pk")
    if systems is not ALL_SYSTEMS:
        pks = sorted(set(systems))
        query = query.filter(pk__in=pks) if pks else query.none()
    list(query.values_list("pk", flat=True))
    golden_domain_lock(domain)


def golden_domain_lock(domain: str) -> None:
    """Serialize the writers of one domain's golden records (match runs, steward actions)
    until commit. The lock is the domain's golden-ID sequence row."""
    get_domain(domain)
    row_lock(GoldenIdSequence, domain=domain, category="")


def _where(**where: Any) -> tuple[str, list[Any]]:
    qn = connection.ops.quote_name
    return " AND ".join(f"{qn(name)} = %s" for name in where), list(where.values())


def advance(model: type[models.Model], column: str, count: int, **where: Any) -> int:
    """Add `count` to a counter column of the row `where` selects (made when missing: a
    migration makes the rows, a flushed database lacks them) and return its new value. The
    update locks the row until the transaction ends."""
    qn = connection.ops.quote_name
    table, col = qn(model._meta.db_table), qn(column)
    condition, params = _where(**where)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {col} = {col} + %s WHERE {condition}", [count, *params])
        if cursor.rowcount == 0:
            model.objects.get_or_create(**where)
            cursor.execute(f"UPDATE {table} SET {col} = {col} + %s WHERE {condition}", [count, *params])
        cursor.execute(f"SELECT {col} FROM {table} WHERE {condition}", params)
        return cursor.fetchone()[0]


def row_lock(model: type[models.Model], **where: Any) -> None:
    """Lock the row `where` selects until the transaction ends (made when missing). On
    SQLite the transaction itself holds the database's write lock from its start."""
    qn = connection.ops.quote_name
    condition, params = _where(**where)
    sql = f"SELECT 1 FROM {qn(model._meta.db_table)} WHERE {condition}"
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.fetchone() is None:
            model.objects.get_or_create(**where)
            cursor.execute(sql, params)
