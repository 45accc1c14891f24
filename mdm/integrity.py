"""Checks of the core's invariants, for `manage.py check_integrity` and the tests.

Each check returns human-readable problems (empty when the invariant holds). They read
with aggregate queries, or stream in chunks, so they run on a full hub without loading it
into memory.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery

from mdm.models import (
    ChangeEvent,
    FeedCounter,
    GoldenIdSequence,
    GoldenRecord,
    MatchRun,
    PairConstraint,
    SourceRecord,
)

LIMIT = 20  # problems listed per check; the count says how many there are
CHUNK = 1000  # golden records whose lineage is checked per query


def check_history_matches_versions() -> list[str]:
    """Every source record has one history row per version, each with actor and operation."""
    counts = (
        SourceRecord.history.values("id").annotate(n=Count("history_id")).values_list("id", "n")
    )
    history = dict(counts)
    problems = [
        f"source record {pk} ({key}) is at version {version} but has {history.get(pk, 0)} history rows"
        for pk, key, version in SourceRecord.objects.values_list("id", "source_key", "version").iterator()
        if history.get(pk, 0) != version
    ]
    anonymous = SourceRecord.history.filter(Q(history_actor="") | Q(history_operation=None)).count()
    if anonymous:
        problems.append(f"{anonymous} source-record history rows lack an actor or operation")
    return problems


def check_feed_is_contiguous() -> list[str]:
    """Sequence numbers run 1..N without gaps and the counter stands at N."""
    stats = ChangeEvent.objects.aggregate(n=Count("id"), low=Min("sequence"), high=Max("sequence"))
    counter = FeedCounter.objects.filter(pk=1).values_list("last_sequence", flat=True).first() or 0
    problems = []
    if stats["n"] and (stats["low"] != 1 or stats["high"] != stats["n"]):
        problems.append(
            f"change feed has {stats['n']} events numbered {stats['low']}..{stats['high']}: gaps"
        )
    if counter != (stats["high"] or 0):
        problems.append(f"feed counter is {counter} but the last event is {stats['high'] or 0}")
    return problems


def check_retired_golden_records_resolve() -> list[str]:
    """Every retired golden ID leads, through successors, to a record that is not retired:
    active, or deleted (every source record of the entity was deleted since)."""
    successors = dict(
        GoldenRecord.objects.filter(status=GoldenRecord.Status.RETIRED).values_list(
            "id", "successor_id"
        )
    )
    problems = []
    for start in successors:
        seen, current = {start}, successors[start]
        while current in successors:
            if current in seen:
                problems.append(f"golden record {start} has a successor cycle")
                break
            seen.add(current)
            current = successors[current]
    return problems


def check_members_point_to_active_golden_records() -> list[str]:
    """No live source record belongs to a retired or deleted golden record, and every live
    record that was there when its domain was last matched belongs to one (records that
    arrived since wait for the next run)."""
    stale = SourceRecord.objects.filter(is_deleted=False, golden__isnull=False).exclude(
        golden__status=GoldenRecord.Status.ACTIVE
    )
    problems = [
        f"source record {pk} ({key}) belongs to {status} golden record {golden}"
        for pk, key, golden, status in stale.values_list(
            "id", "source_key", "golden__golden_id", "golden__status"
        )[:LIMIT]
    ]
    last_run = MatchRun.objects.filter(domain=OuterRef("domain"), status=MatchRun.Status.COMPLETED)
    unmatched = (
        SourceRecord.objects.filter(is_deleted=False, golden__isnull=True)
        .annotate(matched_at=Subquery(last_run.order_by("-started_at").values("started_at")[:1]))
        .filter(updated_at__lt=F("matched_at"))
    )
    problems += [
        f"source record {pk} ({key}) was matched but belongs to no golden record"
        for pk, key in unmatched.values_list("id", "source_key")[:LIMIT]
    ]
    return problems


def check_golden_history_matches_versions() -> list[str]:
    """Every golden record has one history row per version, and every active one has a
    live member (a record whose members are all deleted is deleted itself)."""
    history = dict(GoldenRecord.history.values("id").annotate(n=Count("history_id")).values_list("id", "n"))
    problems = [
        f"golden record {golden_id} is at version {version} but has {history.get(pk, 0)} history rows"
        for pk, golden_id, version in GoldenRecord.objects.values_list("id", "golden_id", "version").iterator()
        if history.get(pk, 0) != version
    ]
    empty = GoldenRecord.objects.filter(status=GoldenRecord.Status.ACTIVE).annotate(
        live=Count("members", filter=Q(members__is_deleted=False))
    ).filter(live=0)
    problems += [
        f"active golden record {g} has no live source record"
        for g in empty.values_list("golden_id", flat=True)[:LIMIT]
    ]
    return problems


def check_golden_ids_are_never_reused() -> list[str]:
    """Every golden ID follows its domain's coding rule and lies within its sequence, so the
    sequence (which only grows) never hands it out again."""
    last = {(d, c): n for d, c, n in GoldenIdSequence.objects.values_list("domain", "category", "last_serial")}
    problems = []
    for domain, golden_id in GoldenRecord.objects.values_list("domain", "golden_id").iterator():
        match = re.match(r"^[A-Z0-9]+-(?:(.+)-)?(\d+)$", golden_id)
        if match is None:
            problems.append(f"golden ID {golden_id} does not follow the coding rule")
        elif int(match.group(2)) > last.get((domain, match.group(1) or ""), 0):
            problems.append(f"golden ID {golden_id} lies beyond its sequence")
    return problems


def check_golden_attributes_trace_to_members() -> list[str]:
    """Every golden attribute value is the value of the lineage's source record, a live
    member, or of a live steward override."""
    problems: list[str] = []
    goldens = GoldenRecord.objects.filter(status=GoldenRecord.Status.ACTIVE).order_by("id")
    last = 0
    while len(problems) < LIMIT:
        fields = ("id", "golden_id", "attributes", "lineage", "overrides")
        chunk = list(goldens.filter(id__gt=last).values(*fields)[:CHUNK])
        if not chunk:
            break
        last = chunk[-1]["id"]
        members: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        rows = SourceRecord.objects.filter(golden_id__in=[g["id"] for g in chunk], is_deleted=False)
        for pk, golden, attributes in rows.values_list("id", "golden_id", "attributes"):
            members[golden][pk] = attributes
        for golden in chunk:
            problems += _lineage_problems(golden, members[golden["id"]])
    return problems


def _lineage_problems(golden: dict[str, Any], members: dict[int, dict[str, Any]]) -> list[str]:
    problems = []
    for name, value in golden["attributes"].items():
        base, _, part = name.partition("__")
        source = golden["lineage"].get(base)
        where = f"golden record {golden['golden_id']} {name}"
        if source is None:
            problems.append(f"{where} has no lineage")
        elif source.get("override"):
            override = golden["overrides"].get(base)
            expected = None if override is None else (override["parts"].get(part) if part else override["value"])
            if expected != value:
                problems.append(f"{where} names an override that is not live")
        elif source.get("record") not in members:
            problems.append(f"{where} comes from source record {source.get('record')}, not a live member")
        elif members[source["record"]].get(name) != value:
            problems.append(f"{where} is {value!r}, its source record holds {members[source['record']].get(name)!r}")
    return problems


def check_steward_rulings_hold() -> list[str]:
    """No cannot-link pair of live records is in one golden record; every must-link pair is."""
    live = PairConstraint.objects.filter(left__is_deleted=False, right__is_deleted=False)
    apart = live.filter(
        kind=PairConstraint.Kind.CANNOT_LINK, left__golden__isnull=False, left__golden=F("right__golden")
    )
    together = live.filter(kind=PairConstraint.Kind.MUST_LINK).exclude(left__golden=F("right__golden"))
    pairs = ("left_id", "right_id")
    return [f"cannot-link pair {a}~{b} is in one golden record" for a, b in apart.values_list(*pairs)[:LIMIT]] + [
        f"must-link pair {a}~{b} is in two golden records" for a, b in together.values_list(*pairs)[:LIMIT]
    ]


CHECKS: list[Callable[[], list[str]]] = [
    check_history_matches_versions,
    check_feed_is_contiguous,
    check_retired_golden_records_resolve,
    check_members_point_to_active_golden_records,
    check_golden_history_matches_versions,
    check_golden_ids_are_never_reused,
    check_golden_attributes_trace_to_members,
    check_steward_rulings_hold,
]


def run_checks(checks: list[Callable[[], list[str]]] = CHECKS) -> dict[str, list[str]]:
    """Each check's problems by name (matching.integrity adds the checks of its key index)."""
    return {check.__name__.removeprefix("check_"): check() for check in checks}
