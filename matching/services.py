"""Persist matching: train and store models, run matching on a domain, keep golden IDs stable.

    model = model_train(domain="customer", actor="cli:me")        # a new active MatchModel
    result = match_run(domain="customer", actor="cli:me")         # MatchResult, result.run
    preview = match_run(domain="customer", actor="cli:me", dry_run=True)   # writes nothing

A run reads the domain's standardized records as plain values (never model instances),
scores pairs with the engine (Splink on DuckDB), clusters them under the stewards' rulings
and maps the clusters onto the golden records that exist:

- Thresholds (match weights): pairs at or above `upper` join automatically; pairs between
  `lower` and `upper` whose records end in different golden records become merge
  proposals (the strongest pair per two golden records). With the domain's
  `exclusive_links` (on by default; `match_run(exclusive_links=False)` for one run), a
  band pair between two source systems where each side (a record with what its pairs
  above `upper` join it to) is the other's only candidate in the other's system joins
  automatically too (engine.exclusive_links), after the pairs above `upper`, under the
  same conflicts and rulings. A join that would put two records of one system together
  that no automatic pair of their own joins comes after every other join (a system
  holds an entity once, as a rule: engine.cluster). Inside each group that automatic
  pairs could join, a conflict (a pair scored below the domain's `conflict_below`, a
  tax-id clash or a look-alike, or at a level the model declares a conflict, two valid
  barcodes: engine.Conflicts) keeps its two records apart, like a steward's cannot-link,
  so an ambiguous record cannot chain two different companies or products together.
- Stewards' rulings are law: must-links are joined first, cannot-links are never crossed,
  whatever chain of other pairs would join them (engine.cluster).
- Stable golden IDs: each cluster takes the golden record it shares the most records with
  (on a tie the older record), each golden record goes to at most one cluster. So a split
  keeps the ID for its larger part; a golden record left without a cluster merges into
  the one that took most of its records (retired into it: the old ID still resolves); a
  cluster without one gets a new ID. Deleted source records leave their golden record;
  a golden record left without live records is deleted (its ID still resolves).
- Survivorship recomputes every golden record from its live members; only what changed
  is written. Re-running on unchanged data writes nothing: no version, no event.

The plan is computed first (that is all a dry run does), then applied in one transaction
under the domain's golden-record lock, after checking nothing changed since it was read.

Every run is measured and compared with the last run of the domain that applied its
automatic merges (`MatchRun.report`, figures only, of the clusters as the model and the
rulings form them, before anything is held): match rate (share of live records in
multi-record clusters), auto-merge and review shares of the scored pairs, cluster sizes,
the largest clusters, and when the model changed, how far each level's match weight moved.
Beyond the domain's limits (mdm/domains `matching:`) a run raises alarms
(`MatchRun.alarms`) and holds automatic merges instead of applying them:

- A cluster larger than `max_cluster_size` that the run would create or grow (a shared
  switchboard phone chaining companies) is never formed: its records keep their golden
  records, its merges become proposals of kind "held" (at most `held_per_cluster`).
- A drift alarm (match rate, auto-merge share, parameter drift) holds every automatic
  merge of the run the same way, and its splits: golden records are kept as they are.
  The first run of a domain has nothing to compare with.
- A held run still gives new records golden records of their own and applies updates,
  deletions and the stewards' must-links; approving a held proposal merges (proposal_decide).
  `accept_alarms` applies the merges anyway and records who accepted which alarms; a held
  run is no baseline, so re-running on the same data holds the same merges again.
- Rulings that contradict each other (a chain of must-links joining a cannot-linked pair,
  left from before decisions were checked as a whole) raise an alarm naming the records,
  which keep their golden records; the rest of the domain is matched as usual.
"""

from __future__ import annotations

import json
import math
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import pairwise
from sys import intern
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from matching import engine
from mdm.components import Components
from mdm.domains import MatchingDefaults, get_domain
from mdm.errors import MdmError, StalePlan
from mdm.history import Change
from mdm.models import GoldenRecord, MatchModel, MatchRun, SourceRecord, SourceSystem
from mdm.services import (
    MEMBER_VALUES,
    GoldenPlan,
    GoldenState,
    Ref,
    golden_domain_lock,
    golden_plan,
    golden_plan_apply,
    golden_state,
    member_from_values,
    source_system_trust,
)
from mdm.survivorship import Member
from stewardship.models import MergeProposal, PairConstraint
from stewardship.services import (
    Candidate,
    ProposalPlan,
    proposals_apply,
    proposals_plan,
)

if TYPE_CHECKING:
    from matching.realtime import RunKeys

ProgressCallback = Callable[[str], None]
READ_CHUNK = 5000
SAMPLE_SIZE = 5
ATTEMPTS = 3  # a run that finds its data changed under it plans again, this many times
MSG_NO_MODEL = "no trained model for {domain}: run `python manage.py train {domain}` first"
MSG_NO_RECORDS = "no live {domain} source records to train on"
MSG_THRESHOLDS = "the lower threshold ({lower:+.2f}) must not be above the upper one ({upper:+.2f})"
MSG_CONTRADICTION = "source records {left} and {right} are both ruled one entity and ruled apart"
MSG_UNKNOWN_CHECK = "unknown alarm check(s) {checks}: accept one of {known}"

# Alarm checks (MatchRun.alarms[*]["check"])
CHECK_CLUSTER_SIZE = "cluster_size"
CHECK_MATCH_RATE = "match_rate_change"
CHECK_AUTO_SHARE = "auto_share_change"
CHECK_PARAMETER_DRIFT = "parameter_drift"
CHECK_CONTRADICTIONS = "contradictory_rulings"
DRIFT_CHECKS = (CHECK_MATCH_RATE, CHECK_AUTO_SHARE, CHECK_PARAMETER_DRIFT)
ACCEPTABLE = (CHECK_CLUSTER_SIZE, *DRIFT_CHECKS)  # contradictions hold nothing: a steward fixes the rulings
MSG_ALARM = {
    CHECK_CLUSTER_SIZE: (
        "a cluster of {value} records (limit {limit}) would join {goldens} golden records and {new} new "
        "records{shared}: not formed, {proposals} of its {merges} automatic merges held as proposals"
    ),
    CHECK_MATCH_RATE: "the match rate moved from {before:.1%} to {after:.1%} since run {run} (limit ±{limit:.1%})",
    CHECK_AUTO_SHARE: (
        "the auto-merge share of scored pairs moved from {before:.1%} to {after:.1%} since run {run} "
        "(limit ±{limit:.1%})"
    ),
    CHECK_PARAMETER_DRIFT: (
        "model v{before} -> v{after}: the weight of {comparison} / {level} moved by {value:.2f} bits "
        "(limit {limit:.2f})"
    ),
    CHECK_CONTRADICTIONS: (
        "{value} source records are under rulings that contradict each other (a chain of must-links joins "
        "a cannot-linked pair: {pairs}): they keep their golden records until a steward splits them"
    ),
}
LIMITS = (  # of MatchingDefaults, copied into each run's report
    "max_cluster_size",
    "max_match_rate_change",
    "max_auto_share_change",
    "max_parameter_drift",
    "drift_min_records",
    "held_per_cluster",
)
SIZE_BUCKETS = (("1", 1), ("2", 2), ("3-5", 5), ("6-10", 10), ("11-50", 50), (">50", sys.maxsize))
LARGEST = 5  # largest clusters listed in a run's report
MEMBERS_SHOWN = 3  # member labels listed per cluster in a report or an alarm


class MatchingError(MdmError):
    code = "matching_error"


def probability_weight(probability: float) -> float:
    """The match weight (log2 posterior odds) of a match probability."""
    return math.log2(probability / (1 - probability))


