"""Load one file from one source system: read, map, standardize, upsert, report.

Each batch of rows is one transaction (records, history, change events, rejects and the
run's counters together), so a run killed at any point leaves whole batches behind and a
re-run of the same file ends in exactly the state of an uninterrupted run.

Nothing good is lost for something bad: a bad row is rejected alone (a key or field over
the schema's limits included), with its reason, in the run's report; a value a
spreadsheet would run as a formula is stored as received and flagged (exports neutralise
it); data-quality problems standardization finds are flagged, counted per kind and listed.
A snapshot (`snapshot=True`: the file is a full extract) deletes the records it no longer
holds only when the file could be read whole: not when it looks cut off, when a row's key
could not be read, when more than `max_reject_share` of its rows were rejected, or when
the deletions would exceed `max_delete_share` of the system's live records; then nothing
is deleted and the run says why, unless the operator confirmed the deletions.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import socket
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from mdm.bulk import JSONText
from mdm.domains import get_domain
from mdm.errors import DeclarationError, ImportFailed, MdmError, RowRejected
from mdm.exports import csv_file, private_dir
from mdm.history import Change
from mdm.ingest.freshness import standardization_fingerprint
from mdm.ingest.profiles import Profile, get_profile
from mdm.ingest.readers import RowSource, SourceRow
from mdm.ingest.workers import UNCHANGED, RowWork, RowWorkers
from mdm.models import ImportReject, ImportRun, SourceRecord, SourceSystem
from mdm.selectors import source_record_hashes, source_records_exist, source_records_missing
from mdm.services.audit import declarations_in_force
from mdm.services.records import IncomingRecord, source_records_delete_missing
from mdm.services.records import source_records_upsert as upsert
from mdm.services.systems import source_system_get

REPORT_VALUE_CHARS = 500  # a rejected row's values are kept for the report up to this length
FILE_NAME_CHARS = 500  # ImportRun.file_name
SAMPLE_DELETIONS = 20  # keys a refusal or a dry run names
MSG_ALL_REJECTED = "every one of the {n:,} rows was rejected: see the report; the file does not fit the profile"
MSG_NO_ROWS = "the file holds no rows"

ProgressCallback = Callable[[RowSource, ImportRun], None]


@dataclass(frozen=True)
class SnapshotPolicy:
    """When a snapshot may delete what the file no longer holds (see the module docstring)."""

    max_delete_share: float = 0.10
    max_reject_share: float = 0.01
    confirmed: bool = False  # the operator confirmed the deletions: delete whatever the checks say


@dataclass
class _Pending:
    """A row whose key was read and is new in the file, waiting for its batch's row work."""

    row: SourceRow
    key: str


@dataclass
class _Batch:
    pending: list[_Pending] = field(default_factory=list)
    rejects: list[ImportReject] = field(default_factory=list)
    read: int = 0
    unchanged: int = 0


def import_file(
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
) -> ImportRun:
    """Import a file and return its finished ImportRun (status completed, failed or, on
    Ctrl-C, interrupted). With `dry_run`, everything is done and then rolled back: the run
    says what would be inserted, updated, rejected and deleted (`would_delete`: a sample of
    the keys), and nothing stays.

    Raises ImportFailed (before anything is stored) for a missing file, an unknown profile,
    domain or system, a report folder that cannot be made; problems found while reading
    (a header that does not fit the profile) mark the run failed.
    """
    profile = get_profile(profile_name)
    if domain and domain != profile.domain:
        raise DeclarationError(f"profile {profile.name!r} maps the {profile.domain!r} domain, not {domain!r}")
    if not path.is_file():
        raise ImportFailed(f"no such file: {path}")
    system = source_system_get(system_code)
    report_path = _report_path(report_path)
    source = RowSource(path, profile, encoding)
    change = Change(actor=actor or f"system:{system.code}", reason=f"import of {path.name} ({profile.name})")
    _mark_dead_runs_interrupted(system, profile.domain)
    # a dry run is one transaction, rolled back; a real run commits batch by batch
    with transaction.atomic() if dry_run else contextlib.nullcontext():
        run = _run(path, profile, system, source, change, snapshot, dry_run)
        declarations_in_force(declarations=[("domain", profile.domain, get_domain(profile.domain).text),
                                            ("profile", profile.name, profile.text)], change=change)
        importer = _Importer(profile=profile, system=system, run=run, change=change, source=source)
        try:
            _load(run, importer, policy or SnapshotPolicy(), on_progress)
        finally:
            if dry_run:
                transaction.set_rollback(True)
            else:
                _finish(run, importer, report_path)
    return run


