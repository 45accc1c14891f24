"""Real-time matching: one record against the stored ones, without re-running the batch.

    decision = record_match(record=record, actor="system:crm")   # attach / propose / create
    result = search("customer", {"name": "华为技术有限公司", "phone": "0755-28780808"})  # .matches

Candidates come from the blocking-key index (matching.keys): the live records that share a
blocking key with the arriving one and belong to a golden record. Each is scored in pure
Python with the model's parameters (matching.scoring, equal to Splink's match weights),
with an early exit once a pair cannot reach the lower threshold; Splink's own per-pair
call costs thousands of times more (docs/benchmarks.md). A golden record's strength is its
strongest pair. An arrival is scored against at most the domain's `max_candidates` records:
when its keys bring more, the most common keys are left out (a switchboard phone thousands
of records share) and the decision names them.

The decision follows the batch run's policy, through the same functions: real time
gathers the arrival's neighbourhood (its candidates, the members of the golden records it
might join, their own candidates where an exclusive link needs them) and asks
matching.clustering and matching.review what a batch run would ask them. It is applied in
one transaction under the usual lock order (the record's source system, the domain's
golden-record lock, the feed counter), through golden_plan / golden_plan_apply like a
batch run, so with history rows and change events:

- attach: to the strongest golden record at or above the upper threshold that it may
  join: no steward cannot-link between the record and any member, and no member in
  conflict with it (clustering.Conflicts; every member is scored, not only those blocking
  found). Failing that, with the domain's `exclusive_links`, to the golden record of a
  member it has an exclusive link with (clustering.exclusive_links over the
  neighbourhood); Decision.exclusive says so. Of two golden records it may attach to, one
  with a record of its system that it does not score at or above the upper threshold with
  comes last (clustering.joins_two_of_one_system: a system holds an entity once). A
  must-link decides before any score (and outweighs a conflict, as in a batch run).
- propose: nothing to attach to, but a golden record in the review band: the record gets
  a new golden record of its own and the stewards a proposal (its strongest pair there).
- create: nothing in the band: a new golden record.
- hold: the golden record it would attach to would grow past the domain's
  `max_cluster_size` (review.too_large), or the active model's weights drifted past
  `max_parameter_drift` from the last applied run's model (review.drift_past_limit): as a
  batch run holds such merges, the record gets a golden record of its own and the
  stewards a held proposal (kind "held"; Decision.withheld says why); a must-link still decides.
- keep: the record already belongs to a golden record it may stay in (a must-link, or a
  pair at or above the upper threshold or an exclusive link with another live member; or
  it is the only member and nothing it may join scores above the upper threshold);
  nothing moves. A record that may not stay leaves (its golden record keeps the others)
  and is matched like a new one; a record alone in its golden record that now matches
  another one moves there, and the emptied golden record retires into it.
- skip: the record is deleted (it left its golden record when the deletion arrived).

Proposals go to every other golden record with a pair at or above the band's floor (the
calibration of the domain's last run, planning.band_floor), unless a cannot-link keeps the
two apart (as in a batch run) or a pending proposal already joins them, strongest first
while the domain's review queue has room under the budget a batch run keeps
(planning.review_budget): the band's pairs past it are held back (Decision.held_back) for
the next run. Each shows its probability through that calibration. Through
services.proposals.proposal_offer, which never touches the domain's other proposals.

Where this differs from a batch run, on purpose, because real-time matching never moves
records other than the one that arrived and never merges golden records silently:
(1) When more than one golden record scores at or above the upper threshold, a batch run
merges them through the new record; real-time matching attaches the record to the
strongest and offers a proposal for each of the others. (2) When a conflict with a member
keeps the record out of a golden record it matches, a batch run may instead take that
member out; real-time matching keeps the record out and names the golden record in
`Decision.held_apart`. (3) A batch run pairs every record sharing a key, however common;
real-time matching leaves out keys past `max_candidates` (Decision.skipped_keys). The next
batch run settles all three.

`search` standardizes a candidate record exactly as an import would, retrieves and scores
candidates the same way and returns the best golden records with the evidence of their
strongest pair; it writes nothing.
"""

from __future__ import annotations

import heapq
import math
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from matching.clustering import Conflicts, exclusive_links, joins_two_of_one_system
from matching.keys import candidates, printable, record_keys, refresh_record_keys
from matching.planning import band_floor, review_budget
from matching.review import drift_past_limit, too_large
from matching.scoring import Evidence, Pair, probability
from matching.selectors import CompiledModel, baseline_run, calibration_in_force, compiled_model
from mdm.components import Components
from mdm.domains import MatchingDefaults, all_domains, get_domain
from mdm.errors import DeclarationError, InvalidInput, RowRejected, SourceRecordNotFound, UnknownDomain
from mdm.history import Change
from mdm.models import GoldenRecord, MatchModel, MergeProposal, PairConstraint, SourceRecord
from mdm.selectors import MEMBER_VALUES, live_member_rows
from mdm.services.locks import domain_write_lock
from mdm.services.plans import (
    GoldenState,
    Ref,
    golden_plan,
    golden_plan_apply,
    golden_states,
    member_from_values,
    source_system_trust,
)
from mdm.services.proposals import Candidate, proposal_offer
from mdm.services.rulings import chain_golden, record_rulings

