"""Checks of the hub's invariants, for `manage.py check_integrity` and the tests.

Each check returns human-readable problems (empty when the invariant holds). They read
with aggregate queries, so they run on a full hub without loading it into memory.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, Max, Min, Q

from mdm.models import ChangeEvent, FeedCounter, GoldenRecord, SourceRecord

LIMIT = 20  # problems listed per check; the count says how many there are


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
    counter = FeedCounter.objects.get(pk=1).last_sequence
    problems = []
    if stats["n"] and (stats["low"] != 1 or stats["high"] != stats["n"]):
        problems.append(
            f"change feed has {stats['n']} events numbered {stats['low']}..{stats['high']}: gaps"
        )
    if counter != (stats["high"] or 0):
        problems.append(f"feed counter is {counter} but the last event is {stats['high'] or 0}")
    return problems


def check_retired_golden_records_resolve() -> list[str]:
    """Every retired golden ID leads, through successors, to an active record."""
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
    """No live source record belongs to a retired golden record."""
    stale = SourceRecord.objects.filter(is_deleted=False, golden__status=GoldenRecord.Status.RETIRED)
    return [
        f"source record {pk} ({key}) belongs to retired golden record {golden}"
        for pk, key, golden in stale.values_list("id", "source_key", "golden__golden_id")
    ]


CHECKS: list[Callable[[], list[str]]] = [
    check_history_matches_versions,
    check_feed_is_contiguous,
    check_retired_golden_records_resolve,
    check_members_point_to_active_golden_records,
]


def run_checks() -> dict[str, list[str]]:
    return {check.__name__.removeprefix("check_"): check() for check in CHECKS}
