"""Golden-record plans: the one write path of golden records and memberships.

Every change to golden records and memberships is a GoldenPlan applied by
golden_plan_apply: a match run builds one plan for a whole domain, the services of
mdm.services.golden_records small ones (a merge, a split, an override), real-time
matching one per arrival. So there is one write path, one way of writing history and
change events, whatever made the change. A plan reads nothing and writes nothing (a real
dry run); applying it checks that nothing it touches changed since it was made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from mdm import bulk, history
from mdm.domains import Domain, get_domain
from mdm.errors import InternalError, StalePlan
from mdm.history import Change
from mdm.models import ChangeEvent, GoldenIdSequence, GoldenRecord, SourceRecord, SourceSystem
from mdm.selectors import live_member_rows
from mdm.services.feed import EventStream, golden_event
from mdm.services.locks import advance, golden_domain_lock
from mdm.survivorship import Member, Trust, survive

Ref = int | str  # an existing golden record's pk, or "new:<n>" for one the plan creates
MEMBER_CHUNK = 2000  # source records read and written per statement when memberships change
GOLDEN_FIELDS = [f.attname for f in GoldenRecord._meta.concrete_fields]
_MOVE_FIELDS = ["id", "domain", "system_id", "source_key", "golden_id", "version"]
_GOLDEN_UPDATED = ["attributes", "lineage", "overrides", "status", "successor", "version", "updated_at"]


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
    revive: dict[int, int] = field(default_factory=dict)  # retired pk -> the golden it is split back off
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


@transaction.atomic
def golden_ids_allocate(*, domain: str, count: int = 1, category: str = "") -> list[str]:
    """Hand out the next `count` golden IDs of a domain (and category); never reused."""
    rule = get_domain(domain).golden_id
    category = category.upper()
    first = advance(GoldenIdSequence, "last_serial", count, domain=domain, category=category) - count + 1
    prefix = f"{rule.prefix}-{category}-" if category else f"{rule.prefix}-"
    return [f"{prefix}{serial:0{rule.digits}d}" for serial in range(first, first + count)]


class _Released(Mapping[str, Any]):
    """A member's attributes after golden_plan(release=True): reading them is a bug."""

    def _fail(self, *args: Any) -> Any:
        raise InternalError("golden plan: these attributes were released once planned")

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
    revive: Mapping[int, int] | None = None,
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

    `revive`: retired golden records (pk -> the active one they are split back off, an
    unmerge) that take their desired members and become active again, with their own ID.

    With `release`, each member in `members` (a dict) gives up its attributes once its
    golden record is planned: a batch run's records shrink as its plan grows, where holding
    both took a gigabyte more at a million records.
    """
    retire = retire or {}
    split_from = split_from or {}
    revive = dict(revive or {})
    plan = GoldenPlan(domain=domain, retire=dict(retire), revive=revive)
    touched = _plan_moves(plan, desired, current, leave)
    planner = _Targets(
        declaration=get_domain(domain), members=members, goldens=goldens, trust=trust, retire=retire,
        absorbed=absorbed or {}, split_from=split_from, origins=set(split_from.values()) | set(revive.values()),
        revived=set(revive),
        overrides=overrides or {}, release=release,
    )
    for ref, ids in desired.items():
        touched |= planner.plan(plan, ref, ids)
    for pk, successor in retire.items():
        touched.add(pk)
        if isinstance(successor, int):
            touched.add(successor)
    touched |= planner.origins
    unplanned = {pk for pk in touched if pk not in desired and pk not in retire}
    if unplanned:
        raise InternalError(f"golden plan: members of {sorted(unplanned)} change but they are not planned")
    plan.versions = {pk: goldens[pk].version for pk in sorted(touched)}
    return plan


def _plan_moves(plan: GoldenPlan, desired: Mapping[Ref, Sequence[int]], current: Mapping[int, int | None],
                leave: Iterable[int]) -> set[int]:
    """Fill plan.moves; returns the existing golden records that gain or lose members."""
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
    return touched


@dataclass
class _Targets:
    """Plans each desired golden record: survivorship over its members, a target when its
    state changes, a deletion when it is left without members."""

    declaration: Domain
    members: Mapping[int, Member]
    goldens: Mapping[int, GoldenState]
    trust: Trust
    retire: Mapping[int, Ref]
    absorbed: Mapping[Ref, list[int]]
    split_from: Mapping[str, int]
    origins: set[int]  # golden records a part is split off
    revived: set[int]  # retired golden records a part revives
    overrides: Mapping[Ref, dict[str, Any]]
    release: bool

    def plan(self, plan: GoldenPlan, ref: Ref, ids: Sequence[int]) -> set[int]:
        """Add ref's target or deletion to the plan; returns the existing records it touches."""
        state = self.goldens.get(ref) if isinstance(ref, int) else None
        if isinstance(ref, int) and state is None:
            raise InternalError(f"golden plan: no state given for golden record {ref}")
        if not ids:
            if state is None:
                raise InternalError(f"golden plan: new golden record {ref} has no members")
            if ref in self.retire:
                return set()
            plan.delete.append(ref)  # type: ignore[arg-type]
            return {ref}  # type: ignore[arg-type]
        kept = dict(self.overrides.get(ref, state.overrides if state else {}))
        attributes, lineage = survive(self.declaration, [self.members[i] for i in ids], trust=self.trust,
                                      overrides=kept)
        if self.release:
            for i in ids:
                self.members[i] = replace(self.members[i], attributes=RELEASED)  # type: ignore[index]
        forced = bool(self.absorbed.get(ref)) or ref in self.origins or ref in self.revived
        if state is not None and not forced and (attributes, lineage, kept) == (
            state.attributes, state.lineage, state.overrides
        ):
            return set()
        category_attribute = self.declaration.golden_id.category_attribute
        plan.targets.append(GoldenTarget(
            ref=ref,
            members=list(ids),
            attributes=attributes,
            lineage=bulk.JSONText.of(lineage),  # only written from here on
            overrides=kept,
            category=str(attributes.get(category_attribute) or "") if category_attribute else "",
            split_from=self.split_from.get(ref) if isinstance(ref, str) else None,
            absorbed=list(self.absorbed.get(ref, [])),
        ))
        return {ref} if state is not None else set()  # type: ignore[return-value]


