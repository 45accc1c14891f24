"""Reads of the core tables: what pages, endpoints, commands and services read.

Each selector returns a queryset (with its related rows fetched in a fixed number of
queries) or plain typed rows; none writes. Services read the rows they are about to
change themselves, under their locks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from mdm.components import Components
from mdm.domains import get_domain
from mdm.errors import GoldenRecordNotFound, InternalError, MdmError, NotFound, ProposalClosed
from mdm.ingest.freshness import standardization_fingerprint, stored_profile
from mdm.models import (
    CaseComment,
    CaseTask,
    ChangeEvent,
    GoldenRecord,
    MasterDataRequest,
    MergeProposal,
    SourceRecord,
    SourceSystem,
)

MSG_NOT_PENDING = "proposal {pk} is no longer waiting: it was decided, or a later run superseded it"

# What survivorship and matching read of a source record (services.plans.member_from_values)
MEMBER_VALUES = ("id", "system__code", "source_key", "profile", "attributes", "received_at", "updated_at")


def golden_record_resolve(golden_id: str) -> GoldenRecord:
    """The record a golden ID stands for now: retirements are followed to the successor, so
    the result is active, or deleted when every source record of the entity was deleted."""
    try:
        record = GoldenRecord.objects.get(golden_id=golden_id)
    except GoldenRecord.DoesNotExist:
        raise GoldenRecordNotFound(f"no golden record {golden_id!r}") from None
    seen = {record.pk}
    while record.status == GoldenRecord.Status.RETIRED:
        record = record.successor
        if record.pk in seen:
            raise InternalError(f"golden record {golden_id!r} has a successor cycle")
        seen.add(record.pk)
    return record


def source_record_hashes(*, domain: str, system: SourceSystem, keys: list[str], standardized_by: str
                         ) -> dict[str, str]:
    """Stored content hash per source key, for the given keys that exist; "" (no row's
    hash) for a live record standardized otherwise than by `standardized_by` (the
    profile's fingerprint, mdm.ingest.freshness): the same row sent again is standardized
    again."""
    rows = SourceRecord.objects.filter(domain=domain, system=system, source_key__among=keys)
    return {key: digest if by == standardized_by or deleted else ""
            for key, digest, by, deleted in rows.values_list("source_key", "content_hash", "standardized_by",
                                                             "is_deleted")}


def source_records_stale(*, domain: str) -> int:
    """How many live records of `domain` were standardized otherwise than their profile reads
    now (mdm.ingest.freshness): what `manage.py restandardize` would read again. Records
    whose profile cannot be resolved by its name (services.restandardize) cannot be
    checked and are not counted. One grouped query over the domain."""
    groups = (SourceRecord.objects.filter(domain=domain, is_deleted=False).values("profile", "standardized_by")
              .annotate(n=Count("id")).order_by())
    current: dict[str, str | None] = {}
    stale = 0
    for group in groups:
        name = group["profile"]
        if name not in current:
            try:
                current[name] = standardization_fingerprint(stored_profile(domain, name))
            except MdmError:
                current[name] = None
        if current[name] is not None and group["standardized_by"] != current[name]:
            stale += group["n"]
    return stale


def source_records_exist(*, domain: str, system: SourceSystem) -> bool:
    return SourceRecord.objects.filter(domain=domain, system=system).exists()


def source_records_missing(*, domain: str, system: SourceSystem, present_keys: Collection[str]
                           ) -> tuple[list[str], int]:
    """The keys of the live records of (domain, system) that `present_keys` lacks (what a
    snapshot would delete), and how many live records the system has."""
    live = SourceRecord.objects.filter(domain=domain, system=system, is_deleted=False)
    keys = list(live.values_list("source_key", flat=True).iterator(chunk_size=20_000))
    return [key for key in keys if key not in present_keys], len(keys)


def live_member_rows(golden_pks: Iterable[int], *fields: str) -> dict[int, list[dict[str, Any]]]:
    """The live members of each golden record, in id order, as value rows of MEMBER_VALUES,
    `golden_id` and `fields`."""
    out: dict[int, list[dict[str, Any]]] = {pk: [] for pk in golden_pks}
    if out:
        rows = SourceRecord.objects.filter(golden_id__in=list(out), is_deleted=False).order_by("id")
        for row in rows.values(*MEMBER_VALUES, "golden_id", *fields):
            out[row["golden_id"]].append(row)
    return out


def live_member_ids(golden: GoldenRecord) -> list[int]:
    return [row["id"] for row in live_member_rows([golden.pk])[golden.pk]]


# --- for pages and endpoints --------------------------------------------------------------


def golden_records(*, domain: str | None = None, status: str | None = GoldenRecord.Status.ACTIVE
                   ) -> QuerySet[GoldenRecord]:
    """Golden records of a domain (all domains: None), by golden ID, with their live members
    and each member's source system prefetched: two more queries for any page of them."""
    query = GoldenRecord.objects.all()
    if domain is not None:
        query = query.filter(domain=domain)
    if status is not None:
        query = query.filter(status=status)
    members = SourceRecord.objects.filter(is_deleted=False).select_related("system").order_by("id")
    return query.order_by("golden_id").prefetch_related(Prefetch("members", queryset=members, to_attr="live_members"))


@dataclass(frozen=True)
class AttributeValue:
    """One surviving golden value with where it came from: a member's field, or an override."""

    name: str
    label: str
    value: Any
    parts: dict[str, Any]
    system: str | None  # None: a steward's override
    source_key: str | None
    record: int | None
    field: str | None
    override: dict[str, Any] | None


def golden_record_values(golden: GoldenRecord) -> list[AttributeValue]:
    """A golden record's surviving values in the domain's attribute order, each with its
    lineage (no query: the record holds both)."""
    declared = get_domain(golden.domain).attributes
    out = []
    for name, attribute in declared.items():
        if name not in golden.attributes:
            continue
        source = golden.lineage.get(name) or {}
        override = golden.overrides.get(name) if source.get("override") else None
        parts = {key.split("__", 1)[1]: value for key, value in golden.attributes.items()
                 if key.startswith(f"{name}__")}
        out.append(AttributeValue(
            name=name, label=attribute.label, value=golden.attributes[name], parts=parts,
            system=None if override else source.get("system"), source_key=source.get("key"),
            record=source.get("record"), field=source.get("field"), override=override,
        ))
    return out


def proposals(*, domain: str | None = None, status: str | None = MergeProposal.Status.PENDING
              ) -> QuerySet[MergeProposal]:
    """Merge proposals with both source records, their systems and golden records fetched
    in the same query, strongest first."""
    query = MergeProposal.objects.select_related(
        "left__system", "left__golden", "right__system", "right__golden", "run"
    )
    if domain is not None:
        query = query.filter(domain=domain)
    if status is not None:
        query = query.filter(status=status)
    return query.order_by("-weight", "id")


def proposals_in_hand(domain: str) -> dict[tuple[int, int], bool]:
    """The pending proposals of a domain a steward has work on (claimed, approved first,
    commented on, deferred), by pair, each with whether it is deferred now: a run keeps
    them whatever the review budget (matching.planning.within_budget)."""
    now = timezone.now()
    worked = (Q(task__assignee__isnull=False) | Q(task__first_approved_by__isnull=False)
              | Q(task__deferred_until__isnull=False) | Q(Exists(CaseComment.objects.filter(proposal=OuterRef("pk")))))
    rows = (MergeProposal.objects.filter(worked, domain=domain, status=MergeProposal.Status.PENDING)
            .values_list("left_id", "right_id", "task__deferred_until"))
    return {(left, right): until is not None and until > now for left, right, until in rows}


def record_history(record: SourceRecord | GoldenRecord) -> QuerySet[Any]:
    """The history rows of a source or golden record, newest first, each with its actor,
    operation, reason and the user who acted (fetched in the same query)."""
    return record.history.select_related("history_user").order_by("-history_date", "-history_id")


# --- cases: the golden records a set of proposals would join, decided together -------------


@dataclass
class Case:
    """Pending proposals that join the same golden records, decided together. `key` is the
    smallest proposal id (the case's name in URLs); `version` changes whenever a proposal
    or a golden record of the case does, so a decision names the state the steward saw."""

    key: int
    domain: str
    proposals: list[MergeProposal]
    goldens: list[GoldenRecord]
    records: int = 0  # live source records the decision would affect
    version: str = ""

    @property
    def uncertainty(self) -> float:
        """1 at a coin toss, 0 when certain: the least certain proposal of the case."""
        return max(1 - abs(2 * p.probability - 1) for p in self.proposals)

    @property
    def probability(self) -> float:
        return max(p.probability for p in self.proposals)

    @property
    def calibration(self) -> str:
        """Which calibration read the strongest proposal's weight as its probability."""
        return max(self.proposals, key=lambda p: (p.probability, -p.pk)).calibration

    @property
    def oldest(self) -> Any:
        return min(p.created_at for p in self.proposals)

    @property
    def kind(self) -> str:
        return MergeProposal.Kind.HELD if any(p.kind == MergeProposal.Kind.HELD for p in self.proposals) else (
            MergeProposal.Kind.REVIEW)


def state_version(proposals: Iterable[MergeProposal], goldens: Iterable[GoldenRecord]) -> str:
    """A short fingerprint of proposals and golden records as they are now."""
    parts = sorted(f"p{p.pk}:{p.status}:{p.updated_at.isoformat()}" for p in proposals)
    parts += sorted({f"g{g.pk}:{g.version}:{g.status}" for g in goldens})
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def cases(*, domain: str | None = None, proposals_query: QuerySet[MergeProposal] | None = None) -> list[Case]:
    """The pending proposals grouped into cases (connected through the golden records of
    their records), in no particular order; each with its live-record count. Three queries."""
    query = proposals_query if proposals_query is not None else proposals(domain=domain)
    # a proposal with a record no longer in a golden record (deleted) waits for the next run
    rows = [p for p in query if p.left.golden_id is not None and p.right.golden_id is not None]
    groups = Components()
    for p in rows:
        groups.union(p.left.golden_id, p.right.golden_id)
    by_root: dict[int, list[MergeProposal]] = {}
    for p in rows:
        by_root.setdefault(groups.find(p.left.golden_id), []).append(p)
    counts = dict(
        SourceRecord.objects.filter(golden_id__in={p.left.golden_id for p in rows} | {p.right.golden_id for p in rows},
                                    is_deleted=False)
        .values("golden_id").annotate(n=Count("id")).values_list("golden_id", "n")
    )
    out = []
    for members in by_root.values():
        goldens = list({g.pk: g for p in members for g in (p.left.golden, p.right.golden)}.values())
        goldens.sort(key=lambda g: g.golden_id)
        members.sort(key=lambda p: p.pk)
        out.append(Case(key=members[0].pk, domain=members[0].domain, proposals=members, goldens=goldens,
                        records=sum(counts.get(g.pk, 0) for g in goldens),
                        version=state_version(members, goldens)))
    return out


def case_of(proposal_pk: int) -> Case:
    """The case a pending proposal is in now (its domain's pending proposals, grouped)."""
    try:
        domain = MergeProposal.objects.values_list("domain", flat=True).get(pk=proposal_pk)
    except MergeProposal.DoesNotExist:
        raise NotFound(f"no proposal {proposal_pk}") from None
    for case in cases(domain=domain):
        if any(p.pk == proposal_pk for p in case.proposals):
            return case
    raise ProposalClosed(MSG_NOT_PENDING.format(pk=proposal_pk))


@dataclass
class CaseWork:
    """Who works on a case, who approved it first (the four-eyes rule), what was said."""

    task: CaseTask | None
    comments: list[CaseComment]


def case_work(case: Case, *, seen: Callable[[QuerySet[MergeProposal]], QuerySet[MergeProposal]]) -> CaseWork:
    """The work around a case: two queries. The comments are those written on any proposal
    of the case's records that no steward decided: a comment is kept on the proposal it was
    written on, and a run may withdraw that one while the case stays open; a decided
    proposal's comments belong to the case that decided it, not to a later one that
    proposes one of its records with another. `seen`: the proposals the viewer sees
    (mdm.visibility.Viewer.pairs): a withdrawn one may pair a record of the case with one
    of a system the viewer does not see, and its comments talk about that record."""
    pks = [p.pk for p in case.proposals]
    records = {r for p in case.proposals for r in (p.left_id, p.right_id)}
    commented = seen(MergeProposal.objects.filter(Q(left_id__in=records) | Q(right_id__in=records))
                     .exclude(status=MergeProposal.Status.DECIDED))
    return CaseWork(
        task=CaseTask.objects.filter(proposal_id__in=pks).select_related("assignee", "first_approved_by")
        .order_by("proposal_id").first(),
        comments=list(CaseComment.objects.filter(proposal__in=commented).select_related("author")),
    )


def master_data_requests(*, domain: str, status: str | None = None, requested_by: str | None = None
                         ) -> QuerySet[MasterDataRequest]:
    """A domain's new master data requests, newest first (of one status, of one requester)."""
    query = MasterDataRequest.objects.filter(domain=domain).select_related("golden")
    if status:
        query = query.filter(status=status)
    if requested_by is not None:
        query = query.filter(requested_by=requested_by)
    return query


def golden_records_holding(*, domain: str, values: dict[str, Any], attributes: Iterable[str]) -> list[GoldenRecord]:
    """Active golden records of a domain holding exactly one of these standardized values
    (e.g. the same tax id or name): the plainest duplicates, found without a model."""
    query = Q()
    for name in attributes:
        if values.get(name) not in (None, ""):
            query |= Q(**{f"attributes__{name}": values[name]})
    if not query:
        return []
    found = GoldenRecord.objects.filter(query, domain=domain, status=GoldenRecord.Status.ACTIVE)
    return list(found.order_by("golden_id")[:20])


# --- history: any record as of a past moment ------------------------------------------------


@dataclass(frozen=True)
class GoldenState:
    """A golden record as it stood at one moment: its version then, and the source records
    that belonged to it then (their ids, and their keys as "system:key")."""

    golden_id: str
    at: datetime
    version: int
    status: str
    successor_id: int | None
    attributes: dict[str, Any]
    lineage: dict[str, Any]
    overrides: dict[str, Any]
    members: frozenset[int]
    member_keys: frozenset[str]


def golden_record_as_of(golden_id: str, at: datetime) -> GoldenState | None:
    """The golden record `golden_id` as it stood at `at`, rebuilt from history (None: it did
    not exist yet). Members are the source records whose version in force at `at` was live
    and pointed to it."""
    try:
        record = GoldenRecord.objects.get(golden_id=golden_id)
    except GoldenRecord.DoesNotExist:
        raise GoldenRecordNotFound(f"no golden record {golden_id!r}") from None
    version = (record.history.filter(history_date__lte=at)
               .order_by("-history_date", "-history_id").first())
    if version is None:
        return None
    ever = SourceRecord.history.filter(golden_id=record.pk).values_list("id", flat=True).distinct()
    in_force = (SourceRecord.history.filter(id__in=list(ever), history_date__lte=at)
                .order_by("id", "-history_date", "-history_id")
                .values("id", "golden_id", "is_deleted", "history_type", "source_key", "system__code"))
    members: dict[int, str] = {}
    seen: set[int] = set()
    for row in in_force:
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        if row["golden_id"] == record.pk and not row["is_deleted"] and row["history_type"] != "-":
            members[row["id"]] = f"{row['system__code']}:{row['source_key']}"
    return GoldenState(
        golden_id=golden_id, at=at, version=version.version, status=version.status,
        successor_id=version.successor_id, attributes=version.attributes, lineage=version.lineage,
        overrides=version.overrides, members=frozenset(members), member_keys=frozenset(members.values()),
    )


def golden_record_state(golden: GoldenRecord) -> GoldenState:
    """A golden record as it stands now, in the shape of golden_record_as_of."""
    golden.refresh_from_db()
    rows = SourceRecord.objects.filter(golden=golden, is_deleted=False).values_list("id", "system__code", "source_key")
    return GoldenState(
        golden_id=golden.golden_id, at=golden.updated_at, version=golden.version, status=golden.status,
        successor_id=golden.successor_id, attributes=golden.attributes, lineage=golden.lineage,
        overrides=golden.overrides, members=frozenset(r[0] for r in rows),
        member_keys=frozenset(f"{code}:{key}" for _, code, key in rows),
    )


# --- cross-reference -------------------------------------------------------------------------


@dataclass(frozen=True)
class XrefEntry:
    """Where one source record stands: its golden record's ID and status (None: not matched
    yet, or deleted at its source, which takes it out of its golden record)."""

    domain: str
    system: str
    source_key: str
    deleted: bool
    record_version: int
    golden_id: str | None
    golden_status: str | None


XREF_VALUES = ("domain", "system__code", "source_key", "is_deleted", "version", "golden__golden_id", "golden__status")


def _xref_entry(row: dict[str, Any]) -> XrefEntry:
    return XrefEntry(
        domain=row["domain"], system=row["system__code"], source_key=row["source_key"], deleted=row["is_deleted"],
        record_version=row["version"], golden_id=row["golden__golden_id"], golden_status=row["golden__status"],
    )


def xref_entry(*, domain: str, system: str, source_key: str) -> XrefEntry | None:
    """One source record's cross-reference entry, in one indexed query."""
    row = (SourceRecord.objects.filter(domain=domain, system__code=system, source_key=source_key)
           .values(*XREF_VALUES).first())
    return None if row is None else _xref_entry(row)


def xref_entries(*, domain: str, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], XrefEntry]:
    """The entries of many (system code, source key) pairs, one query per system."""
    by_system: dict[str, list[str]] = {}
    for system, key in keys:
        by_system.setdefault(system, []).append(key)
    out = {}
    for system, system_keys in by_system.items():
        rows = SourceRecord.objects.filter(domain=domain, system__code=system, source_key__among=system_keys)
        for row in rows.values(*XREF_VALUES):
            out[(system, row["source_key"])] = _xref_entry(row)
    return out


