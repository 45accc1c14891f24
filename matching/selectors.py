"""Reads of matching: a domain's records as a run reads them, models, runs, summaries.

A run reads the domain's standardized records as plain values, never model instances, in
one pass (`read_domain`): a million records are a million small rows, their attributes
shared with the survivorship members the plan needs anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from sys import intern
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q

from matching.artifact import TrainedModel
from matching.calibration import Calibration
from matching.declarations import DomainModel
from matching.scoring import Scorer
from mdm.domains import get_domain
from mdm.errors import NoTrainedModel
from mdm.models import GoldenRecord, MatchModel, MatchRun, MergeProposal, PairConstraint, SourceRecord, SourceSystem
from mdm.selectors import MEMBER_VALUES
from mdm.services.plans import GoldenState, golden_state, member_from_values
from mdm.services.rulings import live_rulings
from mdm.survivorship import Member

READ_CHUNK = 5000
MSG_NO_MODEL = "no trained model for {domain}: run `python manage.py train {domain}` first"


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

    def content(self) -> tuple[str, str, Mapping[str, Any]]:
        """All the row holds (matching.feature_cache keys its features by it)."""
        return self.unique_id, self.source_system, self.attributes

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


@dataclass
class Activity:
    """What changed in a domain since a fingerprint was taken (read from the history rows
    written after it): the source records, golden records and proposals touched, and
    whether a system's trust ranks changed (they weigh in every golden record)."""

    records: set[int] = field(default_factory=set)
    goldens: set[int] = field(default_factory=set)
    proposals: set[int] = field(default_factory=set)
    trust: bool = False


def activity_since(domain: str, seen: tuple[Any, ...]) -> Activity:
    """The activity after fingerprint `seen` (a run reads it under the domain's locks)."""
    systems, _, records, goldens, rulings, proposals = (mark.get("h") or 0 for mark in seen)
    activity = Activity(trust=SourceSystem.history.filter(history_id__gt=systems).exists())
    for pk, golden in SourceRecord.history.filter(domain=domain, history_id__gt=records).values_list(
        "id", "golden_id"
    ):
        activity.records.add(pk)
        if golden is not None:
            activity.goldens.add(golden)
    activity.goldens |= set(
        GoldenRecord.history.filter(domain=domain, history_id__gt=goldens).values_list("id", flat=True)
    )
    for left, right in PairConstraint.history.filter(domain=domain, history_id__gt=rulings).values_list(
        "left_id", "right_id"
    ):
        activity.records |= {left, right}
    for pk, left, right in MergeProposal.history.filter(domain=domain, history_id__gt=proposals).values_list(
        "id", "left_id", "right_id"
    ):
        activity.proposals.add(pk)
        activity.records |= {left, right}
    return activity


SHARED_CHARS = 16  # string values up to this long are shared between records (codes, cities, kinds)


def _shared(value: Any) -> Any:
    """`value` (decoded JSON) with its dict keys and short strings shared between records:
    the JSON decoder makes them anew for each record, and a run holds every record and
    golden record (at 1M customer records this halves the memory a read takes)."""
    if isinstance(value, dict):  # its strings shared here, not by a call each (a run reads millions)
        return {intern(name): intern(item) if type(item) is str and len(item) <= SHARED_CHARS
                else _shared(item) if isinstance(item, dict) else item for name, item in value.items()}
    if isinstance(value, str) and len(value) <= SHARED_CHARS:
        return intern(value)
    return value


@dataclass
class LiveRows:
    """The domain's live records as engine rows, streamed in id order (the rows
    read_domain gives, none held by it): training turns them into feature columns a
    chunk at a time, so the attributes of all records never exist at once, nor their
    survivorship members. `ids`: the live records read so far."""

    domain: str
    ids: list[int] = field(default_factory=list)

    def __iter__(self) -> Iterator[EngineRow]:
        self.ids = []
        records = SourceRecord.objects.filter(domain=self.domain, is_deleted=False).order_by("id")
        for sid, system, attributes in records.values_list("id", "system__code", "attributes").iterator(
            chunk_size=READ_CHUNK
        ):
            self.ids.append(sid)
            # shared as read_domain shares them: the feature cache keys a row by its bytes
            yield EngineRow(_shared(attributes), str(sid), intern(system))

    def must_link(self) -> list[tuple[int, int]]:
        """The must-links among the records read (live_rulings)."""
        return live_rulings(self.domain, set(self.ids))[0]


