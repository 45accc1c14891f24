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
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from matching.realtime import Decision, record_match
from mdm.errors import MdmError
from mdm.ingest.run import ProgressCallback, SnapshotPolicy, import_file
from mdm.models import ImportRun, MatchModel, SourceRecord


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
    limit = settings.MDM_REALTIME_MAX_RECORDS if limit is None else limit
    changed = set(SourceRecord.history.filter(history_operation=run.operation, domain=run.domain)
                  .values_list("id", flat=True))
    left = set(SourceRecord.objects.filter(domain=run.domain, is_deleted=False, golden__isnull=True)
               .values_list("id", flat=True)) - changed
    result = ImportMatch(domain=run.domain, changed=len(changed), unmatched=len(left))
    ids = [*sorted(left), *sorted(changed)]  # the older ones first: the later find them as candidates
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
    operation = uuid.uuid4()
    labels = {pk: f"{code}:{key}" for pk, code, key in
              SourceRecord.objects.filter(pk__in=ids).values_list("pk", "system__code", "source_key")}
    reason = f"real-time match after import {run.pk} of {Path(run.file_name).name}"
    for pk in ids:
        decision = record_match(record=pk, actor=run.actor, reason=reason, operation=operation)
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
