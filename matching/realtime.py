"""Real-time matching: one record against the stored ones, without re-running the batch.

    decision = record_match(record=record, actor="system:crm")   # attach / propose / create
    result = search("customer", {"name": "华为技术有限公司", "phone": "0755-28780808"})  # .matches
    match_keys_refresh(domain="customer", full=True)             # the blocking-key index, bulk
    match_keys_refresh(domain="customer", records=[17, 18])      # ... or some records
    import_run_match(run=import_run)                             # what an import changed

Candidates come from the blocking-key index (MatchKey): every blocking rule of the
domain's active model gives each record a key, the values of the rule's columns (a
list-valued column as the whole list: Splink's `block_on` compares lists whole, so the
index pairs exactly the records a batch run pairs). A record's candidates are the live
records that share any key with it and belong to a golden record, read in one indexed
query. Each is scored with the model's parameters in pure Python: matching.engine's
Scorer, proven equal to Splink's match weights, with the parts of each level's
condition in order of cost and, where only pairs above a floor matter, an early exit
once a pair cannot reach it (BoundedScorer; both tested against Splink). Splink's own
per-pair call costs tens of milliseconds, thousands of times more (docs/benchmarks.md).
A golden record's strength is its strongest pair. An arrival is scored against at most
the domain's `max_candidates` records (under 50 ms of scoring, docs/benchmarks.md): when
its keys bring more, the most common keys are left out (a switchboard phone thousands of
records share) and the decision names them.

The index is kept by whoever changes what it is derived from: a batch run refreshes it
when it applies its plan (the records changed since the last run with the same model,
or all of them under a new model), `record_match` refreshes the record it matches (so
the ingest hook keeps an import's records current), and match_keys_refresh(full=True)
repairs or rebuilds it in bulk. Keys are derived data: no history.

What `record_match` decides, in one transaction under the usual lock order (the record's
source system, the domain's golden-record lock, the feed counter), through
golden_plan / golden_plan_apply like a batch run, so with history rows and change events:

- attach: to the strongest golden record at or above the upper threshold that it may
  join: no steward cannot-link between the record and any member, and no member in
  conflict with it (engine.Conflicts: scored below the domain's `conflict_below`, or
  below the upper threshold at a level the model declares a conflict; the rule that keeps
  records apart in a batch run; every member is scored, not only those blocking found).
  Failing that, with the domain's `exclusive_links`, to the golden record of a member it
  has an exclusive link with, as a batch run joins them (engine.exclusive_links: band
  pairs across two systems, its candidates there all in one group of that golden record
  (what automatic pairs and must-links join) that holds no record of its system, while
  groups that hold one are taken; and that group has no other candidate in the record's
  system but taken ones; the members' own candidates are retrieved and scored to know).
  Decision.exclusive says so. Of two golden records it may attach to, one with a record
  of its system that it does not score at or above the upper threshold with comes last
  (a system holds an entity once, as a rule: engine.cluster).
  A must-link decides before any score (and outweighs a conflict, as in a batch run).
- propose: nothing to attach to, but a golden record in the review band: the record gets
  a new golden record of its own and the stewards a proposal (its strongest pair there).
- create: nothing in the band: a new golden record.
- hold: the golden record it would attach to already has the domain's
  `max_cluster_size` records (a switchboard phone chaining companies), or the active
  model's level weights moved by more than `max_parameter_drift` bits from those of the
  model the last applied batch run used: as a batch run holds such merges, the record
  gets a golden record of its own and the stewards a held proposal (kind "held") to join
  them (Decision.withheld says why); a must-link still decides.
- keep: the record already belongs to a golden record it may stay in (a must-link, or a
  pair at or above the upper threshold or an exclusive link with another live member; or it is the only
  member and nothing it may join scores above the upper threshold); nothing moves. A
  record that may not stay leaves (its golden record keeps the others) and is matched
  like a new one; a record alone in its golden record that now matches another one moves
  there, and the emptied golden record retires into it, so its ID still resolves.
- skip: the record is deleted (it left its golden record when the deletion arrived).

Proposals go to every other golden record with a pair at or above the lower threshold,
unless a cannot-link keeps the two apart (as in a batch run) or a pending proposal
already joins them; through stewardship.services.proposal_offer, which never touches the
domain's other proposals.

Where this differs from a batch run, on purpose, because real-time matching never moves
records other than the one that arrived and never merges golden records silently:
(1) When more than one golden record scores at or above the upper threshold, a batch run
merges them through the new record (or, when a conflict forbids that, re-partitions
their records around the strongest pairs); real-time matching attaches the record to
the strongest and offers a proposal for each of the others. (2) When a conflict with a
member keeps the record out of a golden record it matches, a batch run may instead take
that member out (its pairs are weaker); real-time matching keeps the record out and
names the golden record in `Decision.held_apart`. (3) A batch run pairs every record
sharing a key, however common; real-time matching leaves out keys past `max_candidates`
(Decision.skipped_keys). The next batch run settles all three.

`search` standardizes a candidate record exactly as an import would, retrieves and scores
candidates the same way and returns the best golden records with the evidence of their
strongest pair; it writes nothing.
"""
from __future__ import annotations

import hashlib
import heapq
import json
import math
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from matching import engine
from matching import models as m
from matching.features import features
from matching.services import MatchingError, active_model, baseline_run, parameter_drift
from mdm import bulk
from mdm.components import Components
from mdm.domains import all_domains, get_domain
from mdm.errors import DeclarationError, RowRejected
from mdm.history import Change
from mdm.models import (
    GoldenRecord,
    ImportRun,
    MatchKey,
    MatchModel,
    MatchRun,
    SourceRecord,
    SourceSystem,
)
from mdm.services import (
    MEMBER_VALUES,
    GoldenState,
    Ref,
    golden_domain_lock,
    golden_plan,
    golden_plan_apply,
    golden_state,
    member_from_values,
    source_system_trust,
)
from stewardship.models import MergeProposal, PairConstraint
from stewardship.services import Candidate, proposal_offer

KEY_CHARS = 255  # MatchKey.value; a longer key is stored as its hash
KEY_HASH = "sha256:"
LIST_SEPARATOR = "\x1f"  # between the elements of a list-valued column
COLUMN_SEPARATOR = "\x1e"  # between the columns of a multi-column rule
KEY_SEPARATOR, RULE_SEPARATOR = "\x1d", "\x1c"  # a record's keys packed in one string (RunKeys)
REFRESH_CHUNK = 2000  # records whose keys are refreshed per read
DELETE_CHUNK = 500
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
MSG_OTHER_MODEL = "the {domain} blocking keys were collected under another model than the active one"
MSG_NO_RULES = "the {domain} model declares no blocking rule with columns: nothing to retrieve candidates by"