def read_domain(domain: str, *, with_goldens: bool = True) -> Snapshot:
    """Stream the domain's records (values only) into a Snapshot."""
    get_domain(domain)
    snapshot = Snapshot(domain=domain, fingerprint=fingerprint(domain))
    if with_goldens:
        snapshot.goldens = {
            row["id"]: golden_state(
                {**row, "attributes": _shared(row["attributes"]), "lineage": _shared(row["lineage"])}
            )
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
    snapshot.must_link, snapshot.cannot_link = live_rulings(domain, snapshot.members)
    return snapshot


def feature_cache(domain: str) -> Path | None:
    """The file training and match runs keep the domain's feature columns in
    (matching.feature_cache), None when MDM_FEATURE_CACHE is off."""
    return settings.DATA_DIR / "features" / f"{domain}.arrow" if settings.MDM_FEATURE_CACHE else None


def active_model(domain: str) -> MatchModel:
    model = MatchModel.objects.filter(domain=domain, is_active=True).first()
    if model is None:
        raise NoTrainedModel(MSG_NO_MODEL.format(domain=domain))
    return model


def trained_model(model: MatchModel) -> TrainedModel:
    """The engine's model a stored MatchModel holds."""
    return TrainedModel.from_artifact(model.artifact)


def baseline_run(domain: str) -> MatchRun | None:
    """The run a new one is compared with: the domain's last completed run that applied its
    automatic merges (none held for drift, or its alarms accepted)."""
    runs = MatchRun.objects.filter(domain=domain, status=MatchRun.Status.COMPLETED, report__baseline=True)
    return runs.select_related("model").order_by("-started_at", "-pk").first()


def calibration_in_force(domain: str) -> Calibration:
    """The calibration the domain's last completed run read its match weights through (its
    report's), for what real-time matching proposes between runs; the model's own before."""
    report = (MatchRun.objects.filter(domain=domain, status=MatchRun.Status.COMPLETED)
              .order_by("-started_at", "-pk").values_list("report", flat=True).first())
    return Calibration.from_report((report or {}).get("calibration"))


def steward_labels(domain: str) -> list[tuple[float, bool]]:
    """The domain's decided review proposals as labels for calibrating its match weights:
    (the weight the run scored, one entity?); an approval a steward later reversed says two.
    The weights are those of the model that scored them: a retrained model's weights move
    little (a run holds its merges past max_parameter_drift), so they keep counting."""
    decided = MergeProposal.objects.filter(
        domain=domain, status=MergeProposal.Status.DECIDED, kind=MergeProposal.Kind.REVIEW
    ).order_by("pk")
    return [
        (weight, decision == MergeProposal.Decision.APPROVE and not reversed_by)
        for weight, decision, reversed_by in decided.values_list("weight", "decision", "reversed_by")
    ]


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


@dataclass(frozen=True)
class CompiledModel:
    """A domain's active model compiled for scoring records one at a time (real-time
    matching, search, the key index): its thresholds, blocking rules and scorer."""

    pk: int
    operation: uuid.UUID  # with the pk, the model's identity: SQLite reuses a rolled-back row's pk
    domain: str
    thresholds: dict[str, float]
    rules: dict[str, tuple[str, ...]]
    scorer: Scorer

    def prepare(self, attributes: Mapping[str, Any], system: str | None) -> dict[str, Any]:
        """The feature row of a record of `system` (the models compare source systems)."""
        return self.scorer.prepare({**attributes, "source_system": system})


_COMPILED: dict[str, CompiledModel] = {}  # domain -> its active model, compiled (artifacts never change)


def compiled_model(domain: str) -> CompiledModel:
    """The domain's active model, compiled once per process and version; its thresholds
    read anew each time (they can be changed without a new model)."""
    row = MatchModel.objects.filter(domain=domain, is_active=True).values("pk", "operation", "thresholds").first()
    if row is None:
        raise NoTrainedModel(MSG_NO_MODEL.format(domain=domain))
    cached = _COMPILED.get(domain)
    if cached is None or (cached.pk, cached.operation) != (row["pk"], row["operation"]):
        trained = trained_model(MatchModel.objects.get(pk=row["pk"]))
        rules = blocking_rules(trained.model)
        cached = _COMPILED[domain] = CompiledModel(row["pk"], row["operation"], domain, {}, rules, Scorer(trained))
    return replace(cached, thresholds={k: float(v) for k, v in row["thresholds"].items()})


def blocking_rules(declared: DomainModel) -> dict[str, tuple[str, ...]]:
    """The declaration's blocking rules that have columns (what the key index holds)."""
    return {name: tuple(cols) for name, cols in declared.blocking.items() if cols}
