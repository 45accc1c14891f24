"""Every write to the hub's core tables goes through a function here.

Each service is one transaction that writes the change, its history rows (with actor,
reason and operation) and its change-feed events together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from mdm import bulk, history
from mdm.domains import get_domain
from mdm.errors import UnknownSourceSystem
from mdm.history import Change
from mdm.models import (
    ChangeEvent,
    FeedCounter,
    GoldenIdSequence,
    SourceRecord,
    SourceSystem,
)


def content_hash(profile: str, raw: Any, deleted: bool) -> str:
    """Hash of what the source said (through which profile). Standardized attributes are
    derived from it, so an unchanged hash means an unchanged record."""
    text = json.dumps([profile, raw, deleted], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


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


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted


def source_system_get(code: str) -> SourceSystem:
    try:
        return SourceSystem.objects.get(code=code)
    except SourceSystem.DoesNotExist:
        known = ", ".join(SourceSystem.objects.values_list("code", flat=True)) or "none yet"
        raise UnknownSourceSystem(
            f"unknown source system {code!r} (registered: {known}); register it with "
            f"`python manage.py register_system {code} --name \"...\"`"
        ) from None


@transaction.atomic
def source_system_register(
    *, code: str, name: str, change: Change, description: str = "", trust: dict | None = None
) -> SourceSystem:
    """Create a source system, or update its name, description and trust ranks."""
    system = SourceSystem.objects.select_for_update().filter(code=code).first()
    if system is None:
        system = SourceSystem(code=code)
    new_trust = trust if trust is not None else system.trust
    if system.pk and (system.name, system.description, system.trust) == (name, description, new_trust):
        return system
    system.name, system.description, system.trust = name, description, new_trust
    history.stamp(system, change)
    system.full_clean()
    system.save()
    return system


def _append_events(events: list[bulk.Row]) -> None:
    """Give events the next sequence numbers and insert them.

    The counter row stays locked until the surrounding transaction commits, so sequence
    numbers become visible in order. Callers take this lock last.
    """
    if not events:
        return
    counter = FeedCounter.objects.select_for_update().get(pk=1)
    for offset, event in enumerate(events, start=1):
        event["sequence"] = counter.last_sequence + offset
    counter.last_sequence += len(events)
    counter.save(update_fields=["last_sequence"])
    bulk.insert(ChangeEvent, events)


_UPDATED_FIELDS = [
    "profile",
    "raw",
    "attributes",
    "issues",
    "content_hash",
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
    which makes re-loading the same data a no-op.
    """
    get_domain(domain)
    # One import per system at a time: concurrent bulk inserts of one key would collide.
    SourceSystem.objects.select_for_update().get(pk=system.pk)
    existing = {
        row["source_key"]: row
        for row in SourceRecord.objects.filter(
            domain=domain, system=system, source_key__in=[r.source_key for r in records]
        ).values(
            "id", "source_key", "content_hash", "version", "is_deleted", "golden_id",
            "golden__golden_id", "received_at", "deleted_at",
        )
    }
    now = timezone.now()
    counts = UpsertCounts()
    to_insert: list[bulk.Row] = []
    to_update: list[bulk.Row] = []
    golden_codes: dict[str, str] = {}
    for incoming in records:
        current = existing.get(incoming.source_key)
        if current is not None and current["content_hash"] == incoming.content_hash:
            counts.unchanged += 1
            continue
        row = {
            "domain": domain,
            "system_id": system.pk,
            "source_key": incoming.source_key,
            "profile": incoming.profile,
            "raw": incoming.raw,
            "attributes": incoming.attributes,
            "issues": incoming.issues,
            "content_hash": incoming.content_hash,
            "is_deleted": incoming.deleted,
            "updated_at": now,
        }
        if current is None:
            row.update(id=None, version=1, received_at=now, golden_id=None,
                       deleted_at=now if incoming.deleted else None)
            to_insert.append(row)
        else:
            row.update(
                id=current["id"],
                version=current["version"] + 1,
                received_at=current["received_at"],
                golden_id=current["golden_id"],
                deleted_at=(current["deleted_at"] or now) if incoming.deleted else None,
            )
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
    _append_events(
        [
            _source_event(row, system, golden_codes.get(row["source_key"], ""), change, now)
            for row in to_insert + to_update
        ]
    )
    return counts


@transaction.atomic
def source_records_delete_missing(
    *, domain: str, system: SourceSystem, present_keys: Iterable[str], change: Change
) -> int:
    """Soft-delete the live records of (domain, system) whose key is not in present_keys.

    Used after a full snapshot load: what the source no longer sends is deleted there.
    """
    SourceSystem.objects.select_for_update().get(pk=system.pk)
    present = set(present_keys)
    now = timezone.now()
    live = SourceRecord.objects.filter(domain=domain, system=system, is_deleted=False)
    gone_ids = [pk for pk, key in live.values_list("id", "source_key") if key not in present]
    gone = list(SourceRecord.objects.filter(pk__in=gone_ids).select_related("golden"))
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
    _append_events(
        [
            _source_event(row, system, r.golden.golden_id if r.golden else "", change, now)
            for row, r in zip(rows, gone)
        ]
    )
    return len(gone)


def _source_event(row: bulk.Row, system: SourceSystem, golden_id: str, change: Change, now) -> bulk.Row:
    return {
        "kind": ChangeEvent.Kind.SOURCE_DELETED if row["is_deleted"] else ChangeEvent.Kind.SOURCE_UPSERTED,
        "domain": row["domain"],
        "golden_id": golden_id,
        "system_code": system.code,
        "source_key": row["source_key"],
        "record_version": row["version"],
        "payload": {"content_hash": row["content_hash"]},
        "actor": change.actor,
        "operation": change.operation,
        "created_at": now,
    }


@transaction.atomic
def golden_ids_allocate(*, domain: str, count: int = 1, category: str = "") -> list[str]:
    """Hand out the next `count` golden IDs of a domain (and category); never reused."""
    rule = get_domain(domain).golden_id
    category = category.upper()
    sequence, _ = GoldenIdSequence.objects.get_or_create(domain=domain, category=category)
    sequence = GoldenIdSequence.objects.select_for_update().get(pk=sequence.pk)
    first = sequence.last_serial + 1
    sequence.last_serial += count
    sequence.save(update_fields=["last_serial"])
    prefix = f"{rule.prefix}-{category}-" if category else f"{rule.prefix}-"
    return [f"{prefix}{serial:0{rule.digits}d}" for serial in range(first, first + count)]