class RealtimeError(MatchingError):
    code = "realtime_error"


# ---------------------------------------------------------------------------
# Scoring: the engine's scorer, cheap tests first
# ---------------------------------------------------------------------------

_COST: dict[type, int] = {
    m.Null: 0, m.BothNull: 0, m.EitherTrue: 0, m.EitherFalse: 0, m.Exact: 1, m.Differ: 1,
    m.Overlap: 2, m.Subset: 2, m.JaroWinkler: 20, m.Damerau: 40,
}


def _cost(cond: m.Condition) -> int:
    if isinstance(cond, (m.All, m.Any)):
        return sum(_cost(p) for p in cond.parts)
    if isinstance(cond, m.Not):
        return _cost(cond.part)
    return _COST.get(type(cond), 10)


def _cheap_first(cond: m.Condition | None) -> m.Condition | None:
    """The same condition with the parts of every AND and OR in order of cost. SQL's
    three-valued AND and OR are commutative (FALSE, resp. TRUE, decides whatever the
    order; otherwise NULL if any part is NULL), so the result is the same: only a string
    distance is skipped when a cheap part already decides (tax-id typo: 'one side fails
    the check character' before the edit distance)."""
    if isinstance(cond, (m.All, m.Any)):
        parts = sorted((_cheap_first(p) for p in cond.parts), key=_cost)
        return type(cond)(*parts)
    if isinstance(cond, m.Not):
        return m.Not(_cheap_first(cond.part))
    return cond


def fast_scorer(trained: engine.TrainedModel) -> engine.Scorer:
    """engine.Scorer for the model with its conditions reordered by `_cheap_first`: the
    same levels and weights (tested against Splink), faster on pairs that differ."""
    declared = trained.model
    comparisons = tuple(
        m.Comparison(c.name, c.description, tuple(replace(lv, condition=_cheap_first(lv.condition)) for lv in c.levels))
        for c in declared.comparisons
    )
    data = json.loads(trained.to_json())
    data["declaration"] = engine.declaration_to_dict(replace(declared, comparisons=comparisons))
    return engine.Scorer(engine.TrainedModel(**data))


PRUNE_MARGIN = 1e-9  # a bound this close to the floor is scored, whatever the rounding


class BoundedScorer:
    """engine.Scorer's `score` with an early exit for pairs that cannot reach a floor.

    Comparisons are evaluated cheapest first; after each, the weight so far plus the
    largest weight the remaining comparisons could still add is an upper bound of the
    pair's weight, and when it falls below `floor` the pair is dropped (None). A pair that
    is scored gets exactly Scorer.score's levels and weights, and its total summed in the
    declared order (bit for bit the same float). A comparison with a term-frequency
    adjustment has no bound: it never lets a pair be dropped before it is evaluated."""

    def __init__(self, scorer: engine.Scorer, declared: m.DomainModel):
        self.scorer = scorer
        costs = [sum(_cost(lv.condition) for lv in c.levels if lv.condition is not None) for c in declared.comparisons]
        self.order = sorted(range(len(costs)), key=lambda i: (costs[i], i))
        most = [
            math.inf if any(lv.tf_column for lv in levels) else max((lv.weight for lv in levels), default=0.0)
            for _, levels in scorer.comparisons
        ]
        self.headroom = [sum(most[i] for i in self.order[k + 1 :]) for k in range(len(self.order))]

    def score(self, left: Mapping[str, Any], right: Mapping[str, Any], floor: float | None = None
              ) -> tuple[float, tuple[engine.Evidence, ...]] | None:
        scorer = self.scorer
        found: list[engine.Evidence | None] = [None] * len(self.order)
        partial = scorer.prior_weight
        for k, ci in enumerate(self.order):
            name, levels = scorer.comparisons[ci]
            for level in levels:
                if level.test is None or level.test(left, right) is True:
                    weight = level.weight
                    if level.tf_column is not None:
                        weight += scorer._tf_adjustment(level, left, right)
                    found[ci] = engine.Evidence(name, level.label, weight)
                    partial += weight
                    break
            if floor is not None and partial + self.headroom[k] < floor - PRUNE_MARGIN:
                return None
        total = scorer.prior_weight
        evidence = []
        for item in found:
            if item is not None:
                total += item.weight
                evidence.append(item)
        return total, tuple(evidence)


@dataclass(frozen=True)
class _Model:
    pk: int
    domain: str
    thresholds: dict[str, float]
    rules: dict[str, tuple[str, ...]]
    scorer: engine.Scorer
    bounded: BoundedScorer


_MODELS: dict[str, _Model] = {}  # domain -> its active model, compiled (artifacts never change)


def _model(domain: str) -> _Model:
    """The domain's active model, compiled once per process and version."""
    row = MatchModel.objects.filter(domain=domain, is_active=True).values("pk", "thresholds").first()
    if row is None:
        active_model(domain)  # raises the matching module's "no trained model" error
    cached = _MODELS.get(domain)
    if cached is None or cached.pk != row["pk"]:
        trained = MatchModel.objects.get(pk=row["pk"]).trained()
        rules = _rules(trained.model)
        scorer = fast_scorer(trained)
        cached = _MODELS[domain] = _Model(row["pk"], domain, {}, rules, scorer, BoundedScorer(scorer, trained.model))
    return replace(cached, thresholds={k: float(v) for k, v in row["thresholds"].items()})


def _indexed_model(domain: str) -> _Model:
    model = _model(domain)
    if not model.rules:
        raise RealtimeError(MSG_NO_RULES.format(domain=domain))
    return model


FEATURE_CACHE = 200_000  # feature rows of stored records kept per process
_FEATURES: dict[tuple[int, int, str], dict[str, Any]] = {}  # (id, version, content hash) -> feature row
_FEATURES_LOCK = threading.Lock()


def _features_of(model: _Model, row: Mapping[str, Any]) -> dict[str, Any]:
    """The feature row of a stored record, computed once per record version and process.
    The version changes whenever the record does, and the content hash names what the
    source sent, so a cached row is never stale, not even for an id a rolled-back
    transaction handed out before."""
    key = (row["id"], row["version"], row["content_hash"])
    found = _FEATURES.get(key)
    if found is None:
        found = _prepared(model, row["attributes"], row["system__code"])
        with _FEATURES_LOCK:
            while len(_FEATURES) >= FEATURE_CACHE:
                _FEATURES.pop(next(iter(_FEATURES)), None)
            _FEATURES[key] = found
    return found