def golden_source_keys(golden: GoldenRecord) -> dict[str, list[str]]:
    """The live source keys of a golden record, per system code, sorted."""
    out: dict[str, list[str]] = {}
    rows = (SourceRecord.objects.filter(golden=golden, is_deleted=False)
            .order_by("system__code", "source_key").values_list("system__code", "source_key"))
    for system, key in rows:
        out.setdefault(system, []).append(key)
    return out


def change_events(*, after: int, upto: int | None = None, domain: str | None = None, kinds: Collection[str] = (),
                  systems: Collection[str] = ()) -> QuerySet[Any]:
    """Change events after sequence `after` (up to `upto`), in feed order, filtered by
    domain, kinds and the source system they concern."""
    query = ChangeEvent.objects.filter(sequence__gt=after).order_by("sequence")
    if upto is not None:
        query = query.filter(sequence__lte=upto)
    if domain:
        query = query.filter(domain=domain)
    if kinds:
        query = query.filter(kind__in=list(kinds))
    if systems:
        query = query.filter(system_code__in=list(systems))
    return query


def records_shared_by_system() -> list[dict[str, Any]]:
    """Per domain and source system: live records, and how many of them share their golden
    record with a record of another system (what matching joined across systems)."""
    others = SourceRecord.objects.filter(golden=OuterRef("golden"), is_deleted=False).exclude(system=OuterRef("system"))
    rows = SourceRecord.objects.filter(is_deleted=False).annotate(shared=Exists(others))
    return list(
        rows.values("domain", "system__code")
        .annotate(records=Count("id"), shared_count=Count("id", filter=Q(shared=True)))
        .order_by("domain", "system__code")
    )


