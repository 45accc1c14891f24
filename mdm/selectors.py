"""Reads of the core tables: what pages, endpoints, commands and services read.

Each selector returns a queryset (with its related rows fetched in a fixed number of
queries) or plain typed rows; none writes. Services read the rows they are about to
change themselves, under their locks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet

from mdm.domains import get_domain
from mdm.errors import GoldenRecordNotFound, InternalError
from mdm.models import ChangeEvent, GoldenRecord, MergeProposal, SourceRecord, SourceSystem

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


def source_record_hashes(*, domain: str, system: SourceSystem, keys: list[str]) -> dict[str, str]:
    """Stored content hash per source key, for the given keys that exist."""
    return dict(
        SourceRecord.objects.filter(domain=domain, system=system, source_key__among=keys).values_list(
            "source_key", "content_hash"
        )
    )


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


def record_history(record: SourceRecord | GoldenRecord) -> QuerySet[Any]:
    """The history rows of a source or golden record, newest first, each with its actor,
    operation, reason and the user who acted (fetched in the same query)."""
    return record.history.select_related("history_user").order_by("-history_date", "-history_id")


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


def change_events(*, domain: str, after: int, upto: int) -> QuerySet[ChangeEvent]:
    """A domain's change events after one position up to another, in feed order."""
    return ChangeEvent.objects.filter(domain=domain, sequence__gt=after, sequence__lte=upto).order_by("sequence")


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