@transaction.atomic
def golden_plan_apply(*, plan: GoldenPlan, change: Change) -> AppliedPlan:
    """Write a plan: new golden records (IDs from golden_ids_allocate), changed ones,
    retirements, deletions and memberships, in bulk, each with its history row, and one
    change event per golden record per new version plus one `golden.remapped` per source
    record whose golden record changes (so the feed replays the cross-reference).

    Raises StalePlan when a golden record the plan touches changed since it was planned.
    """
    golden_domain_lock(plan.domain)
    write = _Write(plan, change, _lock_unchanged(plan))
    split_into = write.create()
    changed = write.update(split_into)
    write.end(changed)
    history.bulk_update(GoldenRecord, list(changed.values()), _GOLDEN_UPDATED, change)
    # memberships, then their events (after the golden events they refer to)
    write.result.moved = _move_members(plan, write.pks, write.result.golden_ids, write.versions, change,
                                       write.events)
    write.events.flush()
    write.result.events = write.events.count
    return write.result


def _lock_unchanged(plan: GoldenPlan) -> dict[int, dict[str, Any]]:
    """Lock the golden records the plan touches (in pk order, a chunk at a time: a
    statement has a bounded number of parameters); StalePlan if any changed since."""
    touched = sorted(plan.versions)
    locked = {
        row["id"]: row
        for start in range(0, len(touched), MEMBER_CHUNK)
        for row in GoldenRecord.objects.select_for_update()
        .filter(pk__in=touched[start : start + MEMBER_CHUNK])
        .order_by("pk")
        .values(*GOLDEN_FIELDS)
    }
    expected = {pk: GoldenRecord.Status.RETIRED if pk in plan.revive else GoldenRecord.Status.ACTIVE
                for pk in plan.versions}
    stale = sorted(
        pk for pk, version in plan.versions.items()
        if pk not in locked or locked[pk]["version"] != version or locked[pk]["status"] != expected[pk]
    )
    if stale:
        raise StalePlan(f"golden records changed since the plan was made: {stale[:10]}")
    return locked