# --- for exports ------------------------------------------------------------------------------


def feed_position() -> int:
    """The sequence number of the last change event (0: none yet)."""
    return ChangeEvent.objects.aggregate(last=Max("sequence"))["last"] or 0


def changed_golden_ids(*, domain: str, after: int, upto: int) -> set[str]:
    """The golden IDs a domain's events in (after, upto] name: created, updated, merged,
    split, retired, or given or losing a member."""
    events = change_events(domain=domain, after=after, upto=upto).exclude(golden_id="")
    ids = set(events.values_list("golden_id", flat=True).iterator(chunk_size=20_000))
    for payload in events.filter(kind=ChangeEvent.Kind.GOLDEN_ID_REMAPPED).values_list("payload", flat=True):
        if payload.get("previous"):
            ids.add(payload["previous"])
    return ids


def changed_source_keys(*, domain: str, after: int, upto: int, system: str | None = None) -> set[tuple[str, str]]:
    """(system, key) of the source records a domain's events in (after, upto] name."""
    events = change_events(domain=domain, after=after, upto=upto).exclude(source_key="")
    if system is not None:
        events = events.filter(system_code=system)
    return set(events.values_list("system_code", "source_key").iterator(chunk_size=20_000))


def retired_successors(*, domain: str) -> dict[str, str]:
    """Every retired golden ID of a domain with its direct successor's golden ID."""
    rows = GoldenRecord.objects.filter(domain=domain, status=GoldenRecord.Status.RETIRED)
    return dict(rows.values_list("golden_id", "successor__golden_id").iterator(chunk_size=20_000))


def xref_records(*, domain: str, system: str | None = None, keys: set[tuple[str, str]] | None = None,
                 goldens: set[str] | None = None) -> QuerySet[SourceRecord]:
    """Source records of a domain (of one system; of these (system, key)s or members of these
    golden IDs: None for all) with their system and golden record, by system and key."""
    query = SourceRecord.objects.filter(domain=domain).select_related("system", "golden")
    if system is not None:
        query = query.filter(system__code=system)
    if keys is not None or goldens is not None:
        named = Q(pk__in=[])
        by_system: dict[str, list[str]] = {}
        for code, key in keys or ():
            by_system.setdefault(code, []).append(key)
        for code, system_keys in by_system.items():
            named |= Q(system__code=code, source_key__among=system_keys)
        if goldens:
            named |= Q(golden__golden_id__among=sorted(goldens), is_deleted=False)
        query = query.filter(named)
    return query.order_by("system__code", "source_key")