def _run(path: Path, profile: Profile, system: SourceSystem, source: RowSource, change: Change, snapshot: bool,
         dry_run: bool) -> ImportRun:
    name = str(path)
    return ImportRun.objects.create(
        operation=change.operation, system=system, domain=profile.domain, profile=profile.name,
        file_name=name if len(name) <= FILE_NAME_CHARS else "…" + name[-FILE_NAME_CHARS + 1 :],
        file_sha256=_sha256(path), file_format=source.format, snapshot=snapshot, actor=change.actor,
        host=socket.gethostname(), pid=os.getpid(), started_at=timezone.now(),
        status=ImportRun.Status.RUNNING if not dry_run else ImportRun.Status.COMPLETED,
    )


def _load(run: ImportRun, importer: _Importer, policy: SnapshotPolicy, on_progress: ProgressCallback | None
          ) -> None:
    """Read and write every row, then judge the snapshot; the run's status says how it went."""
    try:
        importer.load(on_progress)
        run.warnings = [*importer.source.warnings, *importer.column_warnings()]
        if run.read and run.rejected == run.read:
            raise ImportFailed(MSG_ALL_REJECTED.format(n=run.read))
        if run.snapshot:
            _delete_missing(run, importer, policy)
        run.status = ImportRun.Status.COMPLETED
    except MdmError as exc:
        run.status, run.error = ImportRun.Status.FAILED, exc.message
    except KeyboardInterrupt:
        run.status, run.error = ImportRun.Status.INTERRUPTED, "interrupted (Ctrl-C): re-run to finish"
        raise
    except Exception as exc:
        # A database error (a deadlock, a lost connection) rolled back its batch; earlier
        # batches stay. Record the failure before letting the error through.
        run.status, run.error = ImportRun.Status.FAILED, f"{type(exc).__name__}: {exc}"
        raise
    finally:
        run.flags = dict(importer.flags)
        run.encoding = importer.source.encoding
        run.finished_at = timezone.now()


def _delete_missing(run: ImportRun, importer: _Importer, policy: SnapshotPolicy) -> None:
    """The snapshot's deletion step: judged first (see the module docstring), then done
    through the records service, or refused with the reason and nothing deleted."""
    profile, system, source = importer.profile, importer.system, importer.source
    missing, live = source_records_missing(domain=profile.domain, system=system, present_keys=importer.keys)
    run.missing = {"count": len(missing), "sample": sorted(missing)[:SAMPLE_DELETIONS]}
    if not missing:
        return
    reasons = []
    if not run.read:
        reasons.append(MSG_NO_ROWS)
    if not source.complete:
        reasons.append("the file looks cut off (its last row is damaged and it does not end with a line break)")
    if importer.keyless:
        reasons.append(f"the key of {importer.keyless:,} rejected row(s) could not be read")
    if run.read and run.rejected > policy.max_reject_share * run.read:
        reasons.append(f"{run.rejected:,} of {run.read:,} rows were rejected (more than {policy.max_reject_share:.0%})")
    if len(missing) > policy.max_delete_share * live:
        reasons.append(f"it would delete {len(missing):,} of the {live:,} live records of {system.code} "
                       f"(more than {policy.max_delete_share:.0%}, --max-delete-share)")
    if reasons and not policy.confirmed:
        run.deletions_refused = (
            f"nothing deleted: {'; '.join(reasons)}. Check the file, then re-run with --confirm-deletions "
            f"to delete the {len(missing):,} record(s) it no longer holds (they stay recoverable)"
        )
        return
    run.deleted += source_records_delete_missing(
        domain=profile.domain, system=system, present_keys=importer.keys, change=importer.change
    )


def _report_path(path: Path | None) -> Path | None:
    """The report's folder must exist (made, private) before any row is read."""
    folder = path.parent if path is not None else settings.MDM_REPORT_DIR
    try:
        private_dir(folder)
    except OSError as exc:
        raise ImportFailed(f"cannot write the report to {folder}: {exc.strerror}") from None
    return path


