"""Every write to the hub's core tables goes through a function here.

Each service is one transaction that writes the change, its history rows (with actor,
reason and operation) and its change-feed events together.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from mdm import bulk, history
from mdm.domains import get_domain
from mdm.errors import GoldenRecordError, MdmError, StalePlan, UnknownSourceSystem
from mdm.history import Change
from mdm.models import (
    ChangeEvent,
    FeedCounter,
    GoldenIdSequence,
    GoldenRecord,
    SourceRecord,
    SourceSystem,
)
from mdm.standardize import standardize
from mdm.survivorship import Member, Trust, survive


def content_hash(profile: str, raw: Any, deleted: bool) -> str:
    """Hash of what the source said (through which profile). Standardized attributes are
    derived from it, so an unchanged hash means an unchanged record.

    Raises ValueError for what no database can store as JSON: NaN or infinite numbers and
    unpaired surrogates (invalid Unicode)."""
    text = json.dumps(
        [profile, raw, deleted], sort_keys=True, ensure_ascii=False, allow_nan=False, default=str
    )
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


def _append_events(events: list[bulk.Row], common: bulk.Row | None = None) -> None:
    """Give events the next sequence numbers and insert them (`common`: the values they
    share, see bulk.insert).

    The counter row stays locked until the surrounding transaction commits, so sequence
    numbers become visible in order. Callers take this lock last.
    """
    if not events:
        return
    last = _advance(FeedCounter, "last_sequence", len(events), id=1)
    for offset, event in enumerate(events, start=1 + last - len(events)):
        event["sequence"] = offset
    bulk.insert(ChangeEvent, events, with_pks=False, common=common)  # the sequence is their key


class _EventStream:
    """The change events of a large write, given their sequence numbers and inserted a
    chunk at a time (a first match run's million and a half events are never all held).
    The first chunk locks the feed counter until commit, as _append_events does: the
    writer already holds every other lock it takes. The price: the counter is held from
    the first chunk rather than the last, so a large run keeps other domains' steward
    actions waiting for longer (imports and real-time matching wait for the run's source
    system locks anyway)."""

    def __init__(self, common: bulk.Row):
        self.common = common
        self.pending: list[bulk.Row] = []
        self.count = 0

    def add(self, event: bulk.Row) -> None:
        self.pending.append(event)
        if len(self.pending) >= bulk.WRITE_CHUNK:
            self.flush()

    def flush(self) -> None:
        _append_events(self.pending, self.common)
        self.count += len(self.pending)
        self.pending = []


# The counter and lock rows below are touched by every write, real-time matching's too:
# in plain SQL, because the ORM takes longer to compile these statements than the
# database takes to run them.


def _where(**where: Any) -> tuple[str, list[Any]]:
    qn = connection.ops.quote_name
    return " AND ".join(f"{qn(name)} = %s" for name in where), list(where.values())


def _advance(model: type[models.Model], column: str, count: int, **where: Any) -> int:
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


def _lock(model: type[models.Model], **where: Any) -> None:
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
    which makes re-loading the same data a no-op. The golden records of changed records are
    recomputed (survivorship) in the same transaction; a deleted record leaves its golden
    record. New records wait for the next match run to get one.
    """
    get_domain(domain)
    # Locks in the one order every writer uses (system, domain, feed), all before reading:
    # one import per system at a time (concurrent bulk inserts of one key would collide),
    # and no steward action or match run moves these records between our read and write.
    SourceSystem.objects.select_for_update().get(pk=system.pk)
    golden_domain_lock(domain)
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
    goldens = {row["golden_id"] for row in to_update if row["golden_id"] is not None}
    _append_events(
        [
            _source_event(row, system, golden_codes.get(row["source_key"], ""), change, now)
            for row in to_insert + to_update
        ]
    )
    golden_records_refresh(domain=domain, goldens=goldens, change=change)
    return counts


@transaction.atomic
def source_records_delete_missing(
    *, domain: str, system: SourceSystem, present_keys: Iterable[str], change: Change
) -> int:
    """Soft-delete the live records of (domain, system) whose key is not in present_keys.

    Used after a full snapshot load: what the source no longer sends is deleted there.
    """
    SourceSystem.objects.select_for_update().get(pk=system.pk)
    golden_domain_lock(domain)  # the same order as source_records_upsert, before reading
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
    goldens = {r.golden_id for r in gone if r.golden_id is not None}
    _append_events(
        [
            _source_event(row, system, r.golden.golden_id if r.golden else "", change, now)
            for row, r in zip(rows, gone)
        ]
    )
    golden_records_refresh(domain=domain, goldens=goldens, change=change)
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
    first = _advance(GoldenIdSequence, "last_serial", count, domain=domain, category=category) - count + 1
    prefix = f"{rule.prefix}-{category}-" if category else f"{rule.prefix}-"
    return [f"{prefix}{serial:0{rule.digits}d}" for serial in range(first, first + count)]


# ---------------------------------------------------------------------------
# Golden records
#
# Every change to golden records and memberships is a GoldenPlan applied by
# golden_plan_apply: the match run builds one plan for a whole domain, the services below
# build small ones (a merge, a split, an override). So there is one write path, one way of
# writing history and change events, whatever made the change.
# ---------------------------------------------------------------------------

Ref = int | str  # an existing golden record's pk, or "new:<n>" for one the plan creates
MEMBER_CHUNK = 2000  # source records read and written per statement when memberships change
_GOLDEN_FIELDS = [f.attname for f in GoldenRecord._meta.concrete_fields]
_MOVE_FIELDS = ["id", "domain", "system_id", "source_key", "golden_id", "version"]
_GOLDEN_UPDATED = ["attributes", "lineage", "overrides", "status", "successor", "version", "updated_at"]
MSG_NOT_ACTIVE = "golden record {golden_id} is {status}, not active"
MSG_NOT_PARTITION = "the parts must split the live members of {golden_id} into two or more non-empty groups"
MSG_HAS_MEMBERS = "golden record {golden_id} still has {count} live source records: merge or reassign them"
MSG_NOT_LIVE = "source record {pk} is not a live {domain} record"


@dataclass(frozen=True)
class GoldenState:
    """A golden record as it is now (what a plan compares against)."""

    pk: int
    golden_id: str
    version: int
    status: str
    attributes: dict[str, Any]
    lineage: dict[str, Any]
    overrides: dict[str, Any]


@dataclass
class GoldenTarget:
    """A golden record as a plan leaves it: new, or existing with new state."""

    ref: Ref
    members: list[int]
    attributes: dict[str, Any]
    lineage: bulk.JSONText  # encoded when planned: held only to be written
    overrides: dict[str, Any]
    category: str = ""
    split_from: int | None = None  # a new part split off this golden record
    absorbed: list[int] = field(default_factory=list)  # golden records merged into this one


@dataclass
class GoldenPlan:
    """The golden-record changes of one operation, computed before anything is written."""

    domain: str
    targets: list[GoldenTarget] = field(default_factory=list)
    retire: dict[int, Ref] = field(default_factory=dict)  # retired pk -> successor
    delete: list[int] = field(default_factory=list)  # left without live members
    moves: dict[int, Ref | None] = field(default_factory=dict)  # source id -> golden (None: none)
    versions: dict[int, int] = field(default_factory=dict)  # every existing golden it touches

    def is_empty(self) -> bool:
        return not (self.targets or self.retire or self.delete or self.moves)


@dataclass
class AppliedPlan:
    golden_ids: dict[Ref, str]  # every golden the plan touched, new ones with their new IDs
    created: int = 0
    updated: int = 0
    retired: int = 0
    deleted: int = 0
    moved: int = 0
    events: int = 0


def golden_domain_lock(domain: str) -> None:
    """Serialize the writers of one domain's golden records (match runs, steward actions)
    until commit. The lock is the domain's golden-ID sequence row; take it first."""
    get_domain(domain)
    _lock(GoldenIdSequence, domain=domain, category="")


class _Released(Mapping[str, Any]):
    """A member's attributes after golden_plan(release=True): reading them is a bug."""

    def _fail(self, *args: Any) -> Any:
        raise MdmError("golden plan: these attributes were released once planned")

    __getitem__ = __iter__ = __len__ = _fail


RELEASED = _Released()


def golden_plan(
    *,
    domain: str,
    desired: Mapping[Ref, Sequence[int]],
    members: Mapping[int, Member],
    current: Mapping[int, int | None],
    goldens: Mapping[int, GoldenState],
    trust: Trust,
    retire: Mapping[int, Ref] | None = None,
    leave: Iterable[int] = (),
    absorbed: Mapping[Ref, list[int]] | None = None,
    split_from: Mapping[str, int] | None = None,
    overrides: Mapping[Ref, dict[str, Any]] | None = None,
    release: bool = False,
) -> GoldenPlan:
    """Plan a change of golden records (reads nothing, writes nothing; changes its input
    only with `release`).

    `desired`: the complete live member list, after the change, of every golden record
    whose members change (existing pks and new "new:<n>" refs); an existing one with no
    members left is deleted unless `retire` names its successor. `members`: every record
    named there; `current`: their golden record now (and that of each record in `leave`,
    deleted records that leave their golden record). Survivorship runs for every desired
    golden record; only those whose attributes, lineage, overrides or status change (or
    that absorb others, or lose a split-off part) become targets.

    With `release`, each member in `members` (a dict) gives up its attributes once its
    golden record is planned: a batch run's records shrink as its plan grows, where holding
    both took a gigabyte more at a million records.
    """
    declaration = get_domain(domain)
    retire = retire or {}
    absorbed = absorbed or {}
    split_from = split_from or {}
    overrides = overrides or {}
    origins = set(split_from.values())
    plan = GoldenPlan(domain=domain, retire=dict(retire))
    touched: set[int] = set()
    for ref, ids in desired.items():
        for sid in ids:
            was = current.get(sid)
            if was != ref:
                plan.moves[sid] = ref
                if was is not None:
                    touched.add(was)
                if isinstance(ref, int):
                    touched.add(ref)
    for sid in leave:
        was = current.get(sid)
        if was is not None:
            plan.moves[sid] = None
            touched.add(was)
    category_attribute = declaration.golden_id.category_attribute
    for ref, ids in desired.items():
        state = goldens.get(ref) if isinstance(ref, int) else None
        if isinstance(ref, int) and state is None:
            raise MdmError(f"golden plan: no state given for golden record {ref}")
        if not ids:
            if state is None:
                raise MdmError(f"golden plan: new golden record {ref} has no members")
            if ref not in retire:
                plan.delete.append(ref)
                touched.add(ref)
            continue
        kept = dict(overrides.get(ref, state.overrides if state else {}))
        attributes, lineage = survive(declaration, [members[i] for i in ids], trust=trust, overrides=kept)
        if release:
            for i in ids:
                members[i] = replace(members[i], attributes=RELEASED)  # type: ignore[index]
        forced = bool(absorbed.get(ref)) or ref in origins
        if state is None or forced or (attributes, lineage, kept) != (
            state.attributes, state.lineage, state.overrides
        ):
            category = str(attributes.get(category_attribute) or "") if category_attribute else ""
            plan.targets.append(
                GoldenTarget(
                    ref=ref,
                    members=list(ids),
                    attributes=attributes,
                    lineage=bulk.JSONText.of(lineage),  # only written from here on
                    overrides=kept,
                    category=category,
                    split_from=split_from.get(ref) if isinstance(ref, str) else None,
                    absorbed=list(absorbed.get(ref, [])),
                )
            )
            if state is not None:
                touched.add(ref)
    for pk, successor in retire.items():
        touched.add(pk)
        if isinstance(successor, int):
            touched.add(successor)
    touched |= origins
    unplanned = {pk for pk in touched if pk not in desired and pk not in retire}
    if unplanned:
        raise MdmError(f"golden plan: members of {sorted(unplanned)} change but they are not planned")
    plan.versions = {pk: goldens[pk].version for pk in sorted(touched)}
    return plan


@transaction.atomic
def golden_plan_apply(*, plan: GoldenPlan, change: Change) -> AppliedPlan:
    """Write a plan: new golden records (IDs from golden_ids_allocate), changed ones,
    retirements, deletions and memberships, in bulk, each with its history row, and one
    change event per golden record per new version plus one `golden.remapped` per source
    record whose golden record changes (so the feed replays the cross-reference).

    Raises StalePlan when a golden record the plan touches changed since it was planned.
    """
    golden_domain_lock(plan.domain)
    touched = sorted(plan.versions)
    locked = {  # in pk order, a chunk at a time (a statement has a bounded number of parameters)
        row["id"]: row
        for start in range(0, len(touched), MEMBER_CHUNK)
        for row in GoldenRecord.objects.select_for_update()
        .filter(pk__in=touched[start : start + MEMBER_CHUNK])
        .order_by("pk")
        .values(*_GOLDEN_FIELDS)
    }
    stale = sorted(
        pk for pk, version in plan.versions.items()
        if pk not in locked or locked[pk]["version"] != version or locked[pk]["status"] != GoldenRecord.Status.ACTIVE
    )
    if stale:
        raise StalePlan(f"golden records changed since the plan was made: {stale[:10]}")
    now = timezone.now()
    result = AppliedPlan(golden_ids={pk: row["golden_id"] for pk, row in locked.items()})
    pks: dict[Ref, int] = {pk: pk for pk in locked}
    versions: dict[int, int] = {pk: row["version"] for pk, row in locked.items()}
    events = _EventStream({"domain": plan.domain, "actor": change.actor, "operation": change.operation,
                           "created_at": now})

    # new golden records, their IDs allocated per category in a fixed order
    new = [t for t in plan.targets if isinstance(t.ref, str)]
    by_category: dict[str, list[GoldenTarget]] = defaultdict(list)
    for target in new:
        by_category[target.category.upper()].append(target)
    for category in sorted(by_category):
        ids = golden_ids_allocate(domain=plan.domain, count=len(by_category[category]), category=category)
        for target, golden_id in zip(by_category[category], ids, strict=True):
            result.golden_ids[target.ref] = golden_id
    rows = [
        {"id": None, "golden_id": result.golden_ids[t.ref], "attributes": t.attributes, "lineage": t.lineage,
         "overrides": t.overrides}
        for t in new
    ]
    history.bulk_create(GoldenRecord, rows, change, common={
        "domain": plan.domain, "status": GoldenRecord.Status.ACTIVE, "successor_id": None, "version": 1,
        "created_at": now, "updated_at": now,
    })
    for target, row in zip(new, rows, strict=True):
        pks[target.ref] = row["id"]
        versions[row["id"]] = 1
    split_into: dict[int, list[str]] = defaultdict(list)
    for target in new:
        if target.split_from is not None:
            split_into[target.split_from].append(result.golden_ids[target.ref])
        payload: dict[str, Any] = {"attributes": target.attributes}
        if target.split_from is not None:
            payload["split_from"] = result.golden_ids[target.split_from]
        events.add(_golden_event(ChangeEvent.Kind.GOLDEN_CREATED, result.golden_ids[target.ref], 1, payload))
    result.created = len(new)

    # existing golden records: new state, merges into them, splits from them
    changed: dict[int, bulk.Row] = {}
    existing = {t.ref: t for t in plan.targets if isinstance(t.ref, int)}
    for pk in sorted(set(existing) | set(split_into)):
        row = dict(locked[pk])
        target = existing.get(pk)
        names: list[str] = []
        if target is not None:
            names = sorted(
                name for name in set(row["attributes"]) | set(target.attributes)
                if row["attributes"].get(name) != target.attributes.get(name)
            )
            row.update(attributes=target.attributes, lineage=target.lineage, overrides=target.overrides)
        row.update(version=row["version"] + 1, updated_at=now)
        changed[pk] = row
        versions[pk] = row["version"]
        payload = {"attributes": row["attributes"], "changed": names}
        kind = ChangeEvent.Kind.GOLDEN_UPDATED
        if target is not None and target.absorbed:
            kind = ChangeEvent.Kind.GOLDEN_MERGED
            payload["retired"] = [result.golden_ids[p] for p in target.absorbed]
        elif pk in split_into:
            kind = ChangeEvent.Kind.GOLDEN_SPLIT
            payload["split_into"] = split_into[pk]
        events.add(_golden_event(kind, row["golden_id"], row["version"], payload))
    result.updated = len(changed)
    for pk, successor in sorted(plan.retire.items()):
        row = changed.get(pk) or dict(locked[pk])
        row.update(status=GoldenRecord.Status.RETIRED, successor_id=pks[successor],
                   version=locked[pk]["version"] + 1, updated_at=now)
        changed[pk] = row
        versions[pk] = row["version"]
        events.add(_golden_event(ChangeEvent.Kind.GOLDEN_RETIRED, row["golden_id"], row["version"],
                                 {"status": "retired", "successor": result.golden_ids[successor]}))
    for pk in sorted(plan.delete):
        row = dict(locked[pk])
        row.update(status=GoldenRecord.Status.DELETED, version=row["version"] + 1, updated_at=now)
        changed[pk] = row
        versions[pk] = row["version"]
        events.add(_golden_event(ChangeEvent.Kind.GOLDEN_RETIRED, row["golden_id"], row["version"],
                                 {"status": "deleted", "successor": None}))
    result.retired, result.deleted = len(plan.retire), len(plan.delete)
    history.bulk_update(GoldenRecord, list(changed.values()), _GOLDEN_UPDATED, change)

    # memberships, then their events (after the golden events they refer to)
    result.moved = _move_members(plan, pks, result.golden_ids, versions, change, events)
    events.flush()
    result.events = events.count
    return result


def _golden_event(kind: str, golden_id: str, version: int, payload: dict[str, Any]) -> bulk.Row:
    """A golden record's event in a plan's write (domain, actor, operation and time are
    the events' common values)."""
    return {"kind": kind, "golden_id": golden_id, "golden_version": version, "payload": payload}


def _move_members(plan: GoldenPlan, pks: Mapping[Ref, int], golden_ids: dict[Ref, str],
                  versions: Mapping[int, int], change: Change, events: _EventStream) -> int:
    systems = dict(SourceSystem.objects.values_list("id", "code"))
    moved = 0
    ids = sorted(plan.moves)
    for start in range(0, len(ids), MEMBER_CHUNK):
        chunk = ids[start : start + MEMBER_CHUNK]
        rows = []
        # only what the change and its event need: the history rows are copied from the
        # table (mdm.bulk), so the wide columns (raw, attributes) never come back to Python
        records = SourceRecord.objects.order_by("pk").values(*_MOVE_FIELDS)
        if chunk[-1] - chunk[0] < 2 * len(chunk):  # dense (a first run moves every record): a range, no key list
            records = records.filter(pk__gte=chunk[0], pk__lte=chunk[-1])
        else:
            records = records.filter(pk__in=chunk)
        for row in records:
            if row["id"] not in plan.moves:  # a record in the range that the plan does not move
                continue
            ref = plan.moves[row["id"]]
            new = pks[ref] if ref is not None else None
            previous = row["golden_id"]
            if previous == new:
                continue
            row["golden_id"] = new
            row["version"] += 1
            rows.append(row)
            if previous is not None and previous not in golden_ids:
                golden_ids[previous] = GoldenRecord.objects.values_list("golden_id", flat=True).get(pk=previous)
            events.add({
                "kind": ChangeEvent.Kind.GOLDEN_ID_REMAPPED,
                "golden_id": golden_ids[ref] if ref is not None else "",
                "golden_version": versions[new] if new is not None else None,
                "system_code": systems[row["system_id"]],
                "source_key": row["source_key"],
                "record_version": row["version"],
                "payload": {"previous": golden_ids[previous] if previous is not None else None},
            })
        history.bulk_update(SourceRecord, rows, ["golden", "version"], change)
        moved += len(rows)
    return moved


# --- state reads for the services below (small sets: one operation's golden records) ---


def source_system_trust() -> dict[str, dict[str, Any]]:
    """Trust ranks per system code (SourceSystem.trust), for survivorship."""
    return {code: trust or {} for code, trust in SourceSystem.objects.values_list("code", "trust")}


MEMBER_VALUES = ("id", "system__code", "source_key", "profile", "attributes", "received_at", "updated_at")


def member_from_values(row: Mapping[str, Any]) -> Member:
    return Member(
        id=row["id"], system=row["system__code"], key=row["source_key"], profile=row["profile"],
        attributes=row["attributes"], received_at=row["received_at"], updated_at=row["updated_at"],
    )


def golden_state(row: Mapping[str, Any]) -> GoldenState:
    return GoldenState(
        pk=row["id"], golden_id=row["golden_id"], version=row["version"], status=row["status"],
        attributes=row["attributes"], lineage=row["lineage"], overrides=row["overrides"],
    )


def _golden_states(pks: Iterable[int]) -> dict[int, GoldenState]:
    return {
        row["id"]: golden_state(row)
        for row in GoldenRecord.objects.filter(pk__in=list(pks)).values(*_GOLDEN_FIELDS)
    }


def _live_members(golden_pks: Iterable[int]) -> dict[int, list[Member]]:
    """Live members of each golden record, in id order."""
    out: dict[int, list[Member]] = {pk: [] for pk in golden_pks}
    rows = SourceRecord.objects.filter(golden_id__in=list(out), is_deleted=False).order_by("id")
    for row in rows.values(*MEMBER_VALUES, "golden_id"):
        out[row["golden_id"]].append(member_from_values(row))
    return out


def _require_active(*goldens: GoldenRecord) -> None:
    for golden in goldens:
        if golden.status != GoldenRecord.Status.ACTIVE:
            raise GoldenRecordError(MSG_NOT_ACTIVE.format(golden_id=golden.golden_id, status=golden.status))


def _refresh(golden: GoldenRecord) -> GoldenRecord:
    golden.refresh_from_db()
    return golden


def _apply_membership(
    *, domain: str, desired: dict[Ref, list[int]], change: Change, retire: dict[int, Ref] | None = None,
    absorbed: dict[Ref, list[int]] | None = None, split_from: dict[str, int] | None = None,
    overrides: dict[Ref, dict[str, Any]] | None = None,
) -> AppliedPlan:
    """Plan and apply a membership change given as the desired members of some golden
    records; golden records that lose members to them are recomputed (or deleted) too."""
    ids = sorted({sid for members in desired.values() for sid in members})
    rows = {
        row["id"]: row
        for row in SourceRecord.objects.filter(pk__in=ids).values(*MEMBER_VALUES, "golden_id", "domain", "is_deleted")
    }
    for sid in ids:
        row = rows.get(sid)
        if row is None or row["is_deleted"] or row["domain"] != domain:
            raise GoldenRecordError(MSG_NOT_LIVE.format(pk=sid, domain=domain))
    current = {sid: rows[sid]["golden_id"] for sid in ids}
    wanted = set(ids)
    losers = {g for g in current.values() if g is not None} - {r for r in desired if isinstance(r, int)}
    losers -= set(retire or {})
    members = {sid: member_from_values(rows[sid]) for sid in ids}
    desired = dict(desired)
    for pk, remaining in _live_members(losers).items():
        desired[pk] = [m.id for m in remaining if m.id not in wanted]
        members.update({m.id: m for m in remaining})
        current.update({m.id: pk for m in remaining})
    existing = {r for r in desired if isinstance(r, int)} | set(retire or {}) | {
        s for s in (retire or {}).values() if isinstance(s, int)
    }
    plan = golden_plan(
        domain=domain, desired=desired, members=members, current=current,
        goldens=_golden_states(existing), trust=source_system_trust(), retire=retire,
        absorbed=absorbed, split_from=split_from, overrides=overrides,
    )
    return golden_plan_apply(plan=plan, change=change)


# --- the services ---


@transaction.atomic
def golden_records_refresh(*, domain: str, goldens: Iterable[int], change: Change) -> AppliedPlan | None:
    """Recompute golden records after members changed: survivorship over the live members,
    deleted members leave (their cross-reference is cleared), a golden record left without
    live members is deleted. Writes only what changed."""
    pks = sorted(set(goldens))
    if not pks:
        return None
    golden_domain_lock(domain)
    states = {pk: s for pk, s in _golden_states(pks).items() if s.status == GoldenRecord.Status.ACTIVE}
    desired: dict[Ref, list[int]] = {pk: [] for pk in states}
    members: dict[int, Member] = {}
    current: dict[int, int | None] = {}
    leave = []
    rows = SourceRecord.objects.filter(golden_id__in=list(states)).order_by("id")
    for row in rows.values(*MEMBER_VALUES, "golden_id", "is_deleted"):
        current[row["id"]] = row["golden_id"]
        if row["is_deleted"]:
            leave.append(row["id"])
        else:
            desired[row["golden_id"]].append(row["id"])
            members[row["id"]] = member_from_values(row)
    plan = golden_plan(domain=domain, desired=desired, members=members, current=current, goldens=states,
                       trust=source_system_trust(), leave=leave)
    if plan.is_empty():
        return None
    return golden_plan_apply(plan=plan, change=change)


@transaction.atomic
def golden_record_create(*, domain: str, members: Sequence[int], change: Change) -> GoldenRecord:
    """A new golden record of the given live source records, which leave their current
    golden records (recomputed, or deleted when left empty)."""
    golden_domain_lock(domain)
    if not members:
        raise GoldenRecordError("a golden record needs at least one source record")
    applied = _apply_membership(domain=domain, desired={"new:1": list(members)}, change=change)
    return GoldenRecord.objects.get(golden_id=applied.golden_ids["new:1"])


@transaction.atomic
def golden_record_update(*, golden: GoldenRecord, change: Change) -> GoldenRecord:
    """Recompute the golden attributes from the live members (survivorship); writes a new
    version only when something changed."""
    golden_domain_lock(golden.domain)
    _refresh(golden)
    _require_active(golden)
    members = _live_members([golden.pk])[golden.pk]
    _apply_membership(domain=golden.domain, desired={golden.pk: [m.id for m in members]}, change=change)
    return _refresh(golden)


@transaction.atomic
def golden_record_merge(
    *, survivor: GoldenRecord, retired: Sequence[GoldenRecord], change: Change
) -> GoldenRecord:
    """Merge golden records into `survivor`: it keeps its ID and gains their members; each
    retired record points to it, so its ID still resolves. Overrides of a retired record
    carry over for attributes the survivor has none for."""
    golden_domain_lock(survivor.domain)
    for golden in (survivor, *retired):
        _refresh(golden)
    _require_active(survivor, *retired)
    others = [g for g in retired if g.pk != survivor.pk]
    if not others or len({g.pk for g in others}) != len(others):
        raise GoldenRecordError("merge needs other, distinct golden records")
    if any(g.domain != survivor.domain for g in others):
        raise GoldenRecordError("golden records of different domains cannot merge")
    members = _live_members([survivor.pk, *(g.pk for g in others)])
    overrides = dict(survivor.overrides)
    for golden in others:
        for name, value in golden.overrides.items():
            overrides.setdefault(name, value)
    _apply_membership(
        domain=survivor.domain,
        desired={survivor.pk: [m.id for ms in members.values() for m in ms]},
        retire={g.pk: survivor.pk for g in others},
        absorbed={survivor.pk: [g.pk for g in others]},
        overrides={survivor.pk: overrides},
        change=change,
    )
    return _refresh(survivor)


@transaction.atomic
def golden_record_split(
    *, golden: GoldenRecord, parts: Sequence[Sequence[int]], change: Change
) -> list[GoldenRecord]:
    """Split a golden record's live members into parts: the largest part keeps the ID (on
    a tie, the part holding the oldest record), every other part becomes a new golden
    record. Returns the golden records, the kept one first."""
    golden_domain_lock(golden.domain)
    _refresh(golden)
    _require_active(golden)
    live = {m.id for m in _live_members([golden.pk])[golden.pk]}
    groups = [sorted(set(part)) for part in parts]
    flat = [sid for part in groups for sid in part]
    if len(groups) < 2 or any(not p for p in groups) or len(flat) != len(set(flat)) or set(flat) != live:
        raise GoldenRecordError(MSG_NOT_PARTITION.format(golden_id=golden.golden_id))
    groups.sort(key=lambda part: (-len(part), part[0]))
    desired: dict[Ref, list[int]] = {golden.pk: groups[0]}
    for n, part in enumerate(groups[1:], start=1):
        desired[f"new:{n}"] = part
    applied = _apply_membership(
        domain=golden.domain, desired=desired,
        split_from={f"new:{n}": golden.pk for n in range(1, len(groups))}, change=change,
    )
    new = GoldenRecord.objects.filter(golden_id__in=[applied.golden_ids[f"new:{n}"] for n in range(1, len(groups))])
    return [_refresh(golden), *sorted(new, key=lambda g: g.golden_id)]


@transaction.atomic
def golden_record_retire(
    *, golden: GoldenRecord, change: Change, successor: GoldenRecord | None = None
) -> GoldenRecord:
    """Retire a golden record without live members: into `successor` (its ID then resolves
    there), or, without one, as deleted (the entity is gone from every source)."""
    golden_domain_lock(golden.domain)
    _refresh(golden)
    _require_active(golden)
    count = SourceRecord.objects.filter(golden=golden, is_deleted=False).count()
    if count:
        raise GoldenRecordError(MSG_HAS_MEMBERS.format(golden_id=golden.golden_id, count=count))
    if successor is not None:
        _refresh(successor)
        _require_active(successor)
        if successor.pk == golden.pk or successor.domain != golden.domain:
            raise GoldenRecordError("a golden record retires into another active record of its domain")
    leaving = list(SourceRecord.objects.filter(golden=golden).values_list("id", flat=True))
    states = _golden_states([golden.pk] + ([successor.pk] if successor else []))
    plan = golden_plan(
        domain=golden.domain,
        desired={golden.pk: []},
        members={},
        current={sid: golden.pk for sid in leaving},
        goldens=states,
        trust={},
        retire={golden.pk: successor.pk} if successor else None,
        leave=leaving,
    )
    golden_plan_apply(plan=plan, change=change)
    return _refresh(golden)


@transaction.atomic
def source_records_assign(
    *, domain: str, assignments: Mapping[int, GoldenRecord], change: Change
) -> AppliedPlan:
    """Move live source records into golden records. Every golden record that gains or
    loses members is recomputed; one left without live members is deleted. (Deleted
    source records leave their golden record at the next match run.)"""
    golden_domain_lock(domain)
    targets = {g.pk: g for g in assignments.values()}
    for golden in targets.values():
        _refresh(golden)
        _require_active(golden)
        if golden.domain != domain:
            raise GoldenRecordError(f"golden record {golden.golden_id} is not a {domain} record")
    moving = set(assignments)
    desired: dict[Ref, list[int]] = {
        pk: sorted({m.id for m in members} - moving | {sid for sid, g in assignments.items() if g.pk == pk})
        for pk, members in _live_members(targets).items()
    }
    return _apply_membership(domain=domain, desired=desired, change=change)


@transaction.atomic
def golden_record_override_set(
    *, golden: GoldenRecord, attribute: str, value: Any, reason: str, change: Change
) -> GoldenRecord:
    """A steward's value for one attribute: standardized like a source value, it wins over
    every survivorship rule until cleared."""
    golden_domain_lock(golden.domain)
    _refresh(golden)
    _require_active(golden)
    declaration = get_domain(golden.domain)
    spec = declaration.attributes.get(attribute)
    if spec is None:
        raise GoldenRecordError(f"{attribute!r} is not an attribute of {golden.domain}")
    result = standardize(spec.type, value, phone_region=settings.MDM_PHONE_REGION)
    if result.fatal or result.value is None:
        raise GoldenRecordError(f"{attribute}: {'; '.join(result.problems) or 'no value'}")
    overrides = dict(golden.overrides)
    overrides[attribute] = {
        "value": result.value,
        "parts": {k: v for k, v in result.parts.items() if v is not None},
        "by": change.actor,
        "at": timezone.now().isoformat(timespec="seconds"),
        "reason": reason,
    }
    members = _live_members([golden.pk])[golden.pk]
    _apply_membership(domain=golden.domain, desired={golden.pk: [m.id for m in members]},
                      overrides={golden.pk: overrides}, change=change)
    return _refresh(golden)


@transaction.atomic
def golden_record_override_clear(*, golden: GoldenRecord, attribute: str, change: Change) -> GoldenRecord:
    """Remove a steward override: survivorship picks the attribute again."""
    golden_domain_lock(golden.domain)
    _refresh(golden)
    _require_active(golden)
    if attribute not in golden.overrides:
        return golden
    overrides = {k: v for k, v in golden.overrides.items() if k != attribute}
    members = _live_members([golden.pk])[golden.pk]
    _apply_membership(domain=golden.domain, desired={golden.pk: [m.id for m in members]},
                      overrides={golden.pk: overrides}, change=change)
    return _refresh(golden)