SEARCH_LIMIT = 10
ATTACH, PROPOSE, CREATE, KEEP, SKIP = "attach", "propose", "create", "keep", "skip"
BAND_MATCH, BAND_REVIEW, BAND_BELOW = "match", "review", "below"
HELD_SIZE, HELD_DRIFT = "size", "drift"
HELD_REASONS = {
    HELD_SIZE: "the golden record is at the domain's max_cluster_size",
    HELD_DRIFT: "the model's weights drifted past max_parameter_drift from the last applied run's",
}

MSG_NO_RECORD = "no source record {pk}"
MSG_UNKNOWN_DOMAIN = "unknown domain {domain!r} (known: {known})"
MSG_NO_VALUES = "search needs attribute values of a {domain} record (attributes: {known})"
MSG_UNKNOWN_ATTRIBUTES = "{domain} records have no attribute {names} (attributes: {known})"
MSG_NOT_A_RECORD = "the values are not a valid {domain} record: {problem}"
MSG_NO_RULES = "the {domain} model declares no blocking rule with columns: nothing to retrieve candidates by"


def indexed_model(domain: str) -> CompiledModel:
    """The domain's active model, which must block on something to retrieve candidates by."""
    model = compiled_model(domain)
    if not model.rules:
        raise DeclarationError(MSG_NO_RULES.format(domain=domain))
    return model


# ---------------------------------------------------------------------------
# Scoring stored records against an arrival
# ---------------------------------------------------------------------------

FEATURE_CACHE = 200_000  # feature rows of stored records kept per process
_FEATURES: dict[tuple[int, int, str], dict[str, Any]] = {}  # (id, version, content hash) -> feature row
_FEATURES_LOCK = threading.Lock()


def _features_of(model: CompiledModel, row: Mapping[str, Any]) -> dict[str, Any]:
    """The feature row of a stored record, computed once per record version and process.
    The version changes whenever the record does, and the content hash names what the
    source sent, so a cached row is never stale, not even for an id a rolled-back
    transaction handed out before."""
    key = (row["id"], row["version"], row["content_hash"])
    found = _FEATURES.get(key)
    if found is None:
        found = model.prepare(row["attributes"], row["system__code"])
        with _FEATURES_LOCK:
            while len(_FEATURES) >= FEATURE_CACHE:
                _FEATURES.pop(next(iter(_FEATURES)), None)
            _FEATURES[key] = found
    return found


def features_cache_clear() -> None:
    with _FEATURES_LOCK:
        _FEATURES.clear()


@dataclass(frozen=True)
class ScoredRecord:
    """One stored record scored against the arriving one."""

    record: int
    golden: int
    weight: float
    evidence: tuple[Evidence, ...]
    label: str  # "system:key"


def _score(model: CompiledModel, frow: dict[str, Any], rows: Iterable[Mapping[str, Any]],
           floor: float | None = None) -> list[ScoredRecord]:
    """Score stored records against a feature row; with `floor`, pairs that cannot reach
    it are left out."""
    out = []
    for row in rows:
        result = model.scorer.score_above(frow, _features_of(model, row), floor)
        if result is not None:
            out.append(ScoredRecord(row["id"], row["golden_id"], result[0], result[1],
                                    f"{row['system__code']}:{row['source_key']}"))
    return out


def _best_by_golden(scored: Iterable[ScoredRecord]) -> dict[int, ScoredRecord]:
    """The strongest pair per golden record (on a tie the smaller record id)."""
    best: dict[int, ScoredRecord] = {}
    for s in scored:
        kept = best.get(s.golden)
        if kept is None or (-s.weight, s.record) < (-kept.weight, kept.record):
            best[s.golden] = s
    return best


def _evidence_json(evidence: Sequence[Evidence]) -> list[dict[str, Any]]:
    return [{"comparison": e.comparison, "level": e.level, "weight": round(e.weight, 4)} for e in evidence]


