"""Load one file from one source system: read, map, standardize, upsert, report rejects.

Each batch of rows is one transaction (records, history, change events, rejects and the
run's counters together), so a run killed at any point leaves whole batches behind and a
re-run of the same file ends in exactly the state of an uninterrupted run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from mdm.domains import get_domain
from mdm.errors import DeclarationError, ImportFailed, MdmError, RowRejected
from mdm.history import Change
from mdm.ingest.profiles import Profile, get_profile
from mdm.ingest.readers import RowSource, SourceRow
from mdm.ingest.workers import Standardizer
from mdm.models import ImportReject, ImportRun, SourceRecord, SourceSystem
from mdm.selectors import source_record_hashes
from mdm.services.records import IncomingRecord, content_hash, source_records_delete_missing, source_records_upsert
from mdm.services.systems import source_system_get

# A leading "=" or a "+-@" that starts a function call or DDE link is read as a formula by
# spreadsheets; such a value would run when an export of the hub is opened.
FORMULA = re.compile(r"^\s*(=|[+\-@]\s*[A-Za-z_][\w.]*\s*[(|!])")
# Rejected rows are kept for the report, with long values cut to this many characters.
REPORT_VALUE_CHARS = 500

ProgressCallback = Callable[[RowSource, ImportRun], None]


@dataclass
class _Pending:
    """A row that passed the file-level checks, waiting for its batch to be standardized."""

    row: SourceRow
    key: str
    deleted: bool
    content_hash: str


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
    actor: str | None = None,
    report_path: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> ImportRun:
    """Import a file and return its finished ImportRun (status completed or failed).

    Raises ImportFailed (before anything is stored) for a missing file, an unknown profile,
    domain or system; file-level problems found while reading mark the run failed.
    """
    profile = get_profile(profile_name)
    if domain and domain != profile.domain:
        raise DeclarationError(
            f"profile {profile.name!r} maps the {profile.domain!r} domain, not {domain!r}"
        )
    if not path.is_file():
        raise ImportFailed(f"no such file: {path}")
    system = source_system_get(system_code)
    source = RowSource(path, profile, encoding)
    change = Change(
        actor=actor or f"system:{system.code}", reason=f"import of {path.name} ({profile.name})"
    )
    _mark_dead_runs_interrupted(system, profile.domain)
    run = ImportRun.objects.create(
        operation=change.operation,
        system=system,
        domain=profile.domain,
        profile=profile.name,
        file_name=str(path),
        file_sha256=_sha256(path),
        file_format=source.format,
        snapshot=snapshot,
        actor=change.actor,
        host=socket.gethostname(),
        pid=os.getpid(),
        started_at=timezone.now(),
    )
    importer = _Importer(profile=profile, system=system, run=run, change=change, source=source)
    try:
        importer.load(on_progress)
        if snapshot:
            run.deleted += source_records_delete_missing(
                domain=profile.domain, system=system, present_keys=importer.keys, change=change
            )
        run.status = ImportRun.Status.COMPLETED
    except MdmError as exc:
        run.status = ImportRun.Status.FAILED
        run.error = exc.message
    except Exception as exc:
        # A database error (a deadlock, a lost connection) rolled back its batch; earlier
        # batches stay. Record the failure before letting the error through.
        run.status = ImportRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"
        _finish(run, source, report_path)
        raise
    _finish(run, source, report_path)
    return run


def _finish(run: ImportRun, source: RowSource, report_path: Path | None) -> None:
    run.encoding = source.encoding
    run.finished_at = timezone.now()
    run.report_path = str(_write_report(run, report_path))
    run.save()


class _Importer:
    def __init__(
        self,
        *,
        profile: Profile,
        system: SourceSystem,
        run: ImportRun,
        change: Change,
        source: RowSource,
    ):
        self.profile = profile
        self.domain = get_domain(profile.domain)
        self.system = system
        self.run = run
        self.change = change
        self.source = source
        self.keys: dict[str, int] = {}  # key -> first row number, for duplicates and snapshots
        self.batch_size = settings.MDM_INGEST_BATCH_SIZE
        self.max_chars = settings.MDM_MAX_FIELD_CHARS
        self.phone_region = settings.MDM_PHONE_REGION
        self.analyzed_at = 5000

    def load(self, on_progress: ProgressCallback | None) -> None:
        workers = settings.MDM_INGEST_WORKERS
        with Standardizer(self.profile, self.domain, self.phone_region, workers) as standardizer:
            previous = None
            for batch in self._batches():
                # Batch N+1 is standardized (in workers) while batch N is written; keys are
                # unique within the file, so batch N's writes cannot change N+1's lookups.
                current = (batch, self._start(batch, standardizer))
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
        if row.error:
            raise RowRejected(row.error)
        record = row.data
        self._check_values(record)
        key = self.profile.source_key(record)
        first = self.keys.setdefault(key, row.number)
        if first != row.number:
            raise RowRejected(f"duplicate key {key!r} within the file (first at row {first})")
        deleted = self.profile.is_deleted(record)
        try:
            digest = content_hash(self.profile.name, record, deleted)
        except ValueError as exc:  # NaN, infinity, unpaired surrogates
            raise RowRejected(f"a value cannot be stored: {exc}") from None
        return _Pending(row=row, key=key, deleted=deleted, content_hash=digest)

    def _check_values(self, record: Any, path: str = "") -> None:
        if isinstance(record, dict):
            for name, value in record.items():
                if isinstance(value, str):  # the common, flat case without the recursion
                    first = value[:1]
                    if len(value) > self.max_chars or first in "=+-@" or first.isspace() or "\x00" in value:
                        self._check_text(value, f"{path}.{name}" if path else str(name))
                elif value is not None:
                    self._check_values(value, f"{path}.{name}" if path else str(name))
        elif isinstance(record, list):
            for index, value in enumerate(record):
                self._check_values(value, f"{path}.{index}")
        elif isinstance(record, str):
            self._check_text(record, path)

    def _check_text(self, value: str, path: str) -> None:
        if "\x00" in value:
            raise RowRejected(f"field {path!r} contains a NUL character")
        if len(value) > self.max_chars:
            raise RowRejected(
                f"field {path!r} is {len(value):,} characters long "
                f"(limit {self.max_chars:,}, MDM_MAX_FIELD_CHARS)"
            )
        if FORMULA.match(value):
            raise RowRejected(
                f"field {path!r} holds a spreadsheet formula ({value[:40]!r}); "
                "formulas are refused to keep exports safe"
            )

    def _reject(self, row: SourceRow, reason: str) -> ImportReject:
        key = ""
        if row.data is not None and not row.error:
            try:
                key = self.profile.source_key(row.data)
                self.keys.setdefault(key, row.number)
            except RowRejected:
                pass
        return ImportReject(
            run=self.run,
            row_number=row.number,
            source_key=key[:200],
            reason=reason,
            raw=_shorten(row.data),
        )

    def _start(self, batch: _Batch, standardizer: Standardizer) -> Callable[[], list]:
        """Drop rows whose content is unchanged and send the rest to be standardized."""
        stored = source_record_hashes(
            domain=self.profile.domain, system=self.system, keys=[p.key for p in batch.pending]
        )
        batch.unchanged = sum(1 for p in batch.pending if stored.get(p.key) == p.content_hash)
        batch.pending = [p for p in batch.pending if stored.get(p.key) != p.content_hash]
        return standardizer.submit([p.row.data for p in batch.pending])

    def _write(self, batch: _Batch, outcomes: Callable[[], list]) -> None:
        records = []
        for pending, outcome in zip(batch.pending, outcomes(), strict=True):
            if isinstance(outcome, str):
                batch.rejects.append(self._reject(pending.row, outcome))
                continue
            attributes, issues = outcome
            records.append(
                IncomingRecord(
                    source_key=pending.key,
                    profile=self.profile.name,
                    raw=pending.row.data,
                    content_hash=pending.content_hash,
                    attributes=attributes,
                    issues=issues,
                    deleted=pending.deleted,
                )
            )
        with transaction.atomic():
            counts = source_records_upsert(
                domain=self.profile.domain, system=self.system, records=records, change=self.change
            )
            ImportReject.objects.bulk_create(batch.rejects)
            run = self.run
            run.read += batch.read
            run.inserted += counts.inserted
            run.updated += counts.updated
            run.unchanged += counts.unchanged + batch.unchanged
            run.deleted += counts.deleted
            run.rejected += len(batch.rejects)
            run.save(
                update_fields=["read", "inserted", "updated", "unchanged", "deleted", "rejected"]
            )
        if connection.vendor == "postgresql" and run.inserted >= self.analyzed_at:
            # A first load into an empty table outruns autovacuum: without fresh statistics
            # PostgreSQL plans the per-batch key lookups as scans, and each batch gets slower.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {SourceRecord._meta.db_table}")
            self.analyzed_at = run.inserted * 2


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
    for run in ImportRun.objects.filter(
        system=system, domain=domain, status=ImportRun.Status.RUNNING, host=host
    ):
        try:
            os.kill(run.pid, 0)
        except ProcessLookupError:
            run.status = ImportRun.Status.INTERRUPTED
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "finished_at"])
        except PermissionError:
            pass  # alive, another user's process


def _write_report(run: ImportRun, path: Path | None) -> Path:
    """The reject report as CSV: one line per rejected row, safe to open in a spreadsheet."""
    if path is None:
        settings.MDM_REPORT_DIR.mkdir(parents=True, exist_ok=True)
        path = settings.MDM_REPORT_DIR / f"import-{run.pk}-rejects.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(["row", "source_key", "reason", "raw"])
        for reject in run.rejects.order_by("row_number").iterator():
            raw = json.dumps(reject.raw, ensure_ascii=False)
            writer.writerow(
                [reject.row_number, _safe_cell(reject.source_key), _safe_cell(reject.reason),
                 _safe_cell(raw)]
            )
    return path


def _safe_cell(value: str) -> str:
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value
