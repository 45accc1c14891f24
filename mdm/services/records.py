"""Source records: what the systems sent, upserted and versioned with history.

A record's content hash covers what its source said, so re-loading unchanged data writes
nothing; a changed record gets exactly one new version; the golden records of changed
records are recomputed in the same transaction. A record standardized by older code
(mdm.ingest.freshness) whose values now read differently gets a version of its own when
it is read again (source_records_restandardized), whether the same row came again or
`manage.py restandardize` read its stored `raw`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from mdm import bulk, history
from mdm.content import content_hash
from mdm.domains import get_domain
from mdm.history import Change
from mdm.ingest.workers import json_text
from mdm.models import GoldenRecord, PairConstraint, SourceRecord, SourceSystem
from mdm.services.feed import append_events, source_event
from mdm.services.golden_records import golden_records_refresh, source_records_assign
from mdm.services.locks import domain_write_lock
from mdm.services.rulings import CHUNK, chain_golden, record_rulings


@dataclass(frozen=True)
class IncomingRecord:
    """A source record ready to store: key, raw payload, standardized attributes."""

    source_key: str
    profile: str
    raw: Any
    content_hash: str
    attributes: dict[str, Any]
    issues: dict[str, list[str]] = field(default_factory=dict)
    deleted: bool = False
    standardized_by: str = ""  # the fingerprint of what standardized it ("": unknown, never re-read at upsert)


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    restandardized: int = 0  # sent unchanged, stored values standardized by older code: now read differently

    def add(self, other: UpsertCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.restandardized += other.restandardized


@dataclass(frozen=True)
class Restandardized:
    """A stored record read again from its raw payload: the values it reads as now, and the
    fingerprint of the standardization that read them (mdm.ingest.freshness)."""

    id: int
    attributes: Any  # a dict, or its JSON text
    issues: Any
    standardized_by: str


_UPDATED_FIELDS = [
    "profile",
    "raw",
    "attributes",
    "issues",
    "content_hash",
    "standardized_by",
    "version",
    "is_deleted",
    "updated_at",
    "deleted_at",
]


@transaction.atomic
def source_records_upsert(
    *, domain: str, system: SourceSystem, records: Sequence[IncomingRecord], change: Change
) -> UpsertCounts:
    """Insert new records, version changed ones, skip unchanged ones; keys must be unique.

    A record whose content hash matches the stored one is left alone (no version, no event),
    which makes re-loading the same data a no-op, unless it is live and was standardized
    by older code (its `standardized_by` is not the incoming one): then it is written as
    source_records_restandardized writes it, a version only when its values changed. The
    golden records of changed records are recomputed (survivorship) in the same
    transaction; a deleted record leaves its golden record. A deleted record sent again
    rejoins its must-link chain's golden record at once (with or without real-time
    matching); other new records wait for a match run.
    """
    get_domain(domain)
    # Locks in the one order every writer uses (system, domain, feed), all before reading:
    # one import per system at a time (concurrent bulk inserts of one key would collide),
    # and no steward action or match run moves these records between our read and write.
    domain_write_lock(domain, systems=[system.pk])
    existing = {
        row["source_key"]: row
        for row in SourceRecord.objects.filter(
            domain=domain, system=system, source_key__among=[r.source_key for r in records]
        ).values(
            "id", "source_key", "content_hash", "standardized_by", "version", "is_deleted", "golden_id",
            "golden__golden_id", "received_at", "deleted_at",
        )
    }
    now = timezone.now()
    counts = UpsertCounts()
    to_insert: list[bulk.Row] = []
    to_update: list[bulk.Row] = []
    golden_codes: dict[str, str] = {}
    stale: list[Restandardized] = []
    for incoming in records:
        current = existing.get(incoming.source_key)
        if current is not None and current["content_hash"] == incoming.content_hash:
            if (incoming.standardized_by and current["standardized_by"] != incoming.standardized_by
                    and not current["is_deleted"]):
                stale.append(Restandardized(id=current["id"], attributes=incoming.attributes,
                                            issues=incoming.issues, standardized_by=incoming.standardized_by))
            else:
                counts.unchanged += 1
            continue
        row = _version(incoming, current, domain=domain, system=system, now=now)
        if current is None:
            to_insert.append(row)
        else:
            golden_codes[incoming.source_key] = current["golden__golden_id"] or ""
            to_update.append(row)
        if incoming.deleted and not (current and current["is_deleted"]):
            counts.deleted += 1
        elif current is None:
            counts.inserted += 1
        else:
            counts.updated += 1

    history.bulk_create(SourceRecord, to_insert, change)
    history.bulk_update(SourceRecord, to_update, _UPDATED_FIELDS, change)
    goldens = {row["golden_id"] for row in to_update if row["golden_id"] is not None}
    append_events(
        [
            source_event(row, system, golden_codes.get(row["source_key"], ""), change, now)
            for row in to_insert + to_update
        ]
    )
    written = _write_standardized(stale, change, now)
    counts.restandardized += written.changed
    counts.unchanged += len(stale) - written.changed
    golden_records_refresh(domain=domain, goldens=goldens | written.goldens, change=change)
    _rejoin_chains(domain, records, existing, change)
    return counts


def _version(incoming: IncomingRecord, current: dict[str, Any] | None, *, domain: str, system: SourceSystem,
             now: datetime) -> bulk.Row:
    """The row of a record's next version (its first, when `current` is None)."""
    row = {
        "domain": domain,
        "system_id": system.pk,
        "source_key": incoming.source_key,
        "profile": incoming.profile,
        "raw": incoming.raw,
        "attributes": incoming.attributes,
        "issues": incoming.issues,
        "content_hash": incoming.content_hash,
        "standardized_by": incoming.standardized_by,
        "is_deleted": incoming.deleted,
        "updated_at": now,
    }
    if current is None:
        return {**row, "id": None, "version": 1, "received_at": now, "golden_id": None,
                "deleted_at": now if incoming.deleted else None}
    return {**row, "id": current["id"], "version": current["version"] + 1, "received_at": current["received_at"],
            "golden_id": current["golden_id"],
            "deleted_at": (current["deleted_at"] or now) if incoming.deleted else None}