class _Write:
    """The golden-record part of applying a plan, step by step, with its events."""

    def __init__(self, plan: GoldenPlan, change: Change, locked: dict[int, dict[str, Any]]):
        self.plan, self.change, self.locked = plan, change, locked
        self.now = timezone.now()
        self.result = AppliedPlan(golden_ids={pk: row["golden_id"] for pk, row in locked.items()})
        self.pks: dict[Ref, int] = {pk: pk for pk in locked}
        self.versions: dict[int, int] = {pk: row["version"] for pk, row in locked.items()}
        self.events = EventStream({"domain": plan.domain, "actor": change.actor, "operation": change.operation,
                                   "created_at": self.now})

    def create(self) -> dict[int, list[str]]:
        """New golden records, their IDs allocated per category in a fixed order; returns
        the IDs split off each existing golden record."""
        plan, result = self.plan, self.result
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
        history.bulk_create(GoldenRecord, rows, self.change, common={
            "domain": plan.domain, "status": GoldenRecord.Status.ACTIVE, "successor_id": None, "version": 1,
            "created_at": self.now, "updated_at": self.now,
        })
        split_into: dict[int, list[str]] = defaultdict(list)
        for target, row in zip(new, rows, strict=True):
            self.pks[target.ref] = row["id"]
            self.versions[row["id"]] = 1
            payload: dict[str, Any] = {"attributes": target.attributes}
            if target.split_from is not None:
                split_into[target.split_from].append(result.golden_ids[target.ref])
                payload["split_from"] = result.golden_ids[target.split_from]
            self.events.add(golden_event(ChangeEvent.Kind.GOLDEN_CREATED, result.golden_ids[target.ref], 1, payload))
        result.created = len(new)
        return split_into

    def update(self, split_into: Mapping[int, list[str]]) -> dict[int, bulk.Row]:
        """Existing golden records: new state, merges into them, splits from them."""
        changed: dict[int, bulk.Row] = {}
        existing = {t.ref: t for t in self.plan.targets if isinstance(t.ref, int)}
        split_into = {pk: list(ids) for pk, ids in split_into.items()}
        for pk, origin in sorted(self.plan.revive.items()):
            split_into.setdefault(origin, []).append(self.locked[pk]["golden_id"])
        for pk in sorted(set(existing) | set(split_into)):
            row = dict(self.locked[pk])
            target = existing.get(pk)
            names: list[str] = []
            if target is not None:
                names = sorted(
                    name for name in set(row["attributes"]) | set(target.attributes)
                    if row["attributes"].get(name) != target.attributes.get(name)
                )
                row.update(attributes=target.attributes, lineage=target.lineage, overrides=target.overrides)
            row.update(version=row["version"] + 1, updated_at=self.now)
            changed[pk] = row
            self.versions[pk] = row["version"]
            payload = {"attributes": row["attributes"], "changed": names}
            kind = ChangeEvent.Kind.GOLDEN_UPDATED
            if target is not None and target.absorbed:
                kind = ChangeEvent.Kind.GOLDEN_MERGED
                payload["retired"] = [self.result.golden_ids[p] for p in target.absorbed]
            elif pk in self.plan.revive:  # an unmerge: the retired ID is active again
                row.update(status=GoldenRecord.Status.ACTIVE, successor_id=None)
                kind = ChangeEvent.Kind.GOLDEN_REVIVED
                payload["unmerged_from"] = self.locked[self.plan.revive[pk]]["golden_id"]
            elif pk in split_into:
                kind = ChangeEvent.Kind.GOLDEN_SPLIT
                payload["split_into"] = split_into[pk]
            self.events.add(golden_event(kind, row["golden_id"], row["version"], payload))
        self.result.updated = len(changed)
        return changed

    def end(self, changed: dict[int, bulk.Row]) -> None:
        """Retirements (into a successor: the ID still resolves) and deletions."""
        plan, locked = self.plan, self.locked
        for pk, successor in sorted(plan.retire.items()):
            row = changed.get(pk) or dict(locked[pk])
            row.update(status=GoldenRecord.Status.RETIRED, successor_id=self.pks[successor],
                       version=locked[pk]["version"] + 1, updated_at=self.now)
            changed[pk] = row
            self.versions[pk] = row["version"]
            self.events.add(golden_event(ChangeEvent.Kind.GOLDEN_RETIRED, row["golden_id"], row["version"],
                                         {"status": "retired", "successor": self.result.golden_ids[successor]}))
        for pk in sorted(plan.delete):
            row = dict(locked[pk])
            row.update(status=GoldenRecord.Status.DELETED, version=row["version"] + 1, updated_at=self.now)
            changed[pk] = row
            self.versions[pk] = row["version"]
            self.events.add(golden_event(ChangeEvent.Kind.GOLDEN_RETIRED, row["golden_id"], row["version"],
                                         {"status": "deleted", "successor": None}))
        self.result.retired, self.result.deleted = len(plan.retire), len(plan.delete)


def _move_members(plan: GoldenPlan, pks: Mapping[Ref, int], golden_ids: dict[Ref, str],
                  versions: Mapping[int, int], change: Change, events: EventStream) -> int:
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


# --- state reads a plan needs (small sets: one operation's golden records) ---


def source_system_trust() -> dict[str, dict[str, Any]]:
    """Trust ranks per system code (SourceSystem.trust), for survivorship."""
    return {code: trust or {} for code, trust in SourceSystem.objects.values_list("code", "trust")}


def member_from_values(row: Mapping[str, Any]) -> Member:
    """A survivorship member of a source record read with selectors.MEMBER_VALUES."""
    return Member(
        id=row["id"], system=row["system__code"], key=row["source_key"], profile=row["profile"],
        attributes=row["attributes"], received_at=row["received_at"], updated_at=row["updated_at"],
    )


def golden_state(row: Mapping[str, Any]) -> GoldenState:
    return GoldenState(
        pk=row["id"], golden_id=row["golden_id"], version=row["version"], status=row["status"],
        attributes=row["attributes"], lineage=row["lineage"], overrides=row["overrides"],
    )


def golden_states(pks: Iterable[int]) -> dict[int, GoldenState]:
    rows = GoldenRecord.objects.filter(pk__in=list(pks)).values(*GOLDEN_FIELDS)
    return {row["id"]: golden_state(row) for row in rows}


def live_members(golden_pks: Iterable[int]) -> dict[int, list[Member]]:
    """Live members of each golden record, in id order."""
    return {pk: [member_from_values(row) for row in rows] for pk, rows in live_member_rows(golden_pks).items()}