def default_thresholds(domain: str) -> dict[str, float]:
    """The domain's default thresholds: the declared match probabilities (mdm/domains
    `matching:`) as match weights of the trained model, whose weights are posterior log
    odds (prior included), so "0.99" means the model's own 99% certainty."""
    declared = get_domain(domain).matching
    return {
        "upper": round(probability_weight(declared.auto_merge_probability), 4),
        "lower": round(probability_weight(declared.review_probability), 4),
    }


def _thresholds(base: dict[str, float], upper: float | None, lower: float | None) -> dict[str, float]:
    chosen = {
        "upper": base["upper"] if upper is None else float(upper),
        "lower": base["lower"] if lower is None else float(lower),
    }
    if chosen["lower"] > chosen["upper"]:
        raise MatchingError(MSG_THRESHOLDS.format(**chosen))
    return chosen


# ---------------------------------------------------------------------------
# Reading a domain: plain values, one pass
# ---------------------------------------------------------------------------


class EngineRow(Mapping[str, Any]):
    """A record's attributes as the engine reads them: with its unique_id and source
    system, without a copy of the attributes (a run holds one row per live record, and
    the attributes are already held once, by its survivorship member)."""

    __slots__ = ("attributes", "source_system", "unique_id")

    def __init__(self, attributes: Mapping[str, Any], unique_id: str, source_system: str):
        self.attributes = attributes
        self.unique_id = unique_id
        self.source_system = source_system

    def __getitem__(self, key: str) -> Any:
        if key == "unique_id":
            return self.unique_id
        if key == "source_system":
            return self.source_system
        return self.attributes[key]

    def get(self, key: str, default: Any = None) -> Any:  # the engine's hot path: no KeyError raised
        if key == "unique_id":
            return self.unique_id
        if key == "source_system":
            return self.source_system
        return self.attributes.get(key, default)

    def __iter__(self) -> Iterator[str]:  # attributes never hold these two names
        yield "unique_id"
        yield "source_system"
        yield from self.attributes

    def __len__(self) -> int:
        return 2 + len(self.attributes)


@dataclass
class Snapshot:
    """What a run reads of one domain."""

    domain: str
    rows: list[Mapping[str, Any]] = field(default_factory=list)  # engine rows (live records)
    members: dict[int, Member] = field(default_factory=dict)  # live records
    current: dict[int, int | None] = field(default_factory=dict)  # record -> active golden now
    leaving: dict[int, int] = field(default_factory=dict)  # deleted record -> golden it leaves
    deleted: dict[int, str] = field(default_factory=dict)  # deleted record -> "system:key"
    goldens: dict[int, GoldenState] = field(default_factory=dict)  # active golden records
    must_link: list[tuple[int, int]] = field(default_factory=list)  # among live records
    cannot_link: list[tuple[int, int]] = field(default_factory=list)
    fingerprint: tuple[Any, ...] = ()

    def label(self, sid: int) -> str:
        """A record's "system:key", for reports."""
        member = self.members.get(sid)
        return f"{member.system}:{member.key}" if member is not None else self.deleted[sid]


def fingerprint(domain: str) -> tuple[Any, ...]:
    """Changes whenever a record, golden record, ruling or proposal of the domain, or a
    source system's trust ranks (survivorship), changes: each such change writes a history row."""
    return (
        SourceSystem.history.aggregate(h=Max("history_id")),
        SourceRecord.objects.filter(domain=domain).aggregate(n=Count("id"), at=Max("updated_at")),
        SourceRecord.history.filter(domain=domain).aggregate(h=Max("history_id")),
        GoldenRecord.history.filter(domain=domain).aggregate(h=Max("history_id")),
        PairConstraint.history.filter(domain=domain).aggregate(h=Max("history_id")),
        MergeProposal.history.filter(domain=domain).aggregate(h=Max("history_id")),
    )


SHARED_CHARS = 16  # string values up to this long are shared between records (codes, cities, kinds)


def _shared(value: Any) -> Any:
    """`value` (decoded JSON) with its dict keys and short strings shared between records:
    the JSON decoder makes them anew for each record, and a run holds every record and
    golden record (at 1M customer records this halves the memory a read takes)."""
    if isinstance(value, dict):
        return {intern(name): _shared(item) for name, item in value.items()}
    if isinstance(value, str) and len(value) <= SHARED_CHARS:
        return intern(value)
    return value


def read_domain(domain: str, *, with_goldens: bool = True) -> Snapshot:
    """Stream the domain's records (values only) into a Snapshot."""
    get_domain(domain)
    snapshot = Snapshot(domain=domain, fingerprint=fingerprint(domain))
    if with_goldens:
        snapshot.goldens = {
            row["id"]: golden_state({**row, "attributes": _shared(row["attributes"]), "lineage": _shared(row["lineage"])})
            for row in GoldenRecord.objects.filter(domain=domain, status=GoldenRecord.Status.ACTIVE)
            .values("id", "golden_id", "version", "status", "attributes", "lineage", "overrides")
            .iterator(chunk_size=READ_CHUNK)
        }
    records = SourceRecord.objects.filter(domain=domain).order_by("id")
    times: dict[datetime, datetime] = {}  # an import stamps its records alike: one object each
    for row in records.values(*MEMBER_VALUES, "golden_id", "is_deleted").iterator(chunk_size=READ_CHUNK):
        sid = row["id"]
        golden = row["golden_id"] if row["golden_id"] in snapshot.goldens else None
        if row["is_deleted"]:
            snapshot.deleted[sid] = f"{row['system__code']}:{row['source_key']}"
            if golden is not None:
                snapshot.leaving[sid] = golden
            continue
        row["attributes"] = _shared(row["attributes"])
        row["system__code"], row["profile"] = intern(row["system__code"]), intern(row["profile"])
        row["received_at"] = times.setdefault(row["received_at"], row["received_at"])
        row["updated_at"] = times.setdefault(row["updated_at"], row["updated_at"])
        snapshot.members[sid] = member_from_values(row)
        snapshot.current[sid] = golden
        snapshot.rows.append(EngineRow(row["attributes"], str(sid), row["system__code"]))
    _rulings_among_live(snapshot)
    return snapshot


def _rulings_among_live(snapshot: Snapshot) -> None:
    """The stewards' rulings as pairs of live records. A must-link chain holds through
    deleted records (A = B and B = C keep A and C together when B is deleted, as the
    stewardship services read chains): each chain's live records are linked in a row,
    and a cannot-link with a deleted end applies to the live records of its chain."""
    rulings = list(PairConstraint.objects.filter(domain=snapshot.domain).values_list("kind", "left_id", "right_id"))
    chains = Components()
    for kind, left, right in rulings:
        if kind == PairConstraint.Kind.MUST_LINK:
            chains.union(left, right)
    live: dict[int, list[int]] = defaultdict(list)
    for sid in sorted(chains.parent):
        if sid in snapshot.members:
            live[chains.find(sid)].append(sid)
    for ids in live.values():
        snapshot.must_link += list(pairwise(ids))

    def as_live(sid: int) -> int | None:  # a deleted record: the first live record of its chain
        if sid in snapshot.members:
            return sid
        ids = live.get(chains.find(sid)) if sid in chains.parent else None
        return ids[0] if ids else None

    pairs = set()
    for kind, left, right in rulings:
        if kind != PairConstraint.Kind.MUST_LINK:
            a, b = as_live(left), as_live(right)
            if a is not None and b is not None and a != b:
                pairs.add((min(a, b), max(a, b)))
    snapshot.cannot_link += sorted(pairs)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def model_train(
    *,
    domain: str,
    actor: str,
    upper: float | None = None,
    lower: float | None = None,
    use_labels: bool = True,
    on_progress: ProgressCallback | None = None,
) -> MatchModel:
    """Train the domain's model without labels on its live records, refine its m values
    with the stewards' must-links (approved pairs, manual merges) when there are any, and
    store it as the domain's new active model with its thresholds and training report."""
    progress = on_progress or (lambda stage: None)
    progress("reading records")
    snapshot = read_domain(domain, with_goldens=False)
    if not snapshot.rows:
        raise MatchingError(MSG_NO_RECORDS.format(domain=domain))
    progress(f"training on {len(snapshot.rows):,} records")
    try:
        trained = engine.train(domain, snapshot.rows)
        labels = [(str(a), str(b)) for a, b in snapshot.must_link] if use_labels else []
        if labels:
            progress(f"refining m values with {len(labels):,} steward labels")
            trained = engine.refine_with_labels(trained, snapshot.rows, labels)
    except engine.EngineError as exc:
        raise MatchingError(str(exc)) from None
    thresholds = _thresholds(default_thresholds(domain), upper, lower)
    trained = trained.with_thresholds(match=thresholds["upper"], review=thresholds["lower"])
    change = Change(actor=actor, reason=f"training of the {domain} model")
    return match_model_store(domain=domain, trained=trained, labels=len(labels), change=change)