def _rejoin_chains(domain: str, records: Sequence[IncomingRecord], existing: dict[str, dict[str, Any]],
                   change: Change) -> None:
    """Put each restored record (deleted, sent again) that has must-links back with its
    chain (rulings.chain_golden)."""
    restored = [existing[r.source_key]["id"] for r in records
                if not r.deleted and existing.get(r.source_key, {}).get("is_deleted")]
    ruled = set()
    for start in range(0, len(restored), CHUNK):
        chunk = restored[start : start + CHUNK]
        must = PairConstraint.objects.filter(kind=PairConstraint.Kind.MUST_LINK)
        ruled |= set(must.filter(left_id__in=chunk).values_list("left_id", flat=True))
        ruled |= set(must.filter(right_id__in=chunk).values_list("right_id", flat=True))
    assignments = {}
    for pk in sorted(ruled):
        chain, _ = record_rulings(pk)
        members = SourceRecord.objects.filter(pk__in=chain, golden__isnull=False)
        target = chain_golden(members.values_list("golden_id", flat=True))
        if target is not None:
            assignments[pk] = target
    if assignments:
        goldens = GoldenRecord.objects.in_bulk(set(assignments.values()))
        source_records_assign(domain=domain, assignments={pk: goldens[g] for pk, g in assignments.items()},
                              change=change)


@dataclass
class Written:
    """What writing re-read records changed: how many got a version, and their golden records."""

    changed: int = 0
    goldens: set[int] = field(default_factory=set)
    golden_updates: int = 0  # golden records whose surviving values changed with them


@transaction.atomic
def source_records_restandardized(*, domain: str, records: Sequence[Restandardized], change: Change) -> Written:
    """Store what live stored records of `domain` read as now (their raw payload
    standardized again). A record whose attributes or issues change gets a new version
    (history row, change event, `updated_at` moved so the next match run recomputes its
    keys and features) and its golden record is recomputed (survivorship); a record whose values
    are the same only has its `standardized_by` moved (no version, no event: history does
    not keep it), so reading records again that read the same writes nothing that shows.
    The caller holds the write locks of the records' systems (locks.domain_write_lock)."""
    written = _write_standardized(records, change, timezone.now())
    applied = golden_records_refresh(domain=domain, goldens=written.goldens, change=change)
    written.golden_updates = applied.updated if applied else 0
    return written