# ---------------------------------------------------------------------------
# record_match
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A proposal offered to the stewards: the record and a member of another golden record."""

    golden_id: str
    left: int
    right: int
    weight: float
    proposal: int | None  # None: the pair was already pending with this score


@dataclass(frozen=True)
class Decision:
    """What real-time matching did with one record.

    `weight`, `evidence` and `matched` describe the strongest pair with the golden record
    the record was attached to or stays in (or, for a new golden record, the strongest pair
    found at all, if any). `also_matched`: other golden records at or above the upper
    threshold the record could have joined (a batch run would merge them through it; each
    has a proposal, offered now or pending already). `held_apart`: golden records at or
    above the upper threshold that a cannot-link or a conflict kept the record out of."""

    record: int
    action: str
    golden_id: str | None
    previous_golden_id: str | None
    weight: float | None = None
    probability: float | None = None
    evidence: tuple[Evidence, ...] = ()
    matched: int | None = None
    proposals: tuple[Offer, ...] = ()
    also_matched: tuple[str, ...] = ()
    held_apart: tuple[str, ...] = ()
    held_back: tuple[str, ...] = ()  # band pairs the domain's review budget had no room for (the next run's)
    candidates: int = 0
    skipped_keys: tuple[tuple[str, str, int], ...] = ()  # Candidates.skipped
    withheld: str = ""  # why an automatic match was held for the stewards: HELD_SIZE, HELD_DRIFT
    exclusive: bool = False  # joined or stays through an exclusive link, below the upper threshold
    changed: bool = False

    def line(self, label: str = "") -> str:
        who = label or f"record {self.record}"
        text = {
            ATTACH: f"attached to {self.golden_id}",
            PROPOSE: f"new golden record {self.golden_id}, proposed for review",
            CREATE: f"new golden record {self.golden_id}",
            KEEP: f"stays in {self.golden_id}",
            SKIP: "deleted: skipped",
        }[self.action]
        if self.action == ATTACH and self.previous_golden_id and self.previous_golden_id != self.golden_id:
            text += f" (was {self.previous_golden_id})"
        if self.weight is not None:
            text += f", weight {self.weight:+.2f}"
        if self.exclusive:
            text += " (exclusive link: each record the other's only candidate in its system)"
        if self.also_matched:
            text += "; also matches " + ", ".join(self.also_matched) + " (left to a steward)"
        if self.proposals:
            text += "; proposals with " + ", ".join(o.golden_id for o in self.proposals)
        if self.held_apart:
            text += "; kept apart from " + ", ".join(self.held_apart)
        if self.held_back:
            text += "; not proposed with " + ", ".join(self.held_back) + " (the review queue is full)"
        if self.withheld:
            text += f"; held for review ({HELD_REASONS[self.withheld]})"
        if self.skipped_keys:
            text += "; not searched by " + ", ".join(
                f"{rule} {printable(value)} ({n:,} records)" for rule, value, n in self.skipped_keys
            )
        return f"{who}: {text}"


def record_match(
    *,
    record: SourceRecord | int,
    actor: str,
    reason: str = "",
    operation: uuid.UUID | None = None,
) -> Decision:
    """Match one stored source record against the golden records of its domain now, and
    apply the decision (see the module docstring): one transaction, history rows and
    change events through golden_plan_apply, proposals through proposal_offer. Matching a
    record again without a change writes nothing. Raises NoTrainedModel when the domain
    has no trained model, SourceRecordNotFound for an unknown record."""
    pk = record.pk if isinstance(record, SourceRecord) else int(record)
    head = SourceRecord.objects.filter(pk=pk).values("domain", "system_id", "system__code", "source_key").first()
    if head is None:
        raise SourceRecordNotFound(MSG_NO_RECORD.format(pk=pk))
    domain = head["domain"]
    model = indexed_model(domain)
    label = f"{head['system__code']}:{head['source_key']}"
    change = Change(
        actor=actor,
        reason=reason or f"real-time match of {domain} record {label}",
        operation=operation or uuid.uuid4(),
    )
    with transaction.atomic():
        domain_write_lock(domain, systems=[head["system_id"]])
        return _Arrival(pk, model, change).decide()


class _Arrival:
    """One record's real-time match, step by step: its neighbourhood, the golden record it
    joins or stays in (or none), holds, the plan applied, proposals offered."""

    def __init__(self, pk: int, model: CompiledModel, change: Change):
        self.pk, self.model, self.change = pk, model, change
        self.domain = model.domain
        self.limits: MatchingDefaults = get_domain(self.domain).matching
        self.upper, self.lower = model.thresholds["upper"], model.thresholds["lower"]
        self.conflicts = Conflicts.of(model.scorer.trained, self.limits.conflict_below, self.upper)
        self.row = SourceRecord.objects.filter(pk=pk).values(*MEMBER_VALUES, "golden_id", "is_deleted").get()
        self.system = self.row["system__code"]
        self.frow = model.prepare(self.row["attributes"], self.system)
        self.keys = set() if self.row["is_deleted"] else record_keys(model.rules, self.frow)
        refresh_record_keys(model, self.row, self.keys)
        golden = self.row["golden_id"]
        self.states: dict[int, GoldenState] = golden_states([golden]) if golden else {}
        self.current = golden if golden in self.states and self.states[golden].status == "active" else None
        self.held_back: list[int] = []  # golden records of band pairs the review budget left unproposed

    def decide(self) -> Decision:
        previous_id = self.states[self.current].golden_id if self.current else None
        if self.row["is_deleted"]:
            return Decision(record=self.pk, action=SKIP, golden_id=previous_id, previous_golden_id=previous_id)
        self._neighbourhood()
        target = self._target()
        giant, withheld, target = self._withhold(target)
        held = sorted(  # golden records an automatic match would join but a ruling or a conflict keeps it out of
            (g for g, s in self.best.items() if s.weight >= self.upper and g != target and not self.allowed(g)),
            key=lambda g: (-self.best[g].weight, self.best[g].record),
        )
        action, ref, chosen, retired, changed = self._apply(target)
        final = ref if isinstance(ref, int) else None
        offers, also, offered = self._offer(final, retired, held, giant)
        if action == CREATE and offers:
            action = PROPOSE
        others = self.others(final) if final is not None else []
        return Decision(
            record=self.pk,
            action=action,
            golden_id=self.golden_ids[ref],
            previous_golden_id=previous_id,
            weight=chosen.weight if chosen else None,
            probability=probability(chosen.weight) if chosen else None,
            evidence=chosen.evidence if chosen else (),
            matched=chosen.record if chosen else None,
            proposals=tuple(offers),
            also_matched=tuple(self.golden_ids[g] for g in also),
            held_apart=tuple(self.golden_ids[g] for g in held),
            held_back=tuple(self.golden_ids[g] for g in self.held_back),
            candidates=len(self.found.rows),
            skipped_keys=self.found.skipped,
            withheld=withheld,
            exclusive=final is not None and not self.must_goldens
            and not any(self.scored[i].weight >= self.upper for i in others if i in self.scored)
            and any(i in self.links for i in others),
            changed=changed or offered,
        )

    # -- the neighbourhood -----------------------------------------------------------------

    def _neighbourhood(self) -> None:
        """Candidates scored at or above the lower threshold (only those can attach or be
        proposed), exclusive links, rulings, and every member of the golden records the
        record might stay in or join, scored: the rulings and conflicts are checked against
        all of them, not just the candidates blocking found."""
        model, pk = self.model, self.pk
        self.found = candidates(self.domain, self.keys, exclude=pk)
        # scored down to the band's floor: pairs under the lower threshold only ever become proposals
        self.calibration = calibration_in_force(self.domain)
        floor = band_floor(self.model.thresholds, self.limits, self.calibration)
        found = _score(model, self.frow, self.found.rows, floor=floor)
        self.scored = {s.record: s for s in found if s.weight >= self.lower}
        self.below = _best_by_golden(s for s in found if s.weight < self.lower)
        self.best = _best_by_golden(self.scored.values())
        self.links = self._exclusive_links() if self.limits.exclusive_links else {}
        self.must, self.cannot = record_rulings(pk)
        self.must_goldens = dict(
            SourceRecord.objects.filter(pk__in=self.must, golden__isnull=False).values_list("pk", "golden_id")
        ) if self.must else {}
        interesting = {g for g, s in self.best.items() if s.weight >= self.upper} | set(self.must_goldens.values())
        interesting |= {s.golden for s in self.links.values()}
        if self.current is not None:
            interesting.add(self.current)
        self.members = live_member_rows(interesting, "version", "content_hash")
        for rows in self.members.values():
            unscored = [r for r in rows if r["id"] != pk and r["id"] not in self.scored]
            for s in _score(model, self.frow, unscored):
                self.scored[s.record] = s
        self.states.update(golden_states(set(self.members) - set(self.states)))
        self.golden_ids = {g: s.golden_id for g, s in self.states.items()}

    def others(self, g: int) -> list[int]:
        return [r["id"] for r in self.members.get(g, []) if r["id"] != self.pk]

    def allowed(self, g: int) -> bool:
        ids = self.others(g)
        if self.cannot & set(ids):
            return False
        if set(ids) & self.must:
            return True  # a conflict gives way to a steward's must-link, as in a batch run
        return not any(self.conflicts(self.scored[i].weight, self.scored[i].evidence) for i in ids)

    def strongest(self, g: int) -> ScoredRecord | None:
        pairs = [self.scored[i] for i in self.others(g)]
        return max(pairs, key=lambda s: (s.weight, -s.record)) if pairs else None

    def _exclusive_links(self) -> dict[int, ScoredRecord]:
        """The candidates the record has an exclusive link with, as a batch run would find
        them (clustering.exclusive_links), over the neighbourhood that decides them: in
        each other system, the record's band pairs there, the groups they lead to (what
        automatic pairs and must-links join inside their golden records), and, when one
        group there holds no record of the record's system, that group's members' own
        candidates in the record's system (its rivals) with their groups. None where keys
        were left out (max_candidates): a rival may hide behind them."""
        if self.found.skipped:
            return {}
        system_of = {row["id"]: row["system__code"] for row in self.found.rows}
        per_system: dict[str, list[ScoredRecord]] = defaultdict(list)
        for s in self.scored.values():
            per_system[system_of[s.record]].append(s)
        links: dict[int, ScoredRecord] = {}
        for theirs, pairs in per_system.items():
            if theirs == self.system or max(s.weight for s in pairs) >= self.upper:
                continue  # an automatic partner there: its group holds that system, no exclusive link
            hood = _Neighbourhood(self)
            hood.add(self.pk, self.system, [(s.record, s.weight) for s in pairs])
            sides = hood.groups({s.golden for s in pairs})
            free = {id(side): side for s in pairs if self.system not in hood.systems(side := sides[s.record])}
            if len(free) == 1 and not hood.add_rivals(next(iter(free.values()))):
                continue  # a rival's keys were left out: no way to know
            linked = {int(p.left) if int(p.right) == self.pk else int(p.right) for p in hood.links()
                      if self.pk in (int(p.left), int(p.right))}
            links.update((s.record, s) for s in pairs if s.record in linked)
        return links

    # -- the decision ----------------------------------------------------------------------

    def _target(self) -> int | None:
        current, upper = self.current, self.upper
        if self.must_goldens:
            return chain_golden(self.must_goldens.values())
        if current is not None and self.others(current) and self.allowed(current) and any(
            self.scored[i].weight >= upper or i in self.links for i in self.others(current)
        ):
            return current
        ranked = sorted(self.best.items(), key=lambda item: (self._joins_own_system(item[0]), -item[1].weight,
                                                             item[1].record))
        target = next((g for g, s in ranked if s.weight >= upper and g != current and self.allowed(g)), None)
        if target is None:
            ranked_links = sorted(self.links.values(), key=lambda s: (-s.weight, s.record))
            target = next((s.golden for s in ranked_links if s.golden != current and self.allowed(s.golden)), None)
        if target is None and current is not None and not self.others(current):
            target = current  # its own golden record, nothing better: it stays
        return target

    def _joins_own_system(self, g: int) -> bool:
        """Whether joining g would put the record with a record of its own system that no
        automatic pair joins it to: such a golden record comes last, as a batch run joins
        it last (clustering.joins_two_of_one_system)."""
        theirs: dict[str, list[int]] = defaultdict(list)
        for r in self.members.get(g, ()):
            if r["id"] != self.pk:
                theirs[r["system__code"]].append(r["id"])
        linked = {(self.pk, i) for i in self.scored if self.scored[i].weight >= self.upper}
        return joins_two_of_one_system({self.system: [self.pk]}, theirs, linked)

    def _withhold(self, target: int | None) -> tuple[int | None, str, int | None]:
        """(held golden record, why, target): no automatic merge (a batch run would hold it
        too) into a golden record past the domain's max_cluster_size, or with a model whose
        weights drifted past the limit from the last applied run's: the record gets its own
        and the stewards a held proposal. A must-link still decides."""
        if target is None or target == self.current or self.must_goldens:
            return None, "", target
        if too_large_after_joining(len(self.members[target]), self.limits):
            withheld = HELD_SIZE
        elif _drifted(self.domain, self.model.pk, self.limits):
            withheld = HELD_DRIFT
        else:
            return None, "", target
        stays = self.current if self.current is not None and not self.others(self.current) else None
        return target, withheld, stays

    def _apply(self, target: int | None) -> tuple[str, Ref, ScoredRecord | None, dict[int, Ref], bool]:
        """Plan and apply the membership change: (action, golden ref, the pair that chose
        it, golden records retired into it, whether anything was written)."""
        pk, current = self.pk, self.current
        desired: dict[Ref, list[int]] = {}
        retire: dict[int, Ref] = {}
        absorbed: dict[Ref, list[int]] = {}
        involved: list[dict[str, Any]] = [self.row]
        if target is not None and target == current:
            action, ref, chosen = KEEP, current, self.strongest(current)
        elif target is not None:
            action, ref, chosen = ATTACH, target, self.strongest(target)
            joining = sorted([r["id"] for r in self.members[target]] + [pk])
            involved += self.members[target]
            if current is not None and not self.others(current):
                # Its old golden record would be left empty: as in a batch run, the cluster keeps
                # the ID it shares the most records with (on a tie the older one), and the other
                # retires into it, so its ID still resolves.
                ref = current if len(self.members[target]) == 1 and current < target else target
                loser = current if ref == target else target
                desired[ref], retire[loser], absorbed[ref] = joining, ref, [loser]
            else:
                desired[target] = joining
        else:
            action, ref = CREATE, "new:1"
            chosen = max(self.scored.values(), key=lambda s: (s.weight, -s.record), default=None)
            desired["new:1"] = [pk]
        if action != KEEP and current is not None and self.others(current) and current not in desired:
            desired[current] = self.others(current)  # the golden record it leaves keeps the others
            involved += [r for r in self.members[current] if r["id"] != pk]
        changed = False
        if desired:
            plan = golden_plan(
                domain=self.domain,
                desired=desired,
                members={r["id"]: member_from_values(r) for r in involved},
                current={r["id"]: current if r["id"] == pk else r["golden_id"] for r in involved},
                goldens={g: self.states[g] for g in [*desired, *retire] if isinstance(g, int)},
                trust=source_system_trust(),
                retire=retire,
                absorbed=absorbed,
            )
            if not plan.is_empty():
                self.golden_ids.update(golden_plan_apply(plan=plan, change=self.change).golden_ids)
                changed = True
        self.ours = desired[ref] if ref in desired else [r["id"] for r in self.members[ref]]  # type: ignore[index]
        return action, ref, chosen, retire, changed

    def _offer(self, final: int | None, retired: Mapping[int, Ref], held: list[int], giant: int | None
               ) -> tuple[list[Offer], list[int], bool]:
        """Proposals: the strongest pair with each other golden record at or above the band's
        floor, unless a ruling keeps the two apart (as a batch run: no proposal across a
        cannot-link), the record was kept out of it, or a pending proposal joins them
        already. Review pairs (under the upper threshold) go strongest first while the
        domain's review queue has room under its budget (planning.review_budget, as a batch
        run); the band's pairs past it are held back for the next run. Returns the offers,
        the golden records it also matched and whether a proposal was written."""
        skip = {final, *retired, *held}
        band = {g: s for g, s in self.best.items() if g not in skip}
        band.update({g: s for g, s in self.below.items() if g not in skip and g not in band})
        if giant is not None:
            band[giant] = self.strongest(giant) or self.best[giant]
        offers: list[Offer] = []
        also: list[int] = []
        if not band:
            return offers, also, False
        their = live_member_rows(band)
        apart = _apart({"ours": self.ours, **{g: [r["id"] for r in rows] for g, rows in their.items()}})
        self.golden_ids.update({g: s.golden_id for g, s in golden_states(set(band) - set(self.golden_ids)).items()})
        started, written, room = timezone.now(), False, self._room()
        for g, s in sorted(band.items(), key=lambda item: (-item[1].weight, item[1].record)):
            if frozenset(("ours", g)) in apart:
                continue
            reviewed = s.weight < self.upper and g != giant  # what the budget counts
            if s.weight >= self.upper:
                also.append(g)
            if final is not None and _pending_between([final], [g]):
                continue
            if reviewed and room <= 0:
                if s.weight >= self.lower:
                    self.held_back.append(g)
                continue
            waiting = _pending_pair(self.pk, s.record)  # counted in the room already
            proposal = self._propose(s, MergeProposal.Kind.HELD if g == giant else MergeProposal.Kind.REVIEW)
            if proposal is not None:
                offers.append(Offer(self.golden_ids[g], proposal.left_id, proposal.right_id, s.weight, proposal.pk))
                written = written or proposal.updated_at >= started
                room -= 1 if reviewed and not waiting else 0
        return offers, also, written

    def _room(self) -> int:
        """How many more review proposals the domain's queue takes (planning.review_budget)."""
        goldens = GoldenRecord.objects.filter(domain=self.domain, status=GoldenRecord.Status.ACTIVE).count()
        # a deferred case is out of the queue until its date: it takes no room (as in a batch run)
        waiting = (MergeProposal.objects.filter(domain=self.domain, status=MergeProposal.Status.PENDING,
                                                kind=MergeProposal.Kind.REVIEW, weight__lt=self.upper)
                   .exclude(task__deferred_until__gt=timezone.now()).count())
        return review_budget(self.limits, goldens) - waiting

    def _propose(self, s: ScoredRecord, kind: str) -> MergeProposal | None:
        return proposal_offer(
            domain=self.domain,
            candidate=Candidate(
                left=min(self.pk, s.record), right=max(self.pk, s.record), weight=round(s.weight, 6),
                probability=round(self.calibration.probability(s.weight), 6), evidence=_evidence_json(s.evidence),
                kind=kind, calibration=self.calibration.describe(),
            ),
            change=self.change,
        )


