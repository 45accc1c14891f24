"""Steward rulings: must-link (one entity) and cannot-link (never one golden record).

A decision is law for every later run and arrival. Rulings are checked as a whole, not
pair by pair: must-links chain (A=B and B=C make A=C), so a must-link that would put a
cannot-linked pair in one chain is refused, and so is a cannot-link between two records
one chain of must-links joins. Chains run through deleted records too: a deleted record's
rulings have no effect while it is deleted, but they come back when its source sends it
again, and must not then contradict each other. A manual split overrules the must-links
that chain its parts together, through deleted records as well.

`Chains` is the one implementation of those chains: the steward services check decisions
with it, match runs (`live_rulings`) and real-time matching (`record_rulings`) read the
rulings of live records through it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable, Sequence
from itertools import pairwise

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mdm import bulk, history
from mdm.components import Components
from mdm.errors import DecisionConflict
from mdm.history import Change
from mdm.models import MergeProposal, PairConstraint, SourceRecord

MSG_APART = "source records {left} and {right} were ruled apart (cannot-link): {what} would join them"
MSG_TOGETHER = "source records {left} and {right} were ruled one entity (must-link): {what} would part them"
CHUNK = 500  # record ids per query when following rulings

Pair = tuple[int, int]


def ordered(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def constraints_among(ids: Iterable[int], kind: str | None = None) -> list[tuple[str, int, int]]:
    """Rulings whose two records are both in `ids`."""
    ids = set(ids)
    found = []
    for chunk in _chunks(sorted(ids)):
        rows = PairConstraint.objects.filter(left_id__in=chunk)
        if kind:
            rows = rows.filter(kind=kind)
        found += [row for row in rows.values_list("kind", "left_id", "right_id") if row[2] in ids]
    return found


class Chains(Components):
    """Must-link chains (connected components) over records of a domain, live or deleted:
    `around` some records (read from the rulings, with `extra` links added and `skip`
    links left out) or `of` given links."""

    def __init__(self, links: Iterable[Pair] = ()) -> None:
        super().__init__()
        self.edges: dict[int, set[int]] = defaultdict(set)
        self.records: set[int] = set()
        for a, b in links:
            self.link(a, b)

    def link(self, a: int, b: int) -> None:
        self.edges[a].add(b)
        self.edges[b].add(a)
        self.records |= {a, b}
        self.union(a, b)

    @classmethod
    def around(cls, seeds: Iterable[int], *, extra: Iterable[Pair] = (), skip: Iterable[Pair] = ()) -> Chains:
        chains = cls()
        skipped = set(skip)
        extra = list(extra)
        seen = set(seeds) | {x for pair in extra for x in pair}
        frontier = sorted(seen)
        while frontier:
            found: set[int] = set()
            for chunk in _chunks(frontier):
                rows = PairConstraint.objects.filter(kind=PairConstraint.Kind.MUST_LINK).filter(
                    Q(left_id__in=chunk) | Q(right_id__in=chunk)
                )
                for a, b in rows.values_list("left_id", "right_id"):
                    if (a, b) not in skipped:
                        chains.edges[a].add(b)
                        chains.edges[b].add(a)
                        found |= {a, b} - seen
            seen |= found
            frontier = sorted(found)
        chains.records = seen
        for a, b in [*extra, *((x, y) for x in chains.edges for y in chains.edges[x])]:
            chains.union(a, b)
        return chains

    def chain(self, start: int) -> set[int]:
        root = self.find(start)
        return {x for x in self.records if self.find(x) == root}

    def broken_by(self) -> tuple[int, int] | None:
        """A cannot-linked pair inside one chain, if any."""
        for _, a, b in constraints_among(self.records, PairConstraint.Kind.CANNOT_LINK):
            if self.find(a) == self.find(b):
                return a, b
        return None

    def cut(self, sides: dict[int, int], what: str) -> list[Pair]:
        """The must-links to overrule so that no chain joins records of different `sides`
        (record -> side) through deleted records: records joined by must-links among live
        records stay together (a DecisionConflict if they are on different sides: they
        are one entity to the steward's eyes), every other record chained to a side joins
        the nearest one, and the links between sides are cut (each has a deleted end)."""
        live = set()
        for chunk in _chunks(sorted(self.records)):
            live |= set(SourceRecord.objects.filter(pk__in=chunk, is_deleted=False).values_list("id", flat=True))
        units = Components()
        links = [(a, b) for a in self.edges for b in self.edges[a] if a < b]
        for a, b in links:
            if a in live and b in live:
                units.union(a, b)
        side: dict[int, int] = {}
        for sid, at in sorted(sides.items()):
            root = units.find(sid)
            if side.setdefault(root, at) != at:
                other = next(x for x, s in sorted(sides.items()) if s == side[root] and units.find(x) == root)
                raise DecisionConflict(MSG_TOGETHER.format(left=min(sid, other), right=max(sid, other), what=what))
        neighbours: dict[int, set[int]] = defaultdict(set)
        for a, b in links:
            ua, ub = units.find(a), units.find(b)
            if ua != ub:
                neighbours[ua].add(ub)
                neighbours[ub].add(ua)
        frontier = sorted(side)
        while frontier:  # every unit chained to a side joins the nearest one
            reached = []
            for unit in frontier:
                for other in sorted(neighbours[unit]):
                    if other not in side:
                        side[other] = side[unit]
                        reached.append(other)
            frontier = reached
        return sorted((a, b) for a, b in links if side[units.find(a)] != side[units.find(b)])


@transaction.atomic
def pair_constraints_add(
    *,
    domain: str,
    kind: str,
    pairs: Iterable[Pair],
    reason: str,
    change: Change,
    proposal: MergeProposal | None = None,
    overrule: bool = False,
    what: str = "this decision",
) -> int:
    """Record steward rulings on pairs of source records; returns how many were new or
    changed. A pair already ruled the same way is left alone; one ruled the other way is
    a DecisionConflict unless `overrule` (a manual split overruling an earlier merge).
    A must-link that would chain a cannot-linked pair together, or a cannot-link between
    two records one chain of must-links joins, is a DecisionConflict too (see the module
    docstring); with `overrule` the caller cuts those chains itself."""
    wanted = sorted({ordered(a, b) for a, b in pairs if a != b})
    if not wanted:
        return 0
    lefts = {a for a, _ in wanted}
    existing = {
        (row["left_id"], row["right_id"]): row
        for row in PairConstraint.objects.filter(left_id__in=lefts).values()
        if (row["left_id"], row["right_id"]) in set(wanted)
    }
    now = timezone.now()
    new: list[bulk.Row] = []
    flipped: list[bulk.Row] = []
    for left, right in wanted:
        row = existing.get((left, right))
        if row is None:
            new.append(
                {
                    "id": None,
                    "domain": domain,
                    "kind": kind,
                    "left_id": left,
                    "right_id": right,
                    "reason": reason,
                    "created_by": change.actor,
                    "proposal_id": proposal.pk if proposal else None,
                    "created_at": now,
                }
            )
        elif row["kind"] != kind:
            if not overrule:
                message = MSG_APART if row["kind"] == PairConstraint.Kind.CANNOT_LINK else MSG_TOGETHER
                raise DecisionConflict(message.format(left=left, right=right, what="this decision"))
            row.update(kind=kind, reason=reason, created_by=change.actor, proposal_id=proposal.pk if proposal else None)
            flipped.append(row)
    if kind == PairConstraint.Kind.MUST_LINK:
        broken = Chains.around([], extra=wanted).broken_by()
        if broken:
            raise DecisionConflict(MSG_APART.format(left=broken[0], right=broken[1], what=what))
    elif not overrule:
        chains = Chains.around({x for pair in wanted for x in pair})
        for left, right in wanted:
            if chains.find(left) == chains.find(right):
                raise DecisionConflict(MSG_TOGETHER.format(left=left, right=right, what=what))
    history.bulk_create(PairConstraint, new, change)
    history.bulk_update(PairConstraint, flipped, ["kind", "reason", "created_by", "proposal"], change)
    return len(new) + len(flipped)




# --- rulings as the matchers read them: pairs of live records ------------------------------


def live_rulings(domain: str, live: Container[int]) -> tuple[list[Pair], list[Pair]]:
    """The domain's rulings as pairs of live records (`live`), for a match run. A must-link
    chain holds through deleted records (A = B and B = C keep A and C together when B is
    deleted): each chain's live records are linked in a row; a cannot-link with a deleted
    end applies to the first live record of that end's chain."""
    rulings = list(PairConstraint.objects.filter(domain=domain).values_list("kind", "left_id", "right_id"))
    chains = Chains((a, b) for kind, a, b in rulings if kind == PairConstraint.Kind.MUST_LINK)
    linked: dict[int, list[int]] = defaultdict(list)
    for sid in sorted(chains.records):
        if sid in live:
            linked[chains.find(sid)].append(sid)
    must = [pair for ids in linked.values() for pair in pairwise(ids)]

    def as_live(sid: int) -> int | None:
        if sid in live:
            return sid
        ids = linked.get(chains.find(sid)) if sid in chains.records else None
        return ids[0] if ids else None

    cannot = set()
    for kind, left, right in rulings:
        if kind != PairConstraint.Kind.MUST_LINK:
            a, b = as_live(left), as_live(right)
            if a is not None and b is not None and a != b:
                cannot.add(ordered(a, b))
    return must, sorted(cannot)


def chain_golden(goldens: Iterable[int]) -> int | None:
    """The golden record a record joins for its must-link chain, given the golden record of
    each live chain member that has one: the one most of them are in (on a tie the oldest).
    Real-time matching and a restored record follow this one rule."""
    counts: dict[int, int] = defaultdict(int)
    for g in goldens:
        counts[g] += 1
    return min(counts, key=lambda g: (-counts[g], g)) if counts else None


def record_rulings(pk: int) -> tuple[set[int], set[int]]:
    """The live records one source record is ruled one entity with (its must-link chain)
    and ruled apart from (the chain of every record a cannot-link of its chain names), for
    real-time matching: the same chains a match run reads (`live_rulings`)."""
    chains = Chains.around([pk])
    chain = chains.chain(pk)
    rows = []
    for chunk in _chunks(sorted(chain)):
        rows += PairConstraint.objects.filter(kind=PairConstraint.Kind.CANNOT_LINK).filter(
            Q(left_id__in=chunk) | Q(right_id__in=chunk)
        ).values_list("left_id", "right_id")
    others = {b if a in chain else a for a, b in rows}
    apart_chains = Chains.around(others)
    apart = set().union(*(apart_chains.chain(x) for x in others)) if others else set()
    live = set()
    for chunk in _chunks(sorted(chain | apart)):
        live |= set(SourceRecord.objects.filter(pk__in=chunk, is_deleted=False).values_list("id", flat=True))
    return (chain & live) - {pk}, apart & live