def _plain(value: Any) -> Any:
    """Values as the database gives them back (JSON types), to compare with stored ones."""
    return json.loads(value if isinstance(value, str) else json_text(value))


def _write_standardized(records: Sequence[Restandardized], change: Change, now: datetime) -> Written:
    """Write re-read records (source_records_restandardized), recomputing no golden record:
    the caller recomputes the returned ones with its own."""
    written = Written()
    if not records:
        return written
    stored = SourceRecord.objects.in_bulk([r.id for r in records])
    rows: list[bulk.Row] = []
    marks: dict[str, list[int]] = {}
    for record in records:
        current = stored[record.id]
        if (_plain(record.attributes), _plain(record.issues)) == (current.attributes, current.issues):
            marks.setdefault(record.standardized_by, []).append(record.id)
            continue
        rows.append({**bulk.as_row(current), "attributes": record.attributes, "issues": record.issues,
                     "standardized_by": record.standardized_by, "version": current.version + 1, "updated_at": now})
        if current.golden_id is not None:
            written.goldens.add(current.golden_id)
    history.bulk_update(SourceRecord, rows, ["attributes", "issues", "standardized_by", "version", "updated_at"],
                        change)
    systems = SourceSystem.objects.in_bulk({row["system_id"] for row in rows})
    codes = dict(GoldenRecord.objects.filter(pk__in=written.goldens).values_list("pk", "golden_id"))
    append_events([source_event(row, systems[row["system_id"]], codes.get(row["golden_id"], ""), change, now)
                   for row in rows])
    for fingerprint, ids in marks.items():
        for start in range(0, len(ids), CHUNK):
            # standardized_by is bookkeeping history does not keep (models.records): moving
            # it is no change of the record, and writes no version
            SourceRecord.objects.filter(pk__in=ids[start : start + CHUNK]).update(standardized_by=fingerprint)
    written.changed = len(rows)
    return written


@transaction.atomic
def source_records_delete_missing(
    *, domain: str, system: SourceSystem, present_keys: Iterable[str], change: Change
) -> int:
    """Soft-delete the live records of (domain, system) whose key is not in present_keys.

    Used after a full snapshot load: what the source no longer sends is deleted there.
    """
    domain_write_lock(domain, systems=[system.pk])  # before reading, as source_records_upsert
    present = set(present_keys)
    live = SourceRecord.objects.filter(domain=domain, system=system, is_deleted=False)
    gone_ids = [pk for pk, key in live.values_list("id", "source_key") if key not in present]
    return _soft_delete(domain, system, gone_ids, change)


@transaction.atomic
def source_records_delete(*, domain: str, system: SourceSystem, keys: Iterable[str], change: Change) -> list[str]:
    """Soft-delete the named live records of (domain, system) (a source said they are
    gone); keys unknown or deleted already are left alone, so a repeated deletion changes
    nothing. Returns the keys deleted."""
    domain_write_lock(domain, systems=[system.pk])
    live = dict(SourceRecord.objects.filter(domain=domain, system=system, is_deleted=False,
                                            source_key__among=list(keys)).values_list("id", "source_key"))
    _soft_delete(domain, system, list(live), change)
    return sorted(live.values())


def _soft_delete(domain: str, system: SourceSystem, ids: list[int], change: Change) -> int:
    """Mark records deleted (a new version each, with its event); their golden records
    are recomputed without them. The caller holds the system's write lock."""
    now = timezone.now()
    gone = list(SourceRecord.objects.filter(pk__in=ids).select_related("golden").order_by("pk"))
    rows = []
    for record in gone:
        row = bulk.as_row(record)
        row.update(
            is_deleted=True,
            deleted_at=now,
            updated_at=now,
            version=record.version + 1,
            content_hash=content_hash(record.profile, record.raw, True),
        )
        rows.append(row)
    history.bulk_update(SourceRecord, rows, _UPDATED_FIELDS, change)
    goldens = {r.golden_id for r in gone if r.golden_id is not None}
    append_events(
        [
            source_event(row, system, r.golden.golden_id if r.golden else "", change, now)
            for row, r in zip(rows, gone, strict=True)
        ]
    )
    golden_records_refresh(domain=domain, goldens=goldens, change=change)
    return len(gone)
