"""Golden-record edits: merge, split, retire, assign, override, recompute.

Each builds a small GoldenPlan (services.plans) and applies it in one transaction under
the domain's golden-record lock, so it writes history and change events the way a match
run does. The steward decisions (services.decisions) and real-time matching call these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mdm.domains import get_domain
from mdm.errors import GoldenRecordError, ReasonRequired
from mdm.history import Change
from mdm.models import GoldenRecord, SourceRecord
from mdm.selectors import MEMBER_VALUES
from mdm.services.locks import golden_domain_lock
from mdm.services.plans import (
    AppliedPlan,
    Ref,
    golden_plan,
    golden_plan_apply,
    golden_states,
    live_members,
    member_from_values,
    source_system_trust,
)
from mdm.standardize import standardize
from mdm.survivorship import Member, survive

MSG_NOT_ACTIVE = "golden record {golden_id} is {status}, not active"
MSG_NOT_PARTITION = "the parts must split the live members of {golden_id} into two or more non-empty groups"
MSG_HAS_MEMBERS = "golden record {golden_id} still has {count} live source records: merge or reassign them"
MSG_NOT_RETIRED = "golden record {golden_id} is {status}: only a retired record can be revived"
MSG_NOT_LIVE = "source record {pk} is not a live {domain} record"


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
    overrides: dict[Ref, dict[str, Any]] | None = None, revive: dict[int, int] | None = None,
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
    for pk, remaining in live_members(losers).items():
        desired[pk] = [m.id for m in remaining if m.id not in wanted]
        members.update({m.id: m for m in remaining})
        current.update({m.id: pk for m in remaining})
    existing = {r for r in desired if isinstance(r, int)} | set(retire or {}) | {
        s for s in (retire or {}).values() if isinstance(s, int)
    }
    plan = golden_plan(
        domain=domain, desired=desired, members=members, current=current,
        goldens=golden_states(existing), trust=source_system_trust(), retire=retire,
        absorbed=absorbed, split_from=split_from, overrides=overrides, revive=revive,
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
    states = {pk: s for pk, s in golden_states(pks).items() if s.status == GoldenRecord.Status.ACTIVE}
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
    members = live_members([golden.pk])[golden.pk]
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
    members = live_members([survivor.pk, *(g.pk for g in others)])
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
    live = {m.id for m in live_members([golden.pk])[golden.pk]}
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
def golden_record_revive(
    *, golden: GoldenRecord, retired: GoldenRecord, members: Sequence[int], change: Change
) -> GoldenRecord:
    """Split `members` off active `golden` back into `retired` (an unmerge): the retired
    record becomes active again with its own golden ID, its successor pointer cleared, and
    both are recomputed from their live members (the retired one keeps its overrides). The
    feed gets a `golden.revived` event for it and a `golden.split` one for `golden`."""
    golden_domain_lock(golden.domain)
    _refresh(golden)
    _refresh(retired)
    _require_active(golden)
    if retired.status != GoldenRecord.Status.RETIRED or retired.domain != golden.domain:
        raise GoldenRecordError(MSG_NOT_RETIRED.format(golden_id=retired.golden_id, status=retired.status))
    live = {m.id for m in live_members([golden.pk])[golden.pk]}
    part = set(members)
    if not part or not part < live:
        raise GoldenRecordError(MSG_NOT_PARTITION.format(golden_id=golden.golden_id))
    _apply_membership(domain=golden.domain, desired={golden.pk: sorted(live - part), retired.pk: sorted(part)},
                      revive={retired.pk: golden.pk}, change=change)
    return _refresh(retired)


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
    states = golden_states([golden.pk] + ([successor.pk] if successor else []))
    plan = golden_plan(
        domain=golden.domain,
        desired={golden.pk: []},
        members={},
        current=dict.fromkeys(leaving, golden.pk),
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
        for pk, members in live_members(targets).items()
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
    if not reason.strip():
        raise ReasonRequired("an override needs a reason")
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
    members = live_members([golden.pk])[golden.pk]
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
    members = live_members([golden.pk])[golden.pk]
    _apply_membership(domain=golden.domain, desired={golden.pk: [m.id for m in members]},
                      overrides={golden.pk: overrides}, change=change)
    return _refresh(golden)


def golden_records_merge_preview(goldens: Sequence[GoldenRecord]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What merging these golden records would give (attributes, lineage): survivorship
    over all their live members with the survivor's overrides first, as golden_record_merge
    would compute it. Reads only."""
    if not goldens:
        return {}, {}
    members = live_members([g.pk for g in goldens])
    overrides: dict[str, Any] = {}
    for golden in sorted(goldens, key=lambda g: (-len(members[g.pk]), g.pk)):
        for name, value in golden.overrides.items():
            overrides.setdefault(name, value)
    return survive(get_domain(goldens[0].domain), [m for ms in members.values() for m in ms],
                   trust=source_system_trust(), overrides=overrides)