def _finish(run: ImportRun, importer: _Importer, report_path: Path | None) -> None:
    try:
        run.report_path = str(_write_report(run, importer, report_path))
    except OSError as exc:
        run.warnings = [*run.warnings, f"the report could not be written: {exc}"]
    run.save()


class _Importer:
    def __init__(self, *, profile: Profile, system: SourceSystem, run: ImportRun, change: Change,
                 source: RowSource):
        self.profile = profile
        self.domain = get_domain(profile.domain)
        self.system = system
        self.run = run
        self.change = change
        self.source = source
        self.keys: dict[str, int] = {}  # key -> first row number, for duplicates and snapshots
        self.keyless = 0  # rejected rows whose key could not be read
        self.flags: Counter[str] = Counter()  # data-quality problems of the stored rows, per kind
        self.flagged = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - their rows, for the report
        self.batch_size = settings.MDM_INGEST_BATCH_SIZE
        self.standardized_by = standardization_fingerprint(profile)
        self.analyzed_at = 5000
        # A first load needs no stored hashes: the file's keys are unique, so none is stored
        # but by this run (another import of the system at the same time is upsert's to see:
        # it reads under the system's lock).
        self.first_load = not source_records_exist(domain=profile.domain, system=system)

    def load(self, on_progress: ProgressCallback | None) -> None:
        work = RowWork(self.profile, self.domain, settings.MDM_PHONE_REGION, settings.MDM_MAX_FIELD_CHARS)
        with RowWorkers(work, settings.MDM_INGEST_WORKERS) as workers:
            previous = None
            for batch in self._batches():
                # Batch N+1 is worked on (in workers) while batch N is written; keys are
                # unique within the file, so batch N's writes cannot change N+1's lookups.
                current = (batch, self._start(batch, workers))
                if previous:
                    self._write(*previous)
                    if on_progress:
                        on_progress(self.source, self.run)
                previous = current
            if previous:
                self._write(*previous)
        self.source.done = self.source.total
        if on_progress:
            on_progress(self.source, self.run)

    def column_warnings(self) -> list[str]:
        """Columns with data that the profile maps to nothing, and mapped columns the file
        lacks: a tax number in STCD1 that a profile reads from STCD5 only is lost silently
        otherwise."""
        read = self.profile.columns_read()
        found = set(self.source.columns)
        unmapped = [c for c in self.source.columns if self.source.filled[c] and c not in read]
        absent = sorted(c for c in read if c not in found)
        out = []
        if unmapped:
            out.append(f"columns with data that profile {self.profile.name} maps to nothing: {', '.join(unmapped)}")
        if absent and found:
            out.append(f"columns profile {self.profile.name} maps that the file lacks: {', '.join(absent)}")
        return out

    def _batches(self) -> Iterator[_Batch]:
        batch = _Batch()
        for row in self.source.rows():
            batch.read += 1
            try:
                batch.pending.append(self._check(row))
            except RowRejected as exc:
                batch.rejects.append(self._reject(row, exc.message))
            if batch.read >= self.batch_size:
                yield batch
                batch = _Batch()
        if batch.read:
            yield batch

    def _check(self, row: SourceRow) -> _Pending:
        """The row's key, new in the file; the rest of the row's checks are row work."""
        if row.error:
            raise RowRejected(row.error)
        key = self.profile.source_key(row.data)
        first = self.keys.setdefault(key, row.number)
        if first != row.number:
            raise RowRejected(f"duplicate key {key!r} within the file (first at row {first})")
        return _Pending(row=row, key=key)

    def _reject(self, row: SourceRow, reason: str) -> ImportReject:
        """A rejected row, with its key when it can be read (a row rejected for its values
        is still present in a snapshot: its record must not be taken for gone)."""
        key = ""
        if row.data is not None:
            try:
                key = self.profile.source_key(row.data)
                self.keys.setdefault(key, row.number)
            except RowRejected:
                pass
        if not key:
            self.keyless += 1
        return ImportReject(run=self.run, row_number=row.number, source_key=key[:200], reason=reason,
                            raw=_shorten(row.data))

    def _start(self, batch: _Batch, workers: RowWorkers) -> Callable[[], list]:
        """Send the batch's rows to their row work, each with its stored content hash: an
        unchanged row is recognised there, before it costs a standardization (unless its
        record was standardized by older code: then it is read again, and upsert versions
        it only when its values changed)."""
        stored = {} if self.first_load else source_record_hashes(
            domain=self.profile.domain, system=self.system, keys=[p.key for p in batch.pending],
            standardized_by=self.standardized_by,
        )
        return workers.submit([(p.row.data, stored.get(p.key), p.row.warnings) for p in batch.pending])

    def _write(self, batch: _Batch, outcomes: Callable[[], list]) -> None:
        records = []
        for pending, outcome in zip(batch.pending, outcomes(), strict=True):
            if outcome == UNCHANGED:
                batch.unchanged += 1
            elif isinstance(outcome, str):
                batch.rejects.append(self._reject(pending.row, outcome))
            else:
                self._flag(pending, outcome.issues)
                records.append(IncomingRecord(
                    source_key=pending.key, profile=self.profile.name, raw=JSONText(outcome.raw),
                    content_hash=outcome.content_hash, attributes=JSONText(outcome.attributes),
                    issues=JSONText(outcome.issues_text), deleted=outcome.deleted,
                    standardized_by=self.standardized_by,
                ))
        with transaction.atomic():
            counts = upsert(domain=self.profile.domain, system=self.system, records=records, change=self.change)
            ImportReject.objects.bulk_create(batch.rejects)
            run = self.run
            run.read += batch.read
            run.inserted += counts.inserted
            run.updated += counts.updated
            run.unchanged += counts.unchanged + batch.unchanged
            run.restandardized += counts.restandardized
            run.deleted += counts.deleted
            run.rejected += len(batch.rejects)
            run.save(update_fields=["read", "inserted", "updated", "unchanged", "restandardized", "deleted",
                                    "rejected"])
        if connection.vendor == "postgresql" and run.inserted >= self.analyzed_at:
            # A first load into an empty table outruns autovacuum: without fresh statistics
            # PostgreSQL plans the per-batch key lookups as scans, and each batch gets slower.
            # The key's columns are all those lookups need (the whole table costs 7x more).
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {SourceRecord._meta.db_table} (domain, system_id, source_key)")
            self.analyzed_at = run.inserted * 2

    def _flag(self, pending: _Pending, issues: dict[str, list[str]]) -> None:
        """Count a stored row's problems per kind (the problem up to its first colon: the
        rest names the value) and keep the row for the report."""
        for attribute, problems in issues.items():
            for problem in problems:
                self.flags[f"{attribute}: {problem.split(':', 1)[0]}"] += 1
                self.flagged.write(json.dumps([pending.row.number, pending.key, attribute, problem],
                                              ensure_ascii=False) + "\n")