def features_cache_clear() -> None:
    with _FEATURES_LOCK:
        _FEATURES.clear()


# ---------------------------------------------------------------------------
# The blocking-key index
# ---------------------------------------------------------------------------


def _key_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):  # Splink's block_on compares the whole list
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def record_keys(rules: Mapping[str, Sequence[str]], frow: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(rule, value) of every blocking rule whose columns all have a value in the feature
    row (as Splink's `l.col = r.col`, which a NULL never satisfies). A value longer than
    the index column is stored as its SHA-256."""
    keys = set()
    for rule, columns in rules.items():
        parts = [_key_text(frow.get(c)) for c in columns]
        if not columns or any(p is None for p in parts):
            continue
        value = COLUMN_SEPARATOR.join(parts)  # type: ignore[arg-type]
        if len(value) > KEY_CHARS:
            value = KEY_HASH + hashlib.sha256(value.encode()).hexdigest()
        keys.add((rule, value))
    return keys


@dataclass
class KeyRefresh:
    records: int = 0
    inserted: int = 0
    deleted: int = 0


def _record_chunks(domain: str, records: Iterable[int] | None,
                   before: datetime | None = None) -> Iterator[list[dict[str, Any]]]:
    """Chunks of (id, is_deleted) of the records (attributes are read only for those whose
    keys are not computed already); with `before`, of those last changed before then.

    Read by primary key alone and the domain checked here: given the domain too, SQLite
    (which keeps no statistics) walked the domain's index for every chunk, and sorted it
    to page by key, so a 1M first run's refresh spent minutes reading (id, is_deleted)."""
    fields = ("id", "is_deleted", "domain")
    if records is not None:
        ids = sorted(set(records))
        for start in range(0, len(ids), REFRESH_CHUNK):
            rows = SourceRecord.objects.filter(pk__in=ids[start : start + REFRESH_CHUNK]).order_by("pk")
            yield [row for row in rows.values(*fields) if row["domain"] == domain]
        return
    everything = SourceRecord.objects.all()
    if before is not None:
        everything = everything.filter(updated_at__lt=before)
    last = 0
    while True:
        rows = list(everything.filter(pk__gt=last).order_by("pk").values(*fields)[:REFRESH_CHUNK])
        if not rows:
            return
        last = rows[-1]["id"]
        yield [row for row in rows if row["domain"] == domain]


def _key_diff(domain: str, rules: Mapping[str, Sequence[str]], rows: list[dict[str, Any]],
              computed: Mapping[int, set[tuple[str, str]]] | None = None
              ) -> tuple[dict[tuple[int, str, str], int], set[tuple[int, str, str]]]:
    """The stored keys of the records that should not be there ((record, rule, value) ->
    key pk), and the keys they should have that are missing."""
    wanted: set[tuple[int, str, str]] = set()
    live = [row["id"] for row in rows if not row["is_deleted"]]
    missing = [sid for sid in live if computed is None or sid not in computed]
    attributes = dict(SourceRecord.objects.filter(pk__in=missing).values_list("id", "attributes")) if missing else {}
    for sid in live:
        keys = computed[sid] if sid not in attributes else record_keys(rules, features(domain, attributes[sid]))
        wanted |= {(sid, rule, value) for rule, value in keys}
    ids = {row["id"] for row in rows}
    # by record only, through the (record, rule, value) index: a record's keys are all of its domain
    if len(ids) <= DELETE_CHUNK:
        stored = MatchKey.objects.filter(record_id__in=sorted(ids))
    else:  # a range read on the (record, rule, value) index, then only these records
        stored = MatchKey.objects.filter(record_id__gte=min(ids), record_id__lte=max(ids))
    have: dict[tuple[int, str, str], int] = {}
    for pk, record, rule, value in stored.values_list("id", "record_id", "rule", "value"):
        if record in ids:
            have[(record, rule, value)] = pk
    return {key: pk for key, pk in have.items() if key not in wanted}, wanted - set(have)


def _refresh_rows(domain: str, rules: Mapping[str, Sequence[str]], rows: list[dict[str, Any]], result: KeyRefresh,
                  computed: Mapping[int, set[tuple[str, str]]] | None = None) -> None:
    if not rows:
        return
    extra, missing = _key_diff(domain, rules, rows, computed)
    stale = sorted(extra.values())
    new = [{"domain": domain, "rule": r, "value": v, "record_id": sid} for sid, r, v in sorted(missing)]
    for start in range(0, len(stale), DELETE_CHUNK):
        MatchKey.objects.filter(pk__in=stale[start : start + DELETE_CHUNK]).delete()
    bulk.insert(MatchKey, new, with_pks=False)
    result.records += len(rows)
    result.inserted += len(new)
    result.deleted += len(stale)


def match_keys_problems(limit: int) -> list[str]:
    """What the blocking-key index holds wrongly (at most `limit` lines, then a count):
    a key of a record that does not exist or belongs to another domain (the database
    does not check it), and, in each domain whose active model has a completed run, a
    record unchanged since that run whose keys are not its features' keys: the next run
    refreshes only the records changed since, so such a key would stay wrong."""
    orphans = MatchKey.objects.exclude(
        Exists(SourceRecord.objects.filter(pk=OuterRef("record_id"), domain=OuterRef("domain")))
    ).order_by("domain", "record_id", "rule", "value")
    problems = [f"key {d} {r}={_printable(v)} of record {sid}: no such {d} record"
                for d, r, v, sid in orphans.values_list("domain", "rule", "value", "record_id")[:limit]]
    found = orphans.count()
    for domain in all_domains():
        pk = MatchModel.objects.filter(domain=domain, is_active=True).values_list("pk", flat=True).first()
        last = _last_run_started(domain, pk) if pk else None
        if last is None:
            continue
        rules = _model(domain).rules
        for rows in _record_chunks(domain, None, before=last):
            extra, missing = _key_diff(domain, rules, rows)
            for (sid, rule, value), what in sorted([*((k, "stale") for k in extra), *((k, "missing") for k in missing)]):
                found += 1
                if len(problems) < limit:
                    problems.append(f"{domain} record {sid}: key {rule}={_printable(value)} is {what}")
    return problems if found == len(problems) else [*problems, f"... and {found - len(problems)} more"]


def _last_run_started(domain: str, model: int) -> datetime | None:
    """When the last completed match run with the model started: its key refresh saw every
    record changed before (writers of a domain hold its golden lock)."""
    return (MatchRun.objects.filter(domain=domain, model_id=model, status=MatchRun.Status.COMPLETED)
            .order_by("-started_at").values_list("started_at", flat=True).first())


def _changed_since_last_run(domain: str, model: int) -> list[int] | None:
    """Records changed since the last completed match run with the model started, or None
    when there is no such run (a new model may block on other columns: refresh all)."""
    last = _last_run_started(domain, model)
    if last is None:
        return None
    return list(SourceRecord.objects.filter(domain=domain, updated_at__gte=last).values_list("pk", flat=True))


def _rules(declared: m.DomainModel) -> dict[str, tuple[str, ...]]:
    return {name: tuple(cols) for name, cols in declared.blocking.items() if cols}


class RunKeys(Mapping[int, set[tuple[str, str]]]):
    """The keys a batch run brings the index up to date with: which records it refreshes
    (those changed since the last completed run with the model, or all), and their keys
    (record id -> keys), taken from the feature rows its predict computes anyway
    (engine.predict `observe`), so a run computes each record's features once. Decided
    when the run plans; a record that changes before it applies makes the plan stale, so
    they still hold when it does. Each record's keys are held packed in one UTF-8 byte
    string, rules by number, until they are written (a set of tuples would take a
    gigabyte at a million records, a str of mostly ASCII with a few Chinese characters
    two bytes a character)."""

    def __init__(self, domain: str, model: int, declared: m.DomainModel):
        self.domain = domain
        self.model = model
        self.rules = _rules(declared)
        self._numbers = {rule: str(n) for n, rule in enumerate(self.rules)}
        self._names = list(self.rules)
        changed = _changed_since_last_run(domain, model)
        self.records: set[int] | None = None if changed is None else set(changed)
        self._packed: dict[int, bytes | set[tuple[str, str]]] = {}

    def observe(self, frows: list[dict[str, Any]]) -> None:
        numbers = self._numbers
        for frow in frows:
            sid = int(frow["unique_id"])
            if self.records is None or sid in self.records:
                keys = record_keys(self.rules, frow)
                if any(KEY_SEPARATOR in value for _, value in keys):  # kept as it is: cannot be packed
                    self._packed[sid] = keys
                else:
                    self._packed[sid] = KEY_SEPARATOR.join(
                        f"{numbers[rule]}{RULE_SEPARATOR}{value}" for rule, value in keys).encode()

    def key_count(self) -> int:
        """How many keys the records have: at most what the refresh inserts."""
        separator = KEY_SEPARATOR.encode()
        return sum(len(packed) if isinstance(packed, set) else packed.count(separator) + 1 if packed else 0
                   for packed in self._packed.values())

    def __getitem__(self, sid: int) -> set[tuple[str, str]]:
        packed = self._packed[sid]
        if isinstance(packed, set):
            return packed
        out = set()
        for key in packed.decode().split(KEY_SEPARATOR) if packed else ():
            number, value = key.split(RULE_SEPARATOR, 1)
            out.add((self._names[int(number)], value))
        return out

    def __iter__(self) -> Iterator[int]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


@transaction.atomic
def match_keys_refresh(*, domain: str, records: Iterable[int] | None = None, full: bool = False,
                       run_keys: RunKeys | None = None) -> KeyRefresh:
    """Bring the blocking-key index up to date with the records and the active model's
    blocking rules: keys of live records are computed from their features, missing ones
    inserted in bulk and stale ones deleted (a deleted record has none; a rule the model
    no longer declares goes). Unchanged records write nothing. Keys are derived data: no
    history. Takes the domain's golden lock, so it never races a match or an import.

    Which records: `records`; else, with `full`, every record of the domain (a rebuild or
    a repair); else a batch run's `run_keys` (what it collected while it scored); else the
    records changed since the last completed match run with the active model (its cost
    follows the changes, not the domain size), or every record when there is none."""
    golden_domain_lock(domain)
    model = _model(domain)
    computed = None
    if run_keys is not None and records is None and not full:
        if run_keys.model != model.pk or run_keys.rules != model.rules:
            raise RealtimeError(MSG_OTHER_MODEL.format(domain=domain))
        records, computed = run_keys.records, run_keys
    elif records is None and not full:
        records = _changed_since_last_run(domain, model.pk)
    result = KeyRefresh()
    with _value_index_rebuilt(computed.key_count() if computed is not None else 0):
        for rows in _record_chunks(domain, records):
            _refresh_rows(domain, model.rules, rows, result, computed)
    return result


@contextmanager
def _value_index_rebuilt(inserting: int) -> Iterator[None]:
    """On SQLite, when a refresh may insert at least as many keys as the table holds (a
    first run, a new model), the value index is dropped before and built again after:
    built from the sorted keys, it cost a 1M first run a fraction of the random inserts
    into a B-tree far larger than the page cache. Both happen in the refresh's transaction,
    which readers do not see until it commits (WAL), and which a failure rolls back whole.
    Not on PostgreSQL: there the DROP would lock the table against every reader until
    commit."""
    if connection.vendor != "sqlite" or not inserting or inserting < MatchKey.objects.count():
        yield
        return
    index = next(i for i in MatchKey._meta.indexes if i.name == "match_key_value")
    editor = connection.schema_editor()  # for its SQL only: it may not be entered inside a transaction
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(index.name)}")
        yield
        cursor.execute(str(index.create_sql(MatchKey, editor)))


# ---------------------------------------------------------------------------
# Candidates and scores
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """One stored record scored against the arriving one."""

    record: int
    golden: int
    weight: float
    evidence: tuple[engine.Evidence, ...]
    label: str  # "system:key"


def _key_terms(terms: int) -> str:
    qn = connection.ops.quote_name
    term = f"({qn('domain')} = %s AND {qn('rule')} = %s AND {qn('value')} = %s)"
    return " OR ".join([term] * terms)


def _candidate_sql(terms: int) -> str:
    qn = connection.ops.quote_name
    keys, records, systems = (qn(m._meta.db_table) for m in (MatchKey, SourceRecord, SourceSystem))
    return (
        f"SELECT r.{qn('id')}, r.{qn('version')}, r.{qn('content_hash')}, r.{qn('attributes')}, "
        f"r.{qn('golden_id')}, s.{qn('code')}, r.{qn('source_key')} "
        f"FROM {records} r JOIN {systems} s ON s.{qn('id')} = r.{qn('system_id')} "
        f"WHERE r.{qn('id')} IN (SELECT {qn('record_id')} FROM {keys} WHERE {_key_terms(terms)}) "
        f"AND NOT r.{qn('is_deleted')} AND r.{qn('golden_id')} IS NOT NULL AND r.{qn('id')} <> %s "
        f"LIMIT %s"
    )


def _key_counts_sql(terms: int) -> str:
    qn = connection.ops.quote_name
    return (
        f"SELECT {qn('rule')}, {qn('value')}, COUNT(*) FROM {qn(MatchKey._meta.db_table)} "
        f"WHERE {_key_terms(terms)} GROUP BY {qn('rule')}, {qn('value')}"
    )


def _key_params(domain: str, keys: Iterable[tuple[str, str]]) -> list[Any]:
    params: list[Any] = []
    for rule, value in sorted(keys):
        params += [domain, rule, value]
    return params


@dataclass(frozen=True)
class Candidates:
    """The stored records an arriving one is scored against, and the keys left out
    because they would have brought more than the domain's `max_candidates` records."""

    rows: list[dict[str, Any]]
    skipped: tuple[tuple[str, str, int], ...] = ()  # (rule, value, records sharing it)


def _candidates(domain: str, keys: set[tuple[str, str]], exclude: int | None) -> Candidates:
    """Live records with a golden record that share a blocking key: one statement, each
    key a lookup of the key index. Written in SQL: it is the hot path, and the ORM spends
    longer compiling this query than the database runs it.

    At most the domain's `max_candidates`: a value thousands of records share (a
    switchboard phone, a generic spec) would make every arrival carrying it score them
    all. When the keys bring more, the most common keys (counted in the index, only
    then) are left out, one at a time, until the rest bring at most that many."""
    cap = get_domain(domain).matching.max_candidates
    keys = set(keys)
    counts: list[tuple[int, str, str]] | None = None  # (records, rule, value), most common first
    skipped: list[tuple[str, str, int]] = []
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        while keys:
            cursor.execute(_candidate_sql(len(keys)),
                           [*_key_params(domain, keys), -1 if exclude is None else exclude, cap + 1])
            rows = cursor.fetchall()
            if len(rows) <= cap:
                break
            if counts is None:
                cursor.execute(_key_counts_sql(len(keys)), _key_params(domain, keys))
                counts = sorted(((n, rule, value) for rule, value, n in cursor.fetchall()), reverse=True)
            if not counts:  # keys written since they were counted (search takes no lock)
                rows = rows[:cap]
                break
            n, rule, value = counts.pop(0)
            keys.discard((rule, value))
            skipped.append((rule, value, n))
            rows = []
    return Candidates(
        rows=[
            {"id": pk, "version": version, "content_hash": digest,
             "attributes": json.loads(attributes) if isinstance(attributes, (str, bytes)) else attributes,
             "golden_id": golden, "system__code": code, "source_key": key}
            for pk, version, digest, attributes, golden, code, key in rows
        ],
        skipped=tuple(skipped),
    )


def _score(model: _Model, frow: dict[str, Any], rows: Iterable[Mapping[str, Any]],
           floor: float | None = None) -> list[Scored]:
    """Score stored records against a feature row; with `floor`, pairs that cannot reach
    it are left out (BoundedScorer)."""
    out = []
    for row in rows:
        result = model.bounded.score(frow, _features_of(model, row), floor)
        if result is not None:
            out.append(Scored(row["id"], row["golden_id"], result[0], result[1],
                              f"{row['system__code']}:{row['source_key']}"))
    return out


def _best_by_golden(scored: Iterable[Scored]) -> dict[int, Scored]:
    """The strongest pair per golden record (on a tie the smaller record id)."""
    best: dict[int, Scored] = {}
    for s in scored:
        kept = best.get(s.golden)
        if kept is None or (-s.weight, s.record) < (-kept.weight, kept.record):
            best[s.golden] = s
    return best


def _prepared(model: _Model, attributes: Mapping[str, Any], system: str | None) -> dict[str, Any]:
    """The feature row of a record of `system` (the models compare source systems)."""
    return model.scorer.prepare({**attributes, "source_system": system})


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
    evidence: tuple[engine.Evidence, ...] = ()
    matched: int | None = None
    proposals: tuple[Offer, ...] = ()
    also_matched: tuple[str, ...] = ()
    held_apart: tuple[str, ...] = ()
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
        if self.withheld:
            text += f"; held for review ({HELD_REASONS[self.withheld]})"
        if self.skipped_keys:
            text += "; not searched by " + ", ".join(
                f"{rule} {_printable(value)} ({n:,} records)" for rule, value, n in self.skipped_keys
            )
        return f"{who}: {text}"


def _printable(key: str) -> str:
    return key.replace(COLUMN_SEPARATOR, " / ").replace(LIST_SEPARATOR, ", ")


_DRIFT: dict[tuple[uuid.UUID, uuid.UUID], float] = {}  # models (by operation: pks can be reused) -> largest drift


def _drifted(domain: str, model: int, limit: float) -> bool:
    """Whether a batch run with this model would hold its automatic merges for parameter
    drift: the last run that applied its merges used another model, whose level weights
    differ from this one's by more than `limit` bits (until a run with this model is
    applied, its alarm accepted)."""
    baseline = baseline_run(domain)
    if baseline is None or baseline.model_id == model:
        return False
    operation = MatchModel.objects.filter(pk=model).values_list("operation", flat=True).get()
    key = (baseline.model.operation, operation)
    if key not in _DRIFT:
        _DRIFT[key] = parameter_drift(baseline.model, MatchModel.objects.get(pk=model))["max"]
    return _DRIFT[key] > limit


def _live_members(goldens: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {g: [] for g in goldens}
    if out:
        rows = SourceRecord.objects.filter(golden_id__in=list(out), is_deleted=False).order_by("pk")
        for row in rows.values(*MEMBER_VALUES, "golden_id", "version", "content_hash"):
            out[row["golden_id"]].append(row)
    return out


def _golden_states(pks: Iterable[int]) -> dict[int, GoldenState]:
    fields = ("id", "golden_id", "version", "status", "attributes", "lineage", "overrides")
    return {row["id"]: golden_state(row) for row in GoldenRecord.objects.filter(pk__in=list(pks)).values(*fields)}


def _rulings(pk: int) -> tuple[set[int], set[int]]:
    """Records the record is ruled together with (must-link) and apart from (cannot-link)."""
    must, cannot = set(), set()
    for kind, left, right in PairConstraint.objects.filter(Q(left_id=pk) | Q(right_id=pk)).values_list(
        "kind", "left_id", "right_id"
    ):
        (must if kind == PairConstraint.Kind.MUST_LINK else cannot).add(right if left == pk else left)
    return must, cannot


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


def _pending_between(goldens_a: Sequence[int], goldens_b: Sequence[int]) -> bool:
    if not goldens_a or not goldens_b:
        return False
    return MergeProposal.objects.filter(status=MergeProposal.Status.PENDING).filter(
        Q(left__golden_id__in=goldens_a, right__golden_id__in=goldens_b)
        | Q(left__golden_id__in=goldens_b, right__golden_id__in=goldens_a)
    ).exists()


def _evidence_json(evidence: Sequence[engine.Evidence]) -> list[dict[str, Any]]:
    return [{"comparison": e.comparison, "level": e.level, "weight": round(e.weight, 4)} for e in evidence]


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
    record again without a change writes nothing. Raises MatchingError when the domain has
    no trained model, RealtimeError for an unknown record."""
    pk = record.pk if isinstance(record, SourceRecord) else int(record)
    head = SourceRecord.objects.filter(pk=pk).values("domain", "system_id", "system__code", "source_key").first()
    if head is None:
        raise RealtimeError(MSG_NO_RECORD.format(pk=pk))
    domain = head["domain"]
    model = _indexed_model(domain)
    label = f"{head['system__code']}:{head['source_key']}"
    change = Change(
        actor=actor,
        reason=reason or f"real-time match of {domain} record {label}",
        operation=operation or uuid.uuid4(),
    )
    with transaction.atomic():
        # lock order: source system, the domain's golden records, (in golden_plan_apply) the feed
        list(SourceSystem.objects.select_for_update().filter(pk=head["system_id"]).values_list("pk", flat=True))
        golden_domain_lock(domain)
        return _match_locked(pk, domain, model, change)


def _exclusive_links(model: _Model, pk: int, system: str, found: Candidates,
                     scored: Mapping[int, Scored]) -> dict[int, Scored]:
    """The candidates the record has an exclusive link with (engine.exclusive_links, as a
    batch run joins them). Sides are groups, as in a batch run: the records a candidate's
    automatic pairs and must-links join it to inside its golden record (`_groups`). In
    another system, the record's candidates in the review band lie in one group that holds
    no record of the record's system (groups that hold one are taken, no rival); and none
    of that group's members has another candidate in the record's system, but in groups
    that share a system with it (each member's own candidates are retrieved and scored to
    know; one at or above the upper threshold would be in its group). None where keys
    were left out (max_candidates): a rival may hide behind them."""
    if found.skipped:
        return {}
    lower, upper = model.thresholds["lower"], model.thresholds["upper"]
    system_of = {c["id"]: c["system__code"] for c in found.rows}
    per_system: dict[str, list[Scored]] = defaultdict(list)
    for s in scored.values():  # blocked candidates at or above the lower threshold
        per_system[system_of[s.record]].append(s)
    links: dict[int, Scored] = {}
    for theirs, pairs in per_system.items():
        if theirs == system or max(s.weight for s in pairs) >= upper:
            continue
        groups = _groups(model, {s.golden for s in pairs}, exclude=pk)
        sides = {id(groups[s.record]): groups[s.record] for s in pairs}
        free = [group for group in sides.values() if system not in {m["system__code"] for m in group}]
        if len(free) != 1:
            continue
        side = free[0]
        held = {m["system__code"] for m in side}
        for member in side:
            mfrow = _features_of(model, member)
            theirs_found = _candidates(model.domain, record_keys(model.rules, mfrow), exclude=member["id"])
            rivals = [c for c in theirs_found.rows if c["system__code"] == system and c["id"] != pk]
            if theirs_found.skipped:
                break
            plausible = _score(model, mfrow, rivals, floor=lower)
            if any(r.weight >= upper for r in plausible):
                break
            rival_groups = _groups(model, {r.golden for r in plausible}, exclude=pk)
            if any(not held & {m["system__code"] for m in rival_groups[r.record]} for r in plausible):
                break
        else:
            ids = {m["id"] for m in side}
            links.update((s.record, s) for s in pairs if s.record in ids)
    return links


def _groups(model: _Model, goldens: Iterable[int], *, exclude: int) -> dict[int, list[dict[str, Any]]]:
    """Record id -> its group: the live members of its golden record (but `exclude`) that
    pairs at or above the upper threshold and must-links join it to, as a batch run forms
    the sides of its exclusive links (a member joined by a band pair alone, an exclusive
    link or a steward's merge of a band pair, is a group of its own there)."""
    upper = model.thresholds["upper"]
    members = {g: [m for m in rows if m["id"] != exclude] for g, rows in _live_members(goldens).items()}
    ids = [m["id"] for rows in members.values() for m in rows]
    components = Components()
    for left, right in PairConstraint.objects.filter(
        kind=PairConstraint.Kind.MUST_LINK, left_id__in=ids, right_id__in=ids
    ).values_list("left_id", "right_id"):
        components.union(left, right)
    for rows in members.values():
        prepared = [_features_of(model, m) for m in rows]
        for i, j in combinations(range(len(rows)), 2):
            if components.find(rows[i]["id"]) != components.find(rows[j]["id"]) and \
                    model.scorer.score(prepared[i], prepared[j])[0] >= upper:
                components.union(rows[i]["id"], rows[j]["id"])
    by_root: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for rows in members.values():
        for m in rows:
            by_root[components.find(m["id"])].append(m)
    return {m["id"]: by_root[components.find(m["id"])] for rows in members.values() for m in rows}


def _match_locked(pk: int, domain: str, model: _Model, change: Change) -> Decision:
    row = SourceRecord.objects.filter(pk=pk).values(*MEMBER_VALUES, "golden_id", "is_deleted").get()
    frow = _prepared(model, row["attributes"], row["system__code"])
    keys = set() if row["is_deleted"] else record_keys(model.rules, frow)
    _refresh_rows(domain, model.rules, [row], KeyRefresh(), computed={pk: keys})
    states = _golden_states([row["golden_id"]]) if row["golden_id"] else {}
    current = row["golden_id"] if states.get(row["golden_id"]) and states[row["golden_id"]].status == "active" else None
    previous_id = states[current].golden_id if current else None
    if row["is_deleted"]:
        return Decision(record=pk, action=SKIP, golden_id=previous_id, previous_golden_id=previous_id)
    upper, lower = model.thresholds["upper"], model.thresholds["lower"]
    limits = get_domain(domain).matching
    conflicts = engine.Conflicts.of(model.scorer.trained, limits.conflict_below, upper)
    found = _candidates(domain, keys, exclude=pk)
    # only pairs at or above the lower threshold can attach or be proposed: the others
    # are dropped as soon as their weight cannot reach it
    scored = {s.record: s for s in _score(model, frow, found.rows, floor=lower)}
    best = _best_by_golden(scored.values())
    links = _exclusive_links(model, pk, row["system__code"], found, scored) if limits.exclusive_links else {}
    must, cannot = _rulings(pk)
    must_goldens = dict(
        SourceRecord.objects.filter(pk__in=must, is_deleted=False, golden__isnull=False).values_list("pk", "golden_id")
    ) if must else {}

    # Every member of the golden records the record might stay in or join: the rulings and
    # conflicts are checked against all of them, not just the candidates blocking found.
    interesting = {g for g, s in best.items() if s.weight >= upper} | set(must_goldens.values())
    interesting |= {s.golden for s in links.values()}
    if current is not None:
        interesting.add(current)
    members = _live_members(interesting)
    for g, rows in members.items():
        unscored = [r for r in rows if r["id"] != pk and r["id"] not in scored]
        for s in _score(model, frow, unscored):
            scored[s.record] = s
    states.update(_golden_states(set(members) - set(states)))

    def others(g: int) -> list[int]:
        return [r["id"] for r in members.get(g, []) if r["id"] != pk]

    def allowed(g: int) -> bool:
        ids = others(g)
        if cannot & set(ids):
            return False
        if set(ids) & must:
            return True  # a conflict gives way to a steward's must-link, as in a batch run
        return not any(conflicts(scored[i].weight, scored[i].evidence) for i in ids)

    def strongest(g: int) -> Scored | None:
        pairs = [scored[i] for i in others(g)]
        return max(pairs, key=lambda s: (s.weight, -s.record)) if pairs else None

    target: int | None = None
    if must_goldens:
        counts: dict[int, int] = defaultdict(int)
        for g in must_goldens.values():
            counts[g] += 1
        target = min(counts, key=lambda g: (-counts[g], g))
    elif current is not None and others(current) and allowed(current) and any(
        scored[i].weight >= upper or i in links for i in others(current)
    ):
        target = current
    else:
        def other_of_its_system(g: int) -> bool:  # as a batch run joins it last (engine.cluster)
            return any(r["system__code"] == row["system__code"] and r["id"] != pk and scored[r["id"]].weight < upper
                       for r in members.get(g, ()))

        ranked = sorted(best.items(), key=lambda item: (other_of_its_system(item[0]), -item[1].weight, item[1].record))
        target = next((g for g, s in ranked if s.weight >= upper and g != current and allowed(g)), None)
        if target is None:
            ranked_links = sorted(links.values(), key=lambda s: (-s.weight, s.record))
            target = next((s.golden for s in ranked_links if s.golden != current and allowed(s.golden)), None)
        if target is None and current is not None and not others(current):
            target = current  # its own golden record, nothing better: it stays
    # No automatic merge (a batch run would hold it too) into a golden record at the
    # domain's max_cluster_size, or with a model whose weights drifted past the limit from
    # the last applied run's: the record gets its own and the stewards a held proposal.
    giant, withheld = None, ""
    if target is not None and target != current and not must_goldens:
        if len(members[target]) >= limits.max_cluster_size:
            withheld = HELD_SIZE
        elif _drifted(domain, model.pk, limits.max_parameter_drift):
            withheld = HELD_DRIFT
    if withheld:
        giant, target = target, None
        if current is not None and not others(current):
            target = current
    # golden records an automatic match would join but a ruling or a conflict keeps it out of
    held = sorted(
        (g for g, s in best.items() if s.weight >= upper and g != target and not allowed(g)),
        key=lambda g: (-best[g].weight, best[g].record),
    )

    desired: dict[Ref, list[int]] = {}
    retire: dict[int, Ref] = {}
    absorbed: dict[Ref, list[int]] = {}
    involved: list[dict[str, Any]] = [row]
    chosen: Scored | None
    if target is not None and target == current:
        action, ref, chosen = KEEP, current, strongest(current)
    elif target is not None:
        action, ref, chosen = ATTACH, target, strongest(target)
        joining = sorted([r["id"] for r in members[target]] + [pk])
        involved += members[target]
        if current is not None and not others(current):
            # Its old golden record would be left empty: as in a batch run, the cluster keeps
            # the ID it shares the most records with (on a tie the older one), and the other
            # retires into it, so its ID still resolves.
            ref = current if len(members[target]) == 1 and current < target else target
            loser = current if ref == target else target
            desired[ref], retire[loser], absorbed[ref] = joining, ref, [loser]
        else:
            desired[target] = joining
    else:
        action, ref = CREATE, "new:1"
        chosen = max(scored.values(), key=lambda s: (s.weight, -s.record), default=None)
        desired["new:1"] = [pk]
    if action != KEEP and current is not None and others(current) and current not in desired:
        desired[current] = others(current)  # the golden record it leaves keeps the others
        involved += [r for r in members[current] if r["id"] != pk]

    golden_ids = {g: s.golden_id for g, s in states.items()}
    changed = False
    if desired:
        plan = golden_plan(
            domain=domain,
            desired=desired,
            members={r["id"]: member_from_values(r) for r in involved},
            current={r["id"]: current if r["id"] == pk else r["golden_id"] for r in involved},
            goldens={g: states[g] for g in [*desired, *retire] if isinstance(g, int)},
            trust=source_system_trust(),
            retire=retire,
            absorbed=absorbed,
        )
        if not plan.is_empty():
            golden_ids.update(golden_plan_apply(plan=plan, change=change).golden_ids)
            changed = True
    final = ref if isinstance(ref, int) else None
    ours = desired[ref] if ref in desired else [r["id"] for r in members[ref]]  # type: ignore[index]

    # Proposals: the strongest pair with each other golden record at or above the lower
    # threshold, unless a ruling keeps the two apart (as a batch run: no proposal across a
    # cannot-link), the record was kept out of it, or a pending proposal joins them already.
    band = {
        g: s for g, s in best.items()
        if s.weight >= lower and g != final and g not in retire and g not in held
    }
    if giant is not None:
        band[giant] = strongest(giant) or best[giant]
    offers: list[Offer] = []
    also: list[int] = []
    if band:
        their = _live_members(band)
        apart = _apart({"ours": ours, **{g: [r["id"] for r in rows] for g, rows in their.items()}})
        golden_ids.update({g: s.golden_id for g, s in _golden_states(set(band) - set(golden_ids)).items()})
        started = timezone.now()
        for g, s in sorted(band.items(), key=lambda item: (-item[1].weight, item[1].record)):
            if frozenset(("ours", g)) in apart:
                continue
            if s.weight >= upper:
                also.append(g)
            if final is not None and _pending_between([final], [g]):
                continue
            left, right = min(pk, s.record), max(pk, s.record)
            proposal = proposal_offer(
                domain=domain,
                candidate=Candidate(
                    left=left, right=right, weight=round(s.weight, 6),
                    probability=round(engine.probability(s.weight), 6), evidence=_evidence_json(s.evidence),
                    kind=MergeProposal.Kind.HELD if g == giant else MergeProposal.Kind.REVIEW,
                ),
                change=change,
            )
            if proposal is not None:
                offers.append(Offer(golden_ids[g], left, right, s.weight, proposal.pk))
                changed = changed or proposal.updated_at >= started
    if action == CREATE and offers:
        action = PROPOSE
    return Decision(
        record=pk,
        action=action,
        golden_id=golden_ids[ref],
        previous_golden_id=previous_id,
        weight=chosen.weight if chosen else None,
        probability=engine.probability(chosen.weight) if chosen else None,
        evidence=chosen.evidence if chosen else (),
        matched=chosen.record if chosen else None,
        proposals=tuple(offers),
        also_matched=tuple(golden_ids[g] for g in also),
        held_apart=tuple(golden_ids[g] for g in held),
        candidates=len(found.rows),
        skipped_keys=found.skipped,
        withheld=withheld,
        exclusive=final is not None and not must_goldens and not any(
            scored[i].weight >= upper for i in others(final) if i in scored) and any(i in links for i in others(final)),
        changed=changed,
    )


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
    evidence: tuple[engine.Evidence, ...]
    record: int  # the best matching member
    record_label: str  # "system:key"
    attributes: dict[str, Any] = field(default_factory=dict)  # the golden record's


def _top_goldens(model: _Model, frow: dict[str, Any], candidates: list[dict[str, Any]], limit: int,
                 min_weight: float) -> list[Scored]:
    """The strongest pair of each of the `limit` strongest golden records at or above
    `min_weight`. A pair that cannot reach it, or, once `limit` golden records are found,
    beat the weakest of them, is dropped early (it could neither enter the top nor raise
    a golden record in it)."""
    if limit <= 0:
        return []
    best: dict[int, Scored] = {}
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
        raise RealtimeError(MSG_UNKNOWN_DOMAIN.format(domain=domain, known=", ".join(all_domains())))
    declaration = get_domain(domain)
    known = ", ".join(declaration.attributes)
    values = {k: v for k, v in attributes.items() if v is not None and v != ""}
    if not values:
        raise RealtimeError(MSG_NO_VALUES.format(domain=domain, known=known))
    unknown = sorted(set(values) - set(declaration.attributes))
    if unknown:
        raise RealtimeError(MSG_UNKNOWN_ATTRIBUTES.format(domain=domain, names=", ".join(unknown), known=known))
    model = _indexed_model(domain)
    try:
        standardized, _ = declaration.standardize(values, phone_region=settings.MDM_PHONE_REGION)
    except (RowRejected, DeclarationError) as exc:
        raise RealtimeError(MSG_NOT_A_RECORD.format(domain=domain, problem=exc.message)) from None
    frow = _prepared(model, standardized, system)
    upper, lower = model.thresholds["upper"], model.thresholds["lower"]
    found = _candidates(domain, record_keys(model.rules, frow), exclude=None)
    top = _top_goldens(model, frow, found.rows, limit, lower if min_weight is None else min_weight)
    states = _golden_states(s.golden for s in top)
    matches = [
        GoldenMatch(
            golden_id=states[s.golden].golden_id,
            golden=s.golden,
            weight=s.weight,
            probability=engine.probability(s.weight),
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


# ---------------------------------------------------------------------------
# After an import
# ---------------------------------------------------------------------------


@dataclass
class ImportMatch:
    """Real-time matching of the records an import changed: the decisions, or why not."""

    domain: str
    changed: int
    decisions: list[tuple[str, Decision]] = field(default_factory=list)  # ("system:key", decision)
    waiting: str = ""  # why the records wait for a batch run: "no_model", "too_many" or "unmatched"
    model_version: int | None = None
    unmatched: int = 0  # other live records of the domain without a golden record

    def counts(self) -> Counter[str]:
        return Counter(d.action for _, d in self.decisions)


def import_run_match(*, run: ImportRun, limit: int | None = None) -> ImportMatch:
    """Match in real time, one by one (each its own transaction), the records an import
    run inserted, updated or deleted: when the domain has a trained model, they are at
    most `limit` (MDM_REALTIME_MAX_RECORDS), and every other live record of the domain has
    a golden record (candidates must have one: records a batch run has not matched yet
    would be missed). Otherwise nothing is matched and `waiting` says why (the records
    wait for `manage.py match`)."""
    limit = settings.MDM_REALTIME_MAX_RECORDS if limit is None else limit
    ids = sorted(set(SourceRecord.history.filter(history_operation=run.operation, domain=run.domain)
                     .values_list("id", flat=True)))
    result = ImportMatch(domain=run.domain, changed=len(ids))
    if not ids:
        return result
    model = MatchModel.objects.filter(domain=run.domain, is_active=True).values_list("version", flat=True).first()
    if model is None:
        result.waiting = "no_model"
        return result
    result.model_version = model
    if len(ids) > limit:
        result.waiting = "too_many"
        return result
    unmatched = SourceRecord.objects.filter(domain=run.domain, is_deleted=False, golden__isnull=True)
    result.unmatched = unmatched.exclude(pk__in=ids).count()
    if result.unmatched:  # candidates must have a golden record: these would be missed
        result.waiting = "unmatched"
        return result
    operation = uuid.uuid4()
    labels = {pk: f"{code}:{key}" for pk, code, key in
              SourceRecord.objects.filter(pk__in=ids).values_list("pk", "system__code", "source_key")}
    reason = f"real-time match after import {run.pk} of {Path(run.file_name).name}"
    for pk in ids:
        decision = record_match(record=pk, actor=run.actor, reason=reason, operation=operation)
        result.decisions.append((labels[pk], decision))
    return result