@transaction.atomic
def match_model_store(*, domain: str, trained: engine.TrainedModel, change: Change, labels: int = 0) -> MatchModel:
    """Store a trained model as the domain's next version and make it the active one.
    Its thresholds are the artifact's (match / review weights), else the domain defaults."""
    golden_domain_lock(domain)
    if trained.domain != domain:
        raise MatchingError(f"the model was trained for {trained.domain}, not {domain}")
    base = default_thresholds(domain)
    thresholds = {
        "upper": trained.thresholds.get("match", base["upper"]),
        "lower": trained.thresholds.get("review", base["lower"]),
    }
    last = MatchModel.objects.filter(domain=domain).aggregate(v=Max("version"))["v"] or 0
    for active in MatchModel.objects.filter(domain=domain, is_active=True):
        active.is_active = False
        active.save(update_fields=["is_active"])
    return MatchModel.objects.create(
        domain=domain,
        version=last + 1,
        artifact=json.loads(trained.to_json()),
        report=trained.report,
        thresholds=thresholds,
        labels=labels,
        is_active=True,
        created_by=change.actor,
        operation=change.operation,
        created_at=timezone.now(),
    )


def active_model(domain: str) -> MatchModel:
    model = MatchModel.objects.filter(domain=domain, is_active=True).first()
    if model is None:
        raise MatchingError(MSG_NO_MODEL.format(domain=domain))
    return model


# ---------------------------------------------------------------------------
# Clustering and the plan
# ---------------------------------------------------------------------------


@dataclass
class Scored:
    """The scored pairs of a run, sorted into what they mean at the thresholds."""

    auto: list[engine.Pair] = field(default_factory=list)  # at or above upper, and the exclusive links
    review: list[engine.Pair] = field(default_factory=list)  # the band, exclusive links included
    exclusive: int = 0  # band pairs joined as each record's only candidate in the other's system
    conflicts: list[tuple[int, int]] = field(default_factory=list)
    checked: int = 0  # pairs scored inside candidate groups, looking for conflicts


def score(
    trained: engine.TrainedModel,
    snapshot: Snapshot,
    thresholds: dict[str, float],
    conflict_below: float,
    observe: Callable[[list[dict[str, Any]]], None] | None = None,
    *,
    exclusive_links: bool = False,
) -> Scored:
    """Pairs at or above the lower threshold (Splink), the exclusive links among them when
    asked for, then the conflicts that matter. `observe` is shown the feature rows predict
    computes (engine.predict)."""
    scored = Scored()
    if len(snapshot.rows) < 2:
        return scored
    table = engine.feature_table(snapshot.rows, trained.model, observe=observe)  # the conflict check reads it too
    try:
        pairs = engine.predict(trained, table, threshold=thresholds["lower"], backend=settings.MDM_MATCH_BACKEND)
    except engine.EngineError as exc:
        raise MatchingError(str(exc)) from None
    for pair in pairs:
        if pair.weight >= thresholds["upper"]:
            scored.auto.append(pair)
        else:
            scored.review.append(pair)
    if exclusive_links:
        exclusive = engine.exclusive_links(pairs, thresholds["lower"], thresholds["upper"], _Systems(snapshot),
                                           [(str(a), str(b)) for a, b in snapshot.must_link])
        scored.auto += exclusive
        scored.exclusive = len(exclusive)
    scored.conflicts, scored.checked = _conflicts(
        trained, table, snapshot.must_link, scored.auto, engine.Conflicts.of(trained, conflict_below, thresholds["upper"])
    )
    del table, pairs
    engine.release_memory()
    return scored