def _shorten(value: Any) -> Any:
    """The row as read, safe to store: long values cut, and what JSON cannot hold (NaN,
    unpaired surrogates, NUL) spelled out, so the report shows it rather than failing."""
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        value = value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
        if len(value) > REPORT_VALUE_CHARS:
            return f"{value[:REPORT_VALUE_CHARS]}… [{len(value):,} characters]"
    return value


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _mark_dead_runs_interrupted(system: SourceSystem, domain: str) -> None:
    """A run still 'running' whose process is gone on this host was killed."""
    host = socket.gethostname()
    for run in ImportRun.objects.filter(system=system, domain=domain, status=ImportRun.Status.RUNNING, host=host):
        try:
            os.kill(run.pid, 0)
        except ProcessLookupError:
            run.status = ImportRun.Status.INTERRUPTED
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "finished_at"])
        except PermissionError:
            pass  # alive, another user's process


def _write_report(run: ImportRun, importer: _Importer, path: Path | None) -> Path:
    """The report as CSV, safe to open in a spreadsheet: one line per rejected row (with the
    row as read), then one per data-quality flag of a stored row."""
    path = path or settings.MDM_REPORT_DIR / f"import-{run.pk}-report.csv"
    with csv_file(path, ["row", "source_key", "outcome", "reason", "value"]) as writer:
        for reject in run.rejects.order_by("row_number").iterator():
            writer.writerow([reject.row_number, reject.source_key, "rejected", reject.reason,
                             json.dumps(reject.raw, ensure_ascii=False)])
        importer.flagged.seek(0)
        for line in importer.flagged:
            number, key, attribute, problem = json.loads(line)
            writer.writerow([number, key, "flagged", f"{attribute}: {problem}", ""])
        importer.flagged.close()
    return path
