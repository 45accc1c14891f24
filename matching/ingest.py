"""Loading records from a source system and matching them: the one use case every entry
point (the ingest command, the API, inbound webhooks) calls.

    result = file_ingest(path=..., system_code="erp", profile_name="sap_kna1")   # IngestResult

The records are upserted through the core's ingest (mdm.ingest: read, map, standardize,
upsert with history, reject report), then the records the import changed are matched in
real time when the domain has a trained model and the import is small enough
(MDM_REALTIME_MAX_RECORDS); otherwise `matched.waiting` says why they wait for a batch run.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from matching.realtime import Decision, record_match
from mdm.bulk import JSONText
from mdm.domains import get_domain
from mdm.errors import MdmError, RecordsRejected, RowRejected
from mdm.history import Change
from mdm.ingest.freshness import standardization_fingerprint
from mdm.ingest.profiles import Profile
from mdm.ingest.run import ProgressCallback, SnapshotPolicy, import_file
from mdm.ingest.workers import UNCHANGED, RowWork
from mdm.models import ImportRun, MatchModel, SourceRecord, SourceSystem
from mdm.selectors import source_record_hashes
from mdm.services.records import IncomingRecord, source_records_delete, source_records_upsert


@dataclass
class ImportMatch:
    """Real-time matching of the records an import changed: the decisions, or why not."""

    domain: str
    changed: int
    decisions: list[tuple[str, Decision]] = field(default_factory=list)  # ("system:key", decision)
    waiting: str = ""  # why the records wait for a batch run: "no_model", "too_many", "failed"
    error: str = ""  # why real-time matching failed (the records stay loaded and wait for a batch run)
    model_version: int | None = None
    unmatched: int = 0  # other live records of the domain without a golden record, matched with them

    def counts(self) -> Counter[str]:
        return Counter(d.action for _, d in self.decisions)


def import_run_match(*, run: ImportRun, limit: int | None = None) -> ImportMatch:
    """Match in real time, one by one (each its own transaction), the records an import run
    inserted, updated or deleted, and the live records of the domain still without a golden
    record: those an earlier import left unmatched when it was killed before it matched
    them, so a re-run finishes what the killed one left undone. Only when the domain has a
    trained model and these are at most `limit` (MDM_REALTIME_MAX_RECORDS); otherwise
    nothing is matched and `waiting` says why (the records wait for `manage.py match`)."""
    changed = set(SourceRecord.history.filter(history_operation=run.operation, domain=run.domain)
                  .values_list("id", flat=True))
    reason = f"real-time match after import {run.pk} of {Path(run.file_name).name}"
    return records_match(domain=run.domain, ids=changed, actor=run.actor, reason=reason, limit=limit)


def records_match(*, domain: str, ids: Collection[int], actor: str, reason: str,
                  limit: int | None = None) -> ImportMatch:
    """Match in real time the records `ids` (changed by one operation) and the domain's
    other live records still without a golden record (see import_run_match): the step
    every entry point takes after upserting records."""
    limit = settings.MDM_REALTIME_MAX_RECORDS if limit is None else limit
    changed = set(ids)
    left = set(SourceRecord.objects.filter(domain=domain, is_deleted=False, golden__isnull=True)
               .values_list("id", flat=True)) - changed
    result = ImportMatch(domain=domain, changed=len(changed), unmatched=len(left))
    ordered = [*sorted(left), *sorted(changed)]  # the older ones first: the later find them as candidates
    if not ordered:
        return result
    model = MatchModel.objects.filter(domain=domain, is_active=True).values_list("version", flat=True).first()
    if model is None:
        result.waiting = "no_model"
        return result
    result.model_version = model
    if len(ordered) > limit:
        result.waiting = "too_many"
        return result
    operation = uuid.uuid4()
    labels = {pk: f"{code}:{key}" for pk, code, key in
              SourceRecord.objects.filter(pk__in=ordered).values_list("pk", "system__code", "source_key")}
    for pk in ordered:
        decision = record_match(record=pk, actor=actor, reason=reason, operation=operation)
        result.decisions.append((labels[pk], decision))
    return result


@dataclass
class IngestResult:
    run: ImportRun
    matched: ImportMatch | None  # None: the import did not complete, nothing was matched


def file_ingest(
    *,
    path: Path,
    system_code: str,
    profile_name: str,
    domain: str | None = None,
    encoding: str | None = None,
    snapshot: bool = False,
    policy: SnapshotPolicy | None = None,
    dry_run: bool = False,
    actor: str | None = None,
    report_path: Path | None = None,
    on_progress: ProgressCallback | None = None,
    realtime: bool = True,
) -> IngestResult:
    """Load a source system's file (mdm.ingest.run.import_file), then match the records it
    changed in real time (`realtime`; else they wait for `manage.py match`). A dry run
    matches nothing: it wrote nothing to match."""
    run = import_file(
        path=path, system_code=system_code, profile_name=profile_name, domain=domain, encoding=encoding,
        snapshot=snapshot, policy=policy, dry_run=dry_run, actor=actor, report_path=report_path,
        on_progress=on_progress,
    )
    if run.status != ImportRun.Status.COMPLETED or not realtime or dry_run:
        return IngestResult(run=run, matched=None)
    try:
        matched = import_run_match(run=run)
    except MdmError as exc:  # the load is committed: its records wait for a batch run
        matched = ImportMatch(domain=run.domain, changed=0, waiting="failed", error=exc.message)
    return IngestResult(run=run, matched=matched)


@dataclass(frozen=True)
class ReceivedRecord:
    """What became of one record a source system sent: `outcome` inserted, updated,
    unchanged or deleted; the golden record it belongs to after real-time matching, and
    the decision that put it there (None: not matched now, see Received.matched.waiting)."""

    source_key: str
    outcome: str
    golden_id: str | None
    decision: Decision | None
    issues: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Received:
    records: list[ReceivedRecord]
    matched: ImportMatch


MSG_REJECTED = "{n} of {total} record(s) cannot be loaded; nothing was stored"
INSERTED, UPDATED, UNCHANGED_, DELETED = "inserted", "updated", "unchanged", "deleted"


def records_receive(
    *,
    system: SourceSystem,
    profile: Profile,
    records: Sequence[dict],
    delete_keys: Sequence[str] = (),
    change: Change,
    realtime: bool = True,
) -> Received:
    """Load records one source system sent (an API call, an inbound webhook) through a
    profile, as an import loads a file's rows (the same row work: checks, content hash,
    standardization), and delete the records `delete_keys` names; then match what changed
    in real time (records_match), as file_ingest does after an import.

    All or nothing: if any record is rejected (no key, a duplicate key, a value that
    cannot be stored), RecordsRejected names each and nothing is stored. Sending the same
    records again changes nothing (content hashes), so a retried call is harmless."""
    domain = get_domain(profile.domain)
    incoming, outcomes, issues = _prepared(system, profile, records)
    with transaction.atomic():
        if incoming:
            counts = source_records_upsert(domain=domain.name, system=system, records=incoming, change=change)
            if counts.unchanged:
                outcomes.update(_read_the_same(domain.name, system, outcomes, change))
        asked = [key for key in delete_keys if key not in outcomes]
        gone = set(source_records_delete(domain=domain.name, system=system, keys=asked, change=change)) \
            if asked else set()
    outcomes.update({key: DELETED if key in gone else UNCHANGED_ for key in asked})
    rows = {row["source_key"]: row for row in SourceRecord.objects.filter(
        domain=domain.name, system=system, source_key__among=[*outcomes, *delete_keys],
    ).values("id", "source_key")}
    changed = [rows[k]["id"] for k, o in outcomes.items() if o != UNCHANGED_ and k in rows]
    matched = ImportMatch(domain=domain.name, changed=len(changed))
    if realtime:
        try:
            matched = records_match(domain=domain.name, ids=changed, actor=change.actor, reason=change.reason)
        except MdmError as exc:  # the records are stored: they wait for a batch run
            matched = ImportMatch(domain=domain.name, changed=len(changed), waiting="failed", error=exc.message)
    decisions = {d.record: d for _, d in matched.decisions}
    golden = dict(SourceRecord.objects.filter(pk__in=[r["id"] for r in rows.values()])
                  .values_list("source_key", "golden__golden_id"))
    return Received(
        records=[
            ReceivedRecord(source_key=key, outcome=outcome, golden_id=golden.get(key),
                           decision=decisions.get(rows[key]["id"]) if key in rows else None,
                           issues=issues.get(key, {}))
            for key, outcome in outcomes.items()
        ],
        matched=matched,
    )


def _read_the_same(domain: str, system: SourceSystem, outcomes: dict[str, str], change: Change) -> dict[str, str]:
    """The records sent unchanged that were read again (standardized by older code) and
    read the same: no version written, so unchanged after all."""
    versioned = set(SourceRecord.history.filter(history_operation=change.operation, domain=domain, system=system)
                    .values_list("source_key", flat=True))
    return {key: UNCHANGED_ for key, outcome in outcomes.items() if outcome == UPDATED and key not in versioned}


def _prepared(system: SourceSystem, profile: Profile, records: Sequence[dict]
              ) -> tuple[list[IncomingRecord], dict[str, str], dict[str, dict[str, list[str]]]]:
    """The records ready to upsert (changed ones), each key's outcome so far and each
    changed record's issues; RecordsRejected naming every record that cannot be loaded."""
    domain = get_domain(profile.domain)
    errors: dict[int, str] = {}
    keys: list[str] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise RowRejected("a record is a JSON object")
            key = profile.source_key(record)
        except RowRejected as exc:
            errors[index] = exc.message
            keys.append("")
            continue
        if key in seen:
            errors[index] = f"duplicate key {key!r} (first at {seen[key]})"
        seen.setdefault(key, index)
        keys.append(key)
    standardized_by = standardization_fingerprint(profile)
    stored = source_record_hashes(domain=domain.name, system=system, keys=[k for k in keys if k],
                                  standardized_by=standardized_by)
    work = RowWork(profile, domain, settings.MDM_PHONE_REGION, settings.MDM_MAX_FIELD_CHARS)
    incoming: list[IncomingRecord] = []
    outcomes: dict[str, str] = {}
    issues: dict[str, dict[str, list[str]]] = {}
    for index, (record, key) in enumerate(zip(records, keys, strict=True)):
        if index in errors:
            continue
        prepared = work.prepare(record, stored.get(key), None)
        if prepared == UNCHANGED:
            outcomes[key] = UNCHANGED_
        elif isinstance(prepared, str):
            errors[index] = prepared
        else:
            outcomes[key] = DELETED if prepared.deleted else INSERTED if key not in stored else UPDATED
            issues[key] = prepared.issues
            incoming.append(IncomingRecord(
                source_key=key, profile=profile.name, raw=JSONText(prepared.raw),
                content_hash=prepared.content_hash, attributes=JSONText(prepared.attributes),
                issues=JSONText(prepared.issues_text), deleted=prepared.deleted, standardized_by=standardized_by,
            ))
    if errors:
        raise RecordsRejected(MSG_REJECTED.format(n=len(errors), total=len(records)), errors=errors)
    return incoming, outcomes, issues