class _Systems(Mapping[str, str]):
    """Engine record id -> source system code, read off the snapshot's members (a dict of
    a million ids would cost a hundred megabytes more)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.members = snapshot.members

    def __getitem__(self, uid: str) -> str:
        return self.members[int(uid)].system

    def __iter__(self) -> Iterator[str]:
        return map(str, self.members)

    def __len__(self) -> int:
        return len(self.members)


def _conflicts(
    trained: engine.TrainedModel,
    table: Any,
    must_link: Iterable[tuple[int, int]],
    auto: Sequence[engine.Pair],
    conflicts: engine.Conflicts,
) -> tuple[list[tuple[int, int]], int]:
    """The conflict pairs inside the groups auto-merges and must-links could form
    (engine.group_conflicts), as record ids, and how many pairs were scored."""
    found, checked = engine.group_conflicts(trained, table, auto, [(str(a), str(b)) for a, b in must_link], conflicts)
    return sorted(_pair(int(a), int(b)) for a, b in found), checked


@dataclass
class Contradiction:
    """Rulings that contradict each other: a chain of must-links joins cannot-linked pairs."""

    records: list[int]  # the chain
    pairs: list[tuple[int, int]]  # the cannot-linked pairs inside it


def contradictions(snapshot: Snapshot) -> list[Contradiction]:
    """The must-link chains of live records that hold a cannot-linked pair."""
    groups = Components()
    for a, b in snapshot.must_link:
        groups.union(a, b)
    broken: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a, b in snapshot.cannot_link:
        if groups.find(a) == groups.find(b):
            broken[groups.find(a)].append((a, b))
    if not broken:
        return []
    chains: dict[int, list[int]] = defaultdict(list)
    for sid in sorted(groups.parent):
        root = groups.find(sid)
        if root in broken:
            chains[root].append(sid)
    return [Contradiction(records=chains[root], pairs=sorted(broken[root])) for root in sorted(broken)]


def tied(snapshot: Snapshot, seeds: Iterable[int]) -> set[int]:
    """`seeds` and every live record tied to them: in one golden record now, or joined by
    must-links, transitively. Keeping these as they are keeps every ruling among them."""
    found = set(seeds)
    if not found:
        return found
    by_golden: dict[int, list[int]] = defaultdict(list)
    for sid, golden in snapshot.current.items():
        if golden is not None:
            by_golden[golden].append(sid)
    must: dict[int, list[int]] = defaultdict(list)
    for a, b in snapshot.must_link:
        must[a].append(b)
        must[b].append(a)
    seen_goldens: set[int] = set()
    todo = list(found)
    while todo:
        sid = todo.pop()
        golden = snapshot.current.get(sid)
        others = list(must.get(sid, ()))
        if golden is not None and golden not in seen_goldens:
            seen_goldens.add(golden)
            others += by_golden[golden]
        for other in others:
            if other not in found:
                found.add(other)
                todo.append(other)
    return found


def _as_they_are(records: Iterable[int], snapshot: Snapshot) -> list[list[int]]:
    """Records grouped by the golden record they are in now; a record in none alone."""
    by_golden: dict[int, list[int]] = defaultdict(list)
    alone = []
    for sid in sorted(records):
        golden = snapshot.current.get(sid)
        if golden is None:
            alone.append([sid])
        else:
            by_golden[golden].append(sid)
    return [*by_golden.values(), *alone]


def cluster(snapshot: Snapshot, scored: Scored, *, pinned: Collection[int] = ()) -> list[list[int]]:
    """Clusters of live records under the rulings: must-links first, then the automatic
    pairs strongest first (the exclusive links, below the upper threshold, last), never
    across a cannot-link or a conflict pair (conflicts inside a must-link group give way). Records
    in `pinned` (contradictory rulings and what they are tied to) are not clustered: they
    stay in the golden records they are in, a record in none alone."""
    pinned = set(pinned)
    must = [(a, b) for a, b in snapshot.must_link if a not in pinned and b not in pinned]
    cannot = [(a, b) for a, b in snapshot.cannot_link if a not in pinned and b not in pinned]
    groups = Components()
    for a, b in must:
        groups.union(a, b)
    for a, b in cannot:
        if groups.find(a) == groups.find(b):
            raise MatchingError(MSG_CONTRADICTION.format(left=a, right=b))
    conflicts = [
        (a, b)
        for a, b in scored.conflicts
        if a not in pinned and b not in pinned and groups.find(a) != groups.find(b)
    ]
    auto, rows = scored.auto, snapshot.rows
    if pinned:
        auto = [p for p in auto if int(p.left) not in pinned and int(p.right) not in pinned]
        rows = [row for row in rows if int(row["unique_id"]) not in pinned]
    try:
        clusters = engine.cluster(
            auto,
            -math.inf,  # every pair in scored.auto joins
            must_link=[(str(a), str(b)) for a, b in must],
            cannot_link=[(str(a), str(b)) for a, b in [*cannot, *conflicts]],
            records=[row["unique_id"] for row in rows],
            system_of=_Systems(snapshot),
        )
    except engine.EngineError as exc:
        raise MatchingError(str(exc)) from None
    found = [sorted(int(uid) for uid in c) for c in clusters] + _as_they_are(pinned, snapshot)
    return sorted(found, key=lambda c: c[0])


def grows(members: Sequence[int], snapshot: Snapshot) -> bool:
    """Whether a cluster joins records that are not all in one golden record now."""
    goldens = {snapshot.current.get(sid) for sid in members}
    return len(goldens) > 1 or None in goldens


def hold(
    planned: Sequence[Sequence[int]],
    held: Collection[int],
    snapshot: Snapshot,
    scored: Scored,
    pinned: Collection[int] = (),
) -> tuple[list[list[int]], set[int]]:
    """The clusters a run applies when it holds the planned clusters at indexes `held`:
    their records, and every record tied to them (`tied`), keep their golden records (a
    new record alone), joined only where the stewards' must-links join them; a planned
    cluster that loses records to them falls apart into what its automatic pairs still
    join. Returns the clusters and the records kept as they are."""
    if not held:
        return [list(c) for c in planned], set()
    frozen = tied(snapshot, (sid for ci in held for sid in planned[ci])) - set(pinned)
    kept: list[list[int]] = []
    rest: dict[int, int] = {}  # record -> planned cluster, for clusters that lose records
    for ci, members in enumerate(planned):
        inside = sum(1 for sid in members if sid in frozen)
        if not inside:
            kept.append(list(members))
        elif inside < len(members):
            rest.update({sid: ci for sid in members if sid not in frozen})
    if rest:
        groups = Components()
        for sid in rest:
            groups.find(sid)
        links = [(int(p.left), int(p.right)) for p in scored.auto] + list(snapshot.must_link)
        for a, b in links:
            if a in rest and rest[a] == rest.get(b):
                groups.union(a, b)
        parts: dict[int, list[int]] = defaultdict(list)
        for sid in sorted(rest):
            parts[groups.find(sid)].append(sid)
        kept += parts.values()
    by_golden: dict[int, list[int]] = defaultdict(list)
    for sid in sorted(frozen):
        golden = snapshot.current.get(sid)
        if golden is not None:
            by_golden[golden].append(sid)
    try:
        as_they_are = engine.cluster(
            [(str(ids[0]), str(sid), 1.0) for ids in by_golden.values() for sid in ids[1:]],
            0.0,
            must_link=[(str(a), str(b)) for a, b in snapshot.must_link if a in frozen and b in frozen],
            cannot_link=[(str(a), str(b)) for a, b in snapshot.cannot_link if a in frozen and b in frozen],
            records=[str(sid) for sid in sorted(frozen)],
        )
    except engine.EngineError as exc:
        raise MatchingError(str(exc)) from None
    kept += [sorted(int(uid) for uid in c) for c in as_they_are]
    return sorted(kept, key=lambda c: c[0]), frozen


def held_merges(
    planned: Sequence[Sequence[int]],
    held: Collection[int],
    clusters: Sequence[Sequence[int]],
    snapshot: Snapshot,
    scored: Scored,
) -> dict[int, list[engine.Pair]]:
    """For each held planned cluster, the automatic merges it would make between the
    clusters the run applies instead: strongest pairs first, one pair per join (approving
    them all forms the planned cluster), none between clusters a ruling keeps apart."""
    cluster_of = {sid: ci for ci, members in enumerate(clusters) for sid in members}
    held_of = {sid: hi for hi in held for sid in planned[hi]}
    found: dict[int, list[engine.Pair]] = defaultdict(list)
    for pair in scored.auto:
        a, b = int(pair.left), int(pair.right)
        where = held_of.get(a)
        if where is not None and where == held_of.get(b) and cluster_of[a] != cluster_of[b]:
            found[where].append(pair)
    apart = {_pair(cluster_of[a], cluster_of[b]) for a, b in snapshot.cannot_link}
    joins = Components()
    merges: dict[int, list[engine.Pair]] = {}
    for where, pairs in sorted(found.items()):
        chosen = []
        for pair in sorted(pairs, key=lambda p: (-p.weight, int(p.left), int(p.right))):
            ca, cb = cluster_of[int(pair.left)], cluster_of[int(pair.right)]
            if joins.find(ca) == joins.find(cb) or _pair(ca, cb) in apart:
                continue
            joins.union(ca, cb)
            chosen.append(pair)
        merges[where] = chosen
    return merges


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


@dataclass
class ClusterMap:
    """How clusters map onto golden records."""

    refs: list[Ref]  # per cluster
    retire: dict[int, Ref]
    absorbed: dict[Ref, list[int]]
    split_from: dict[str, int]
    emptied: list[int]  # golden records without a live record left


def map_clusters(clusters: Sequence[Sequence[int]], snapshot: Snapshot) -> ClusterMap:
    """Stable IDs: each cluster takes the golden record it shares the most records with
    (on a tie the older one), each golden record at most one cluster; see the module doc."""
    overlap: Counter[tuple[int, int]] = Counter()
    for ci, members in enumerate(clusters):
        for sid in members:
            golden = snapshot.current.get(sid)
            if golden is not None:
                overlap[(ci, golden)] += 1
    taken: dict[int, int] = {}  # cluster -> golden
    owner: dict[int, int] = {}  # golden -> cluster
    for (ci, golden), _ in sorted(overlap.items(), key=lambda item: (-item[1], item[0][1], item[0][0])):
        if ci not in taken and golden not in owner:
            taken[ci] = golden
            owner[golden] = ci
    refs: list[Ref] = []
    split_from: dict[str, int] = {}
    n = 0
    for ci, members in enumerate(clusters):
        if ci in taken:
            refs.append(taken[ci])
            continue
        n += 1
        ref = f"new:{n}"
        refs.append(ref)
        origins = Counter(snapshot.current[sid] for sid in members if snapshot.current.get(sid) is not None)
        if origins:
            split_from[ref] = min(origins, key=lambda g: (-origins[g], g))
    where: dict[int, Counter[int]] = defaultdict(Counter)  # golden -> cluster -> its records there
    for (ci, golden), count in overlap.items():
        where[golden][ci] = count
    retire: dict[int, Ref] = {}
    absorbed: dict[Ref, list[int]] = defaultdict(list)
    emptied = []
    for golden in sorted(snapshot.goldens):
        if golden in owner:
            continue
        if where.get(golden):
            ci = min(where[golden], key=lambda c: (-where[golden][c], c))
            retire[golden] = refs[ci]
            absorbed[refs[ci]].append(golden)
        else:
            emptied.append(golden)
    return ClusterMap(refs=refs, retire=retire, absorbed=dict(absorbed), split_from=split_from, emptied=emptied)


def plan_goldens(clusters: Sequence[Sequence[int]], mapping: ClusterMap, snapshot: Snapshot) -> GoldenPlan:
    desired: dict[Ref, list[int]] = {ref: list(members) for ref, members in zip(mapping.refs, clusters, strict=True)}
    for golden in mapping.emptied:
        desired[golden] = []
    overrides: dict[Ref, dict[str, Any]] = {}
    for ref, retired in mapping.absorbed.items():
        merged = dict(snapshot.goldens[ref].overrides) if isinstance(ref, int) else {}
        for golden in retired:
            for name, value in snapshot.goldens[golden].overrides.items():
                merged.setdefault(name, value)
        overrides[ref] = merged
    current = {**snapshot.current, **snapshot.leaving}
    return golden_plan(
        domain=snapshot.domain,
        desired=desired,
        members=snapshot.members,
        current=current,
        goldens=snapshot.goldens,
        trust=source_system_trust(),
        retire=mapping.retire,
        leave=sorted(snapshot.leaving),
        absorbed=mapping.absorbed,
        split_from=mapping.split_from,
        overrides=overrides,
        release=True,
    )


def proposal_candidates(
    clusters: Sequence[Sequence[int]],
    snapshot: Snapshot,
    scored: Scored,
    *,
    held: Iterable[engine.Pair] = (),
    skip: Collection[int] = (),
) -> list[Candidate]:
    """The strongest review-band pair between each two clusters that no ruling keeps apart,
    and the automatic merges a run holds (`held`: kind "held", in place of a review pair
    between the same two clusters); none about the records in `skip` (contradictory rulings)."""
    cluster_of = {sid: ci for ci, members in enumerate(clusters) for sid in members}
    apart = {_pair(cluster_of[a], cluster_of[b]) for a, b in snapshot.cannot_link}
    best: dict[tuple[int, int], engine.Pair] = {}
    for pair in scored.review:
        a, b = int(pair.left), int(pair.right)
        key = _pair(cluster_of[a], cluster_of[b])
        if key[0] == key[1] or key in apart or a in skip or b in skip:
            continue
        kept = best.get(key)
        if kept is None or _rank(pair) < _rank(kept):
            best[key] = pair
    kinds: dict[tuple[int, int], str] = {}
    for pair in held:
        key = _pair(cluster_of[int(pair.left)], cluster_of[int(pair.right)])
        best[key] = pair
        kinds[key] = MergeProposal.Kind.HELD
    return [_candidate(pair, kinds.get(key, MergeProposal.Kind.REVIEW)) for key, pair in sorted(best.items())]


def _rank(pair: engine.Pair) -> tuple[float, int, int]:
    a, b = int(pair.left), int(pair.right)
    return (-pair.weight, min(a, b), max(a, b))


def _candidate(pair: engine.Pair, kind: str) -> Candidate:
    return Candidate(
        left=min(int(pair.left), int(pair.right)),
        right=max(int(pair.left), int(pair.right)),
        weight=round(pair.weight, 6),
        probability=round(pair.probability, 6),
        evidence=[{"comparison": e.comparison, "level": e.level, "weight": round(e.weight, 4)} for e in pair.evidence],
        kind=kind,
    )


def cap_candidates(
    candidates: Sequence[Candidate], groups: dict[int, int], cap: int
) -> tuple[list[Candidate], Counter[int]]:
    """At most `cap` candidates with both records in one group (a giant cluster's records,
    by group), the strongest; returns them with every other candidate, and how many
    candidates each group had."""
    kept: list[Candidate] = []
    inside: dict[int, list[Candidate]] = defaultdict(list)
    for c in candidates:
        group = groups.get(c.left)
        if group is not None and group == groups.get(c.right):
            inside[group].append(c)
        else:
            kept.append(c)
    for found in inside.values():
        kept += sorted(found, key=lambda c: (-c.weight, c.left, c.right))[:cap]
    return sorted(kept, key=lambda c: (c.left, c.right)), Counter({g: len(found) for g, found in inside.items()})


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


@dataclass
class MatchResult:
    """What a run did (or, dry, would do): counts, a sample of each kind of change, timings,
    the report comparing it with the previous run and the alarms it raised."""

    domain: str
    dry_run: bool
    model_version: int
    thresholds: dict[str, float]
    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    run: MatchRun | None = None
    largest: list[Ref | None] = field(default_factory=list, repr=False)  # golden records of report["largest"]


def match_run(
    *,
    domain: str,
    actor: str,
    dry_run: bool = False,
    upper: float | None = None,
    lower: float | None = None,
    accept_alarms: bool | Sequence[str] = False,
    exclusive_links: bool | None = None,
    on_progress: ProgressCallback | None = None,
    sample_size: int = SAMPLE_SIZE,
) -> MatchResult:
    """Match a domain end to end with its active model (see the module docstring).

    With `dry_run`, only reads: the result says how many golden records would be created,
    merged, split, updated or deleted, which cross-references would change, what the run
    report and alarms would be, and shows a sample of each. Otherwise the plan is applied
    in bulk and the run stored as a MatchRun. `accept_alarms` (True: every alarm, or the
    names of checks) applies the automatic merges those alarms would hold; the run's
    report says who accepted which. `exclusive_links` overrides the domain's setting
    (False: nothing below the upper threshold merges automatically).
    """
    progress = on_progress or (lambda stage: None)
    accepted = _accepted(accept_alarms)
    model = active_model(domain)
    thresholds = _thresholds(model.thresholds, upper, lower)
    trained = model.trained()
    limits = get_domain(domain).matching
    if exclusive_links is not None:
        limits = replace(limits, exclusive_links=exclusive_links)
    result = MatchResult(domain=domain, dry_run=dry_run, model_version=model.version, thresholds=thresholds)
    operation = uuid.uuid4()
    change = Change(actor=actor, reason=f"match run of {domain} (model v{model.version})", operation=operation)
    run = None
    if not dry_run:
        run = MatchRun.objects.create(
            operation=operation,
            domain=domain,
            model=model,
            thresholds=thresholds,
            actor=actor,
            started_at=timezone.now(),
        )
        result.run = run
    try:
        for attempt in range(1, ATTEMPTS + 1):
            plan, proposals, seen, keys = _plan(result, model, trained, limits, accepted, actor, progress,
                                                sample_size)
            if dry_run:
                return result
            progress("writing")
            started = time.perf_counter()
            try:
                _apply(domain, plan, proposals, seen, keys, run, change, result)
            except StalePlan:
                if attempt == ATTEMPTS:
                    raise
                progress("data changed during the run: planning again")
                continue
            result.timings["write"] = round(time.perf_counter() - started, 3)
            break
    except Exception as exc:
        if run is not None:
            run.status = MatchRun.Status.FAILED
            run.error = str(exc)[:2000]
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
        raise
    assert run is not None
    run.status = MatchRun.Status.COMPLETED
    run.counts = result.counts
    run.timings = result.timings
    run.report = result.report
    run.alarms = result.alarms
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "counts", "timings", "report", "alarms", "finished_at"])
    return result


def _accepted(accept: bool | Sequence[str] | None) -> frozenset[str]:
    if accept is True:
        return frozenset(ACCEPTABLE)
    if not accept:
        return frozenset()
    checks = frozenset(accept)
    if checks - set(ACCEPTABLE):
        raise MatchingError(
            MSG_UNKNOWN_CHECK.format(checks=", ".join(sorted(checks - set(ACCEPTABLE))), known=", ".join(ACCEPTABLE))
        )
    return checks


def _timed(result: MatchResult, name: str, progress: ProgressCallback, label: str, fn: Callable[[], Any]) -> Any:
    progress(label)
    started = time.perf_counter()
    value = fn()
    result.timings[name] = round(time.perf_counter() - started, 3)
    return value


def _plan(
    result: MatchResult,
    model: MatchModel,
    trained: engine.TrainedModel,
    limits: MatchingDefaults,
    accepted: frozenset[str],
    actor: str,
    progress: ProgressCallback,
    sample_size: int,
) -> tuple[GoldenPlan, ProposalPlan, tuple[Any, ...], RunKeys | None]:
    from matching.realtime import RunKeys  # realtime builds on this module

    domain, thresholds = result.domain, result.thresholds
    snapshot: Snapshot = _timed(result, "read", progress, "reading records", lambda: read_domain(domain))
    keys = None if result.dry_run else RunKeys(domain, model.pk, trained.model)
    scored: Scored = _timed(
        result,
        "predict",
        progress,
        f"scoring pairs of {len(snapshot.rows):,} records",
        lambda: score(trained, snapshot, thresholds, limits.conflict_below, observe=keys.observe if keys is not None else None,
                      exclusive_links=limits.exclusive_links),
    )

    def clustering() -> tuple[list[Contradiction], set[int], list[list[int]]]:
        found = contradictions(snapshot)
        pinned = tied(snapshot, (sid for c in found for sid in c.records))
        return found, pinned, cluster(snapshot, scored, pinned=pinned)

    found, pinned, planned = _timed(
        result, "cluster", progress, f"clustering {len(scored.auto):,} auto-merge pairs", clustering
    )
    review: RunReview = _timed(
        result,
        "compare",
        progress,
        "comparing with the previous run",
        lambda: review_run(
            model=model,
            trained=trained,
            snapshot=snapshot,
            scored=scored,
            planned=planned,
            pinned=pinned,
            found=found,
            limits=limits,
            accepted=accepted,
            actor=actor,
        ),
    )

    def plan_all() -> tuple[
        list[list[int]], set[int], dict[int, list[engine.Pair]], ClusterMap, GoldenPlan, ProposalPlan, int
    ]:
        clusters, frozen = hold(planned, review.held, snapshot, scored, pinned)
        merges = held_merges(planned, review.held, clusters, snapshot, scored)
        contested = {sid for c in found for sid in c.records}
        candidates = proposal_candidates(
            clusters, snapshot, scored, held=[p for pairs in merges.values() for p in pairs], skip=contested
        )
        giants = {sid: ci for ci in review.giant if ci in review.held for sid in planned[ci]}
        candidates, review.giant_candidates = cap_candidates(candidates, giants, limits.held_per_cluster)
        mapping = map_clusters(clusters, snapshot)
        plan = plan_goldens(clusters, mapping, snapshot)
        proposals = proposals_plan(domain=domain, wanted=candidates)
        held = sum(1 for c in candidates if c.kind == MergeProposal.Kind.HELD)
        return clusters, frozen, merges, mapping, plan, proposals, held

    snapshot.rows = []  # scored and reviewed: the plan releases the records' attributes as it goes
    clusters, frozen, merges, mapping, plan, proposals, held = _timed(
        result, "plan", progress, "planning golden records", plan_all
    )
    result.counts, result.samples = _report(snapshot, scored, clusters, mapping, plan, proposals, sample_size)
    result.counts["proposals_held"] = held
    result.report, result.alarms, result.largest = review.finish(
        snapshot=snapshot,
        planned=planned,
        clusters=clusters,
        mapping=mapping,
        frozen=frozen,
        merges=merges,
        cap=limits.held_per_cluster,
    )
    result.counts["merges_held"] = sum(len(pairs) for pairs in merges.values())
    result.counts["alarms"] = len(result.alarms)
    return plan, proposals, snapshot.fingerprint, keys


@transaction.atomic
def _apply(
    domain: str,
    plan: GoldenPlan,
    proposals: ProposalPlan,
    seen: tuple[Any, ...],
    keys: RunKeys | None,
    run: MatchRun | None,
    change: Change,
    result: MatchResult,
) -> None:
    # Lock order, as everywhere: source systems (imports hold theirs while they write), the
    # domain's golden-record lock, then (last, in _append_events) the feed counter.
    list(SourceSystem.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    golden_domain_lock(domain)
    if fingerprint(domain) != seen:
        raise StalePlan(f"{domain} records, golden records or rulings changed while the run was planned")
    applied = golden_plan_apply(plan=plan, change=change)
    proposals_apply(plan=proposals, run=run, change=change)
    result.counts["events"] = applied.events
    for entry, ref in zip(result.report.get("largest", []), result.largest, strict=False):
        if isinstance(ref, str):  # a new golden record: its ID exists now
            entry["golden_id"] = applied.golden_ids.get(ref)
    from matching.realtime import match_keys_refresh

    match_keys_refresh(domain=domain, run_keys=keys)  # the blocking-key index real-time matching reads


# ---------------------------------------------------------------------------
# Run report and alarms
# ---------------------------------------------------------------------------


def run_figures(snapshot: Snapshot, scored: Scored, planned: Sequence[Sequence[int]]) -> dict[str, Any]:
    """What a run's clustering looks like (before anything is held): the figures runs are
    compared by."""
    records = len(snapshot.members)
    auto, review = len(scored.auto), len(scored.review) - scored.exclusive  # an exclusive link merges without a steward
    sizes = dict.fromkeys((name for name, _ in SIZE_BUCKETS), 0)
    for members in planned:
        sizes[next(name for name, top in SIZE_BUCKETS if len(members) <= top)] += 1
    largest = sorted(planned, key=lambda c: (-len(c), c[0]))[:LARGEST]
    return {
        "records": records,
        "match_rate": round(sum(len(c) for c in planned if len(c) > 1) / records, 4) if records else 0.0,
        "pairs_auto": auto - scored.exclusive,
        "pairs_exclusive": scored.exclusive,
        "pairs_review": review,
        "auto_share": round(auto / (auto + review), 4) if auto + review else 0.0,
        "review_share": round(review / (auto + review), 4) if auto + review else 0.0,
        "cluster_sizes": sizes,
        "largest_size": len(largest[0]) if largest else 0,
        "largest": [{"size": len(c), "members": [snapshot.label(s) for s in c[:MEMBERS_SHOWN]]} for c in largest],
    }


COMPARED = ("records", "match_rate", "auto_share", "review_share", "largest_size")


def baseline_run(domain: str) -> MatchRun | None:
    """The run a new one is compared with: the domain's last completed run that applied its
    automatic merges (none held for drift, or its alarms accepted)."""
    runs = MatchRun.objects.filter(domain=domain, status=MatchRun.Status.COMPLETED, report__baseline=True)
    return runs.select_related("model").order_by("-started_at", "-pk").first()


def _levels(model: MatchModel) -> dict[tuple[str, str], float]:
    """Match weight of each level of a stored model (and the prior's, as log2 odds)."""
    levels = (model.report or {}).get("levels") or engine.parameter_table(model.trained())
    weights = {(row["comparison"], row["level"]): float(row["weight"]) for row in levels}
    prior = (model.artifact or {}).get("prior")
    if prior and 0 < prior < 1:
        weights[("prior", "two records match")] = probability_weight(prior)
    return weights


def parameter_drift(before: MatchModel, after: MatchModel) -> dict[str, Any]:
    """How far each level's match weight (log2 m/u), and the prior's, moved between two
    models: per level, and the largest move."""
    old, new = _levels(before), _levels(after)
    levels = [
        {
            "comparison": comparison,
            "level": level,
            "before": round(old[key], 4),
            "after": round(weight, 4),
            "change": round(abs(weight - old[key]), 4),
        }
        for key, weight in new.items()
        if key in old
        for comparison, level in [key]
    ]
    worst = max(levels, key=lambda row: row["change"], default=None)
    return {
        "from_version": before.version,
        "to_version": after.version,
        "max": worst["change"] if worst else 0.0,
        "comparison": worst["comparison"] if worst else None,
        "level": worst["level"] if worst else None,
        "levels": levels,
    }


def _alarm(check: str, value: float, limit: float, **figures: Any) -> dict[str, Any]:
    return {"check": check, "value": value, "limit": limit, "message": "", **figures}


@dataclass
class RunReview:
    """A run measured against its baseline: the report, the alarms, and which planned
    clusters the run holds (all of them on a drift alarm, else the giant ones)."""

    report: dict[str, Any]
    alarms: list[dict[str, Any]]
    held: list[int]  # planned clusters held
    giant: list[int]  # planned clusters over the size limit that the run would create or grow
    giant_candidates: Counter[int] = field(default_factory=Counter)  # giant -> proposals before the cap

    def finish(
        self,
        *,
        snapshot: Snapshot,
        planned: Sequence[Sequence[int]],
        clusters: Sequence[Sequence[int]],
        mapping: ClusterMap,
        frozen: set[int],
        merges: dict[int, list[engine.Pair]],
        cap: int,
    ) -> tuple[dict[str, Any], list[dict[str, Any]], list[Ref | None]]:
        """Complete the report and alarms once the plan is known: golden records of the
        largest clusters, what was held, what each giant cluster shares."""
        report = self.report
        applied = {tuple(members): ref for members, ref in zip(clusters, mapping.refs, strict=True)}
        golden_ids = {pk: state.golden_id for pk, state in snapshot.goldens.items()}
        refs: list[Ref | None] = []
        for entry, members in zip(report["largest"], sorted(planned, key=lambda c: (-len(c), c[0])), strict=False):
            ref = applied.get(tuple(members))
            refs.append(ref)
            entry["golden_id"] = golden_ids.get(ref) if isinstance(ref, int) else None
            entry["held"] = ref is None
        planned_of = {sid: ci for ci, members in enumerate(planned) for sid in members}
        parts: dict[int, set[int]] = defaultdict(set)  # golden record kept as it is -> planned clusters
        for sid in frozen:
            if snapshot.current.get(sid) is not None:
                parts[snapshot.current[sid]].add(planned_of[sid])
        report["held"] = {
            "clusters": sum(1 for pairs in merges.values() if pairs),
            "records": len(frozen),
            "merges": sum(len(pairs) for pairs in merges.values()),
            "splits": sum(1 for found in parts.values() if len(found) > 1),  # kept whole instead
        }
        for alarm in self.alarms:
            if alarm["check"] != CHECK_CLUSTER_SIZE:
                continue
            ci = alarm.pop("cluster")
            alarm["merges"] = len(merges.get(ci, []))
            alarm["proposals"] = min(self.giant_candidates[ci], cap) if ci in self.held else 0
            shared = "; ".join(f"{s['rule']} {s['value']} ({s['records']} records)" for s in alarm["shared"])
            alarm["message"] = MSG_ALARM[CHECK_CLUSTER_SIZE].format(
                **{**alarm, "shared": f", sharing {shared}" if shared else ""}
            )
        return report, self.alarms, refs


def _shared_values(trained: engine.TrainedModel, rows: list[Mapping[str, Any]], top: int = 3) -> list[dict[str, Any]]:
    """The largest blocks among a cluster's records (a tenth of them or more): the values
    that chain it together."""
    try:
        counts = engine.check_blocking(trained, rows, cap=sys.maxsize)
    except engine.EngineError:
        return []
    blocks = [
        {"rule": entry["rule"], "value": value, "records": size}
        for entry in counts
        for value, size in entry["largest_blocks"]
        if size > 1 and size * 10 >= len(rows)
    ]
    return sorted(blocks, key=lambda b: (-b["records"], b["rule"], str(b["value"])))[:top]


def review_run(
    *,
    model: MatchModel,
    trained: engine.TrainedModel,
    snapshot: Snapshot,
    scored: Scored,
    planned: Sequence[Sequence[int]],
    pinned: Collection[int],
    found: Sequence[Contradiction],
    limits: MatchingDefaults,
    accepted: frozenset[str],
    actor: str,
) -> RunReview:
    """Measure a planned run, compare it with the baseline run and raise the alarms."""
    figures = run_figures(snapshot, scored, planned)
    report: dict[str, Any] = {
        **figures,
        "model_version": model.version,
        "previous": None,
        "deltas": None,
        "drift": None,
        "limits": {name: getattr(limits, name) for name in LIMITS},
        "exclusive_links": limits.exclusive_links,
    }
    alarms: list[dict[str, Any]] = []
    previous = baseline_run(snapshot.domain)
    if previous is not None:
        before = previous.report
        report["previous"] = {
            "run": previous.pk,
            "model_version": previous.model.version,
            **{key: before.get(key) for key in COMPARED},
            "cluster_sizes": before.get("cluster_sizes", {}),
        }
        report["deltas"] = {
            **{key: round(figures[key] - (before.get(key) or 0), 4) for key in COMPARED},
            "cluster_sizes": {
                name: count - before.get("cluster_sizes", {}).get(name, 0)
                for name, count in figures["cluster_sizes"].items()
            },
        }
        if min(before.get("records", 0), figures["records"]) >= limits.drift_min_records:
            for check, key, limit in (
                (CHECK_MATCH_RATE, "match_rate", limits.max_match_rate_change),
                (CHECK_AUTO_SHARE, "auto_share", limits.max_auto_share_change),
            ):
                value = round(abs(figures[key] - before[key]), 4)
                if value > limit:
                    alarms.append(_alarm(check, value, limit, before=before[key], after=figures[key], run=previous.pk))
        if previous.model_id != model.pk:
            drift = parameter_drift(previous.model, model)
            report["drift"] = drift
            if drift["max"] > limits.max_parameter_drift:
                alarms.append(
                    _alarm(
                        CHECK_PARAMETER_DRIFT,
                        drift["max"],
                        limits.max_parameter_drift,
                        before=drift["from_version"],
                        after=drift["to_version"],
                        comparison=drift["comparison"],
                        level=drift["level"],
                    )
                )
    giant = [
        ci
        for ci, members in enumerate(planned)
        if len(members) > limits.max_cluster_size and grows(members, snapshot) and members[0] not in pinned
    ]
    rows = {int(row["unique_id"]): row for row in snapshot.rows} if giant else {}
    for ci in giant:
        members = planned[ci]
        alarms.append(
            _alarm(
                CHECK_CLUSTER_SIZE,
                len(members),
                limits.max_cluster_size,
                cluster=ci,
                goldens=len({snapshot.current[sid] for sid in members} - {None}),
                new=sum(1 for sid in members if snapshot.current.get(sid) is None),
                records=[snapshot.label(sid) for sid in members[:MEMBERS_SHOWN]],
                shared=_shared_values(trained, [rows[sid] for sid in members]),
            )
        )
    if found:
        records = sorted({sid for c in found for sid in c.records})
        pairs = [pair for c in found for pair in c.pairs]
        alarms.append(
            _alarm(
                CHECK_CONTRADICTIONS,
                len(records),
                0,
                records=[f"{snapshot.label(sid)} ({sid})" for sid in records],
                pairs=[list(pair) for pair in pairs],
            )
        )
    for alarm in alarms:
        check = alarm["check"]
        if check not in ACCEPTABLE:
            alarm["action"] = "kept"  # the records keep their golden records
        elif check in accepted:
            alarm["action"] = "accepted"
            alarm["accepted_by"] = actor
        else:
            alarm["action"] = "held"
        if check != CHECK_CLUSTER_SIZE:  # its message needs the plan: RunReview.finish
            pairs_text = ", ".join(f"{a}~{b}" for a, b in alarm.get("pairs", [])[:MEMBERS_SHOWN])
            alarm["message"] = MSG_ALARM[check].format(**{**alarm, "pairs": pairs_text})
    hold_all = any(a["check"] in DRIFT_CHECKS and a["action"] == "held" for a in alarms)
    if hold_all:
        held = [ci for ci, members in enumerate(planned) if members[0] not in pinned]
    else:
        held = [a["cluster"] for a in alarms if a["check"] == CHECK_CLUSTER_SIZE and a["action"] == "held"]
    giant_held = any(a["check"] == CHECK_CLUSTER_SIZE and a["action"] == "held" for a in alarms)
    report["hold"] = "run" if hold_all else "clusters" if giant_held else ""
    report["baseline"] = not hold_all
    taken = sorted({a["check"] for a in alarms if a["action"] == "accepted"})
    report["accepted"] = {"by": actor, "checks": taken} if taken else None
    return RunReview(report=report, alarms=alarms, held=sorted(held), giant=giant)


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def _report(
    snapshot: Snapshot,
    scored: Scored,
    clusters: Sequence[Sequence[int]],
    mapping: ClusterMap,
    plan: GoldenPlan,
    proposals: ProposalPlan,
    size: int,
) -> tuple[dict[str, int], dict[str, list[str]]]:
    goldens = snapshot.goldens
    ids = {pk: state.golden_id for pk, state in goldens.items()}
    new_names = {ref: f"(new {ref.split(':')[1]})" for ref in mapping.refs if isinstance(ref, str)}

    def name(ref: Ref | None) -> str:
        if ref is None:
            return "(none)"
        return ids[ref] if isinstance(ref, int) else new_names[ref]

    targets = {t.ref: t for t in plan.targets}
    split_parts: dict[int, list[str]] = defaultdict(list)
    for ref, origin in mapping.split_from.items():
        split_parts[origin].append(ref)
    created = [ref for ref in mapping.refs if isinstance(ref, str) and ref not in mapping.split_from]
    updated = [t for t in plan.targets if isinstance(t.ref, int) and not t.absorbed and t.ref not in split_parts]
    multi = [c for c in clusters if len(c) > 1]
    counts = {
        "records": len(snapshot.members),
        "deleted_records_leaving": len(snapshot.leaving),
        "pairs_auto": len(scored.auto) - scored.exclusive,
        "pairs_exclusive": scored.exclusive,
        "pairs_review": len(scored.review) - scored.exclusive,
        "pairs_checked": scored.checked,
        "pairs_conflict": len(scored.conflicts),
        "must_links": len(snapshot.must_link),
        "cannot_links": len(snapshot.cannot_link),
        "golden_records": len(clusters),
        "golden_multi_record": len(multi),
        "records_merged": sum(len(c) for c in multi) - len(multi),
        "golden_created": len(created),
        "golden_merged": len(plan.retire),
        "golden_split": len(split_parts),
        "golden_split_parts": len(mapping.split_from),
        "golden_updated": len(updated),
        "golden_deleted": len(plan.delete),
        "golden_unchanged": sum(
            1 for ref in mapping.refs if isinstance(ref, int) and ref not in targets and ref not in split_parts
        ),
        "xref_changed": len(plan.moves),
        "proposals_new": len(proposals.create),
        "proposals_rescored": len(proposals.rescore),
        "proposals_reopened": len(proposals.reopen),
        "proposals_superseded": len(proposals.supersede),
        "proposals_pending": proposals.pending_after,
    }
    label = snapshot.label
    members_of = {ref: members for ref, members in zip(mapping.refs, clusters, strict=True)}

    def record_list(sids: Sequence[int]) -> str:
        shown = ", ".join(label(s) for s in sids[:3])
        return shown + (f" and {len(sids) - 3} more" if len(sids) > 3 else "")

    samples: dict[str, list[str]] = {
        "created": [
            f"{name(ref)} {targets[ref].attributes.get('name', '')!s}: {record_list(members_of[ref])}"
            for ref in created[:size]
        ],
        "merged": [
            f"{name(golden)} -> {name(successor)} (retired; its ID resolves to the survivor)"
            for golden, successor in sorted(plan.retire.items())[:size]
        ],
        "split": [
            f"{name(origin)} keeps {len(members_of.get(origin, []))} records; split off: "
            + "; ".join(f"{name(ref)} {record_list(members_of[ref])}" for ref in parts)
            for origin, parts in sorted(split_parts.items())[:size]
        ],
        "updated": [
            f"{name(t.ref)}: {', '.join(_changed(goldens[t.ref].attributes, t.attributes)) or 'lineage'}"
            for t in updated[:size]
        ],
        "deleted": [f"{name(pk)} (no live source record left)" for pk in plan.delete[:size]],
        "xref": [
            f"{label(sid)}: {name(snapshot.current.get(sid) or snapshot.leaving.get(sid))} -> {name(ref)}"
            for sid, ref in sorted(plan.moves.items())[:size]
        ],
    }
    changed = {  # new proposals; and those held by this run, new or not
        MergeProposal.Kind.REVIEW: [c for c in proposals.create if c.kind == MergeProposal.Kind.REVIEW],
        MergeProposal.Kind.HELD: sorted(
            (c for c in [*proposals.create, *(c for _, c in [*proposals.rescore, *proposals.reopen])]
             if c.kind == MergeProposal.Kind.HELD),
            key=lambda c: (c.left, c.right),
        ),
    }
    for kind, candidates in changed.items():
        samples["proposals" if kind == MergeProposal.Kind.REVIEW else kind] = [
            f"{label(c.left)} ~ {label(c.right)} weight {c.weight:+.2f}: "
            + ", ".join(f"{e['comparison']} {e['level']}" for e in c.evidence if e["weight"] > 0)
            for c in candidates[:size]
        ]
    return counts, {kind: lines for kind, lines in samples.items() if lines}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if "__" not in k and before.get(k) != after.get(k))


def domain_summary(domain: str) -> dict[str, int]:
    """Golden records, source records and proposals of a domain, for summaries."""
    active = GoldenRecord.objects.filter(domain=domain, status=GoldenRecord.Status.ACTIVE)
    multi = active.annotate(n=Count("members", filter=Q(members__is_deleted=False))).filter(n__gt=1)
    return {
        "records": SourceRecord.objects.filter(domain=domain, is_deleted=False).count(),
        "golden_records": active.count(),
        "golden_multi_record": multi.count(),
        "proposals_pending": MergeProposal.objects.filter(domain=domain, status=MergeProposal.Status.PENDING).count(),
    }