def too_large_after_joining(members: int, limits: MatchingDefaults) -> bool:
    """Whether a golden record of `members` records grows too large with one more
    (review.too_large, the rule a batch run holds giant clusters by)."""
    return too_large(members + 1, limits)


class _Neighbourhood:
    """The records and pairs around an arrival that decide its exclusive links: scored
    pairs, the groups inside golden records (automatic pairs and must-links), the systems
    of every record. `links()` asks clustering.exclusive_links, as a batch run does."""

    def __init__(self, arrival: _Arrival):
        self.arrival = arrival
        self.system_of: dict[int, str] = {}
        self.pairs: list[Pair] = []
        self.must: list[tuple[int, int]] = []
        self.grouped: set[int] = set()

    def add(self, record: int, system: str, scored: Iterable[tuple[int, float]]) -> None:
        self.system_of[record] = system
        for other, weight in scored:
            self.pairs.append(Pair(str(record), str(other), weight, probability(weight), ()))

    def systems(self, group: list[dict[str, Any]]) -> set[str]:
        return {m["system__code"] for m in group}

    def groups(self, goldens: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """Record id -> its group: the live members of its golden record (but the arrival)
        that pairs at or above the upper threshold and must-links join it to, as a batch
        run forms the sides of its exclusive links (a member joined by a band pair alone,
        an exclusive link or a steward's merge of a band pair, is a group of its own)."""
        arrival, upper = self.arrival, self.arrival.upper
        members = {g: [m for m in rows if m["id"] != arrival.pk]
                   for g, rows in live_member_rows(set(goldens) - self.grouped, "version", "content_hash").items()}
        self.grouped |= set(members)
        ids = [m["id"] for rows in members.values() for m in rows]
        components = Components()
        for left, right in PairConstraint.objects.filter(
            kind=PairConstraint.Kind.MUST_LINK, left_id__in=ids, right_id__in=ids
        ).values_list("left_id", "right_id"):
            components.union(left, right)
            self.must.append((left, right))
        for rows in members.values():
            for m in rows:
                self.system_of[m["id"]] = m["system__code"]
            prepared = [_features_of(arrival.model, m) for m in rows]
            for i, j in combinations(range(len(rows)), 2):
                if components.find(rows[i]["id"]) != components.find(rows[j]["id"]):
                    weight = arrival.model.scorer.score(prepared[i], prepared[j])[0]
                    if weight >= upper:
                        components.union(rows[i]["id"], rows[j]["id"])
                        self.pairs.append(Pair(str(rows[i]["id"]), str(rows[j]["id"]), weight, probability(weight), ()))
        by_root: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for rows in members.values():
            for m in rows:
                by_root[components.find(m["id"])].append(m)
        return {m["id"]: by_root[components.find(m["id"])] for rows in members.values() for m in rows}

    def add_rivals(self, side: list[dict[str, Any]]) -> bool:
        """Each member's own candidates in the arrival's system (its rivals) with their
        groups; False when a member's keys were left out (a rival may hide behind them)."""
        arrival = self.arrival
        for member in side:
            mfrow = _features_of(arrival.model, member)
            theirs = candidates(arrival.domain, record_keys(arrival.model.rules, mfrow), exclude=member["id"])
            if theirs.skipped:
                return False
            rivals = [c for c in theirs.rows if c["system__code"] == arrival.system and c["id"] != arrival.pk]
            plausible = _score(arrival.model, mfrow, rivals, floor=arrival.lower)
            for r in plausible:
                self.system_of[r.record] = arrival.system
            self.add(member["id"], member["system__code"], [(r.record, r.weight) for r in plausible])
            self.groups({r.golden for r in plausible})
        return True

    def links(self) -> list[Pair]:
        system_of = {str(sid): system for sid, system in self.system_of.items()}
        return exclusive_links(self.pairs, self.arrival.lower, self.arrival.upper, system_of,
                               [(str(a), str(b)) for a, b in self.must])


_DRIFT: dict[tuple[uuid.UUID, uuid.UUID], bool] = {}  # models (by operation: pks can be reused) -> held


def _drifted(domain: str, model: int, limits: MatchingDefaults) -> bool:
    """Whether a batch run with this model would hold its automatic merges for parameter
    drift (review.drift_past_limit), until a run with this model is applied."""
    baseline = baseline_run(domain)
    if baseline is None or baseline.model_id == model:
        return False
    stored = MatchModel.objects.get(pk=model)
    key = (baseline.model.operation, stored.operation)
    if key not in _DRIFT:
        _DRIFT[key] = drift_past_limit(baseline, stored, limits)
    return _DRIFT[key]


def _apart(groups: Mapping[Any, Iterable[int]]) -> set[frozenset[Any]]:
    """Pairs of groups (keys) that a cannot-link between their records keeps apart."""
    owner = {sid: g for g, ids in groups.items() for sid in ids}
    out = set()
    rows = PairConstraint.objects.filter(
        kind=PairConstraint.Kind.CANNOT_LINK, left_id__in=list(owner), right_id__in=list(owner)
    ).values_list("left_id", "right_id")
    for left, right in rows:
        if owner[left] != owner[right]:
            out.add(frozenset((owner[left], owner[right])))
    return out


def _pending_pair(a: int, b: int) -> bool:
    return MergeProposal.objects.filter(left_id=min(a, b), right_id=max(a, b),
                                        status=MergeProposal.Status.PENDING).exists()


def _pending_between(goldens_a: Sequence[int], goldens_b: Sequence[int]) -> bool:
    if not goldens_a or not goldens_b:
        return False
    return MergeProposal.objects.filter(status=MergeProposal.Status.PENDING).filter(
        Q(left__golden_id__in=goldens_a, right__golden_id__in=goldens_b)
        | Q(left__golden_id__in=goldens_b, right__golden_id__in=goldens_a)
    ).exists()


# ---------------------------------------------------------------------------
# search
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldenMatch:
    """A golden record a candidate record would match: the strongest pair with one of its
    members, with the evidence (prior_weight + Σ evidence weights = weight)."""

    golden_id: str
    golden: int
    weight: float
    probability: float
    band: str  # match (≥ upper), review (≥ lower), below
    prior_weight: float
    evidence: tuple[Evidence, ...]
    record: int  # the best matching member
    record_label: str  # "system:key"
    attributes: dict[str, Any] = field(default_factory=dict)  # the golden record's


def _top_goldens(model: CompiledModel, frow: dict[str, Any], candidates: list[dict[str, Any]], limit: int,
                 min_weight: float) -> list[ScoredRecord]:
    """The strongest pair of each of the `limit` strongest golden records at or above
    `min_weight`. A pair that cannot reach it, or, once `limit` golden records are found,
    beat the weakest of them, is dropped early (it could neither enter the top nor raise
    a golden record in it)."""
    if limit <= 0:
        return []
    best: dict[int, ScoredRecord] = {}
    floor: float | None = None if min_weight == -math.inf else min_weight
    for row in candidates:
        found = _score(model, frow, [row], floor=floor)
        if not found:
            continue
        s = found[0]
        kept = best.get(s.golden)
        if kept is None or (-s.weight, s.record) < (-kept.weight, kept.record):
            best[s.golden] = s
            if len(best) >= limit:
                floor = max(floor if floor is not None else -math.inf,
                            heapq.nlargest(limit, (b.weight for b in best.values()))[-1])
    return sorted(best.values(), key=lambda s: (-s.weight, s.record))[:limit]


@dataclass(frozen=True)
class SearchResult:
    """What `search` found: the golden matches, strongest first, and the keys left out of
    the candidates (as Decision.skipped_keys: a value too many records share)."""

    matches: list[GoldenMatch]
    skipped_keys: tuple[tuple[str, str, int], ...] = ()


def search(domain: str, attributes: Mapping[str, Any], limit: int = SEARCH_LIMIT,
           min_weight: float | None = None, system: str | None = None) -> SearchResult:
    """The golden records a record with these values (raw canonical attribute values, as
    a source would send them; not stored) would match, strongest first, at most `limit`,
    each with its strongest pair at or above `min_weight` (default: the model's lower
    threshold, so what real-time matching would attach to or propose; -inf for every
    candidate): the values are standardized like an import, candidates retrieved through
    the blocking-key index (at most the domain's `max_candidates`, as record_match) and
    scored with the active model; `system`: the code of the source system the record would
    come from (unknown: the source-system comparison adds nothing). Writes nothing."""
    if domain not in all_domains():
        raise UnknownDomain(MSG_UNKNOWN_DOMAIN.format(domain=domain, known=", ".join(all_domains())))
    declaration = get_domain(domain)
    known = ", ".join(declaration.attributes)
    values = {k: v for k, v in attributes.items() if v is not None and v != ""}
    if not values:
        raise InvalidInput(MSG_NO_VALUES.format(domain=domain, known=known))
    unknown = sorted(set(values) - set(declaration.attributes))
    if unknown:
        raise InvalidInput(MSG_UNKNOWN_ATTRIBUTES.format(domain=domain, names=", ".join(unknown), known=known))
    model = indexed_model(domain)
    try:
        standardized, _ = declaration.standardize(values, phone_region=settings.MDM_PHONE_REGION)
    except (RowRejected, DeclarationError) as exc:
        raise InvalidInput(MSG_NOT_A_RECORD.format(domain=domain, problem=exc.message)) from None
    frow = model.prepare(standardized, system)
    upper, lower = model.thresholds["upper"], model.thresholds["lower"]
    found = candidates(domain, record_keys(model.rules, frow), exclude=None)
    top = _top_goldens(model, frow, found.rows, limit, lower if min_weight is None else min_weight)
    states = golden_states(s.golden for s in top)
    matches = [
        GoldenMatch(
            golden_id=states[s.golden].golden_id,
            golden=s.golden,
            weight=s.weight,
            probability=probability(s.weight),
            band=BAND_MATCH if s.weight >= upper else BAND_REVIEW if s.weight >= lower else BAND_BELOW,
            prior_weight=model.scorer.prior_weight,
            evidence=s.evidence,
            record=s.record,
            record_label=s.label,
            attributes=states[s.golden].attributes,
        )
        for s in top
    ]
    return SearchResult(matches=matches, skipped_keys=found.skipped)
