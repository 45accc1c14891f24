"""Reading stored records again when standardization changed (mdm.ingest.freshness).

A record's content hash covers what its source said, so re-importing the same file skips
its rows before standardization: a record stored before a standardizer was fixed would keep
the value the old code made of it. This reads every stale record of a domain again from its
stored `raw`, with the profile that read it, a batch per transaction, and stores what it
reads as now through records.source_records_restandardized: a version (history, change
event, golden records recomputed) only for the records whose values change. Each batch is
standardized before its locks are taken, and written under the locks an import of its
records' systems takes, only for the records no one changed in between.

Nothing is lost for a record that cannot be read again: one whose raw no longer
standardizes keeps its values and its old fingerprint, so it is reported, and counted
stale, until the code or its data is fixed. The records of a profile that cannot be found
by its name any more (removed, renamed, or only ever given as a file's path to ingest), or
that maps another domain now, cannot even be checked: they are left alone and reported per
profile.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from mdm.domains import get_domain
from mdm.errors import MdmError
from mdm.history import Change
from mdm.ingest.freshness import standardization_fingerprint, stored_profile
from mdm.ingest.workers import ROW_ISSUE, RowWork
from mdm.models import SourceRecord
from mdm.services.locks import domain_write_lock
from mdm.services.records import Restandardized, source_records_restandardized

BATCH = 2000  # stale records read again per transaction
SCAN = 20_000  # records whose fingerprint is checked per query
SAMPLE_FAILURES = 20  # failures a report names
MSG_NO_PROFILE = "profile {name!r} cannot be used: {error}"


@dataclass(frozen=True)
class Failure:
    """A stored record that could not be read again: it keeps its values."""

    system: str
    source_key: str
    profile: str
    reason: str


@dataclass
class RestandardizeReport:
    """What re-reading a domain's stale records did (would do, in a dry run)."""

    domain: str
    dry_run: bool
    stale: int = 0  # records standardized otherwise than their profile reads now
    changed: int = 0  # whose values read differently now: a new version each
    same: int = 0  # whose values read the same: only marked current, no version
    goldens: int = 0  # golden records whose surviving values changed
    failed: int = 0  # could not be read again: kept as they were
    failures: list[Failure] = field(default_factory=list)  # the first SAMPLE_FAILURES
    unchecked: dict[str, int] = field(default_factory=dict)  # records per profile that cannot be resolved
    unresolved: dict[str, str] = field(default_factory=dict)  # why, per profile

    def fail(self, failure: Failure) -> None:
        self.failed += 1
        if len(self.failures) < SAMPLE_FAILURES:
            self.failures.append(failure)


class _Readers:
    """The row work and current fingerprint of each profile the domain's records name,
    resolved once; the reason (in `unresolved`) when a name cannot be resolved."""

    def __init__(self, domain: str):
        self.domain = domain
        self.works: dict[str, tuple[RowWork, str] | None] = {}
        self.unresolved: dict[str, str] = {}

    def get(self, name: str) -> tuple[RowWork, str] | None:
        if name not in self.works:
            try:
                profile = stored_profile(self.domain, name)
                work = RowWork(profile, get_domain(self.domain), settings.MDM_PHONE_REGION,
                               settings.MDM_MAX_FIELD_CHARS)
                self.works[name] = (work, standardization_fingerprint(profile))
            except MdmError as exc:
                self.works[name] = None
                self.unresolved[name] = MSG_NO_PROFILE.format(name=name, error=exc.message)
        return self.works[name]


def source_records_restandardize(
    *, domain: str, change: Change, dry_run: bool = False, batch_size: int = BATCH
) -> RestandardizeReport:
    """Read the domain's stale records again from their raw payloads and store what they
    read as now (records.source_records_restandardized), a batch per transaction under the
    locks an import of their systems takes. Re-running it finds nothing stale and writes
    nothing. With `dry_run`, each batch is done and rolled back: the report says what
    would change, golden records included, and nothing stays. Deleted records are left
    alone (a change of theirs would reach no golden record, and its event would read as a
    second deletion): one restored is read again then, its deletion flag being part of
    its content hash."""
    get_domain(domain)
    readers = _Readers(domain)
    report = RestandardizeReport(domain=domain, dry_run=dry_run, unresolved=readers.unresolved)
    for stale in _stale_batches(domain, readers, batch_size, report):
        _batch(domain, readers, stale, change, dry_run, report)
    return report


def _stale_batches(domain: str, readers: _Readers, batch_size: int, report: RestandardizeReport
                   ) -> Iterator[list[tuple[int, int]]]:
    """The live stale records' (pk, system) in pk order, `batch_size` at a time; the records of
    profiles that cannot be resolved counted in the report. Read by primary key and the
    domain checked here (matching.keys: SQLite walks the domain's index slowly)."""
    last = 0
    pending: list[tuple[int, int]] = []
    while True:
        rows = list(SourceRecord.objects.filter(pk__gt=last).order_by("pk")
                    .values_list("pk", "domain", "is_deleted", "system_id", "profile", "standardized_by")[:SCAN])
        if not rows:
            break
        last = rows[-1][0]
        for pk, of, deleted, system, profile, by in rows:
            if of != domain or deleted:
                continue
            found = readers.get(profile)
            if found is None:
                report.unchecked[profile] = report.unchecked.get(profile, 0) + 1
            elif by != found[1]:
                pending.append((pk, system))
        while len(pending) >= batch_size:
            yield pending[:batch_size]
            pending = pending[batch_size:]
    if pending:
        yield pending


def _batch(domain: str, readers: _Readers, stale: list[tuple[int, int]], change: Change, dry_run: bool,
           report: RestandardizeReport) -> None:
    """Standardize a batch before taking any lock (the import's workers do the same), then,
    under the locks, write the records nothing has touched since they were read."""
    read = _standardized(readers, [pk for pk, _ in stale], report)
    with transaction.atomic():
        domain_write_lock(domain, systems={system for _, system in stale})
        now = SourceRecord.objects.filter(pk__in=list(read)).values_list("id", "content_hash", "standardized_by")
        records = [read[pk][0] for pk, digest, by in now if (digest, by) == read[pk][1]]
        report.stale -= len(read) - len(records)  # an import read them again meanwhile
        written = source_records_restandardized(domain=domain, records=records, change=change)
        report.changed += written.changed
        report.same += len(records) - written.changed
        report.goldens += written.golden_updates
        if dry_run:
            transaction.set_rollback(True)


def _standardized(readers: _Readers, ids: list[int], report: RestandardizeReport
                  ) -> dict[int, tuple[Restandardized, tuple[str, str]]]:
    """The stale records among `ids` read again, each with the (content hash, fingerprint)
    it had when read; those that cannot be read are reported, and keep their values."""
    rows = SourceRecord.objects.filter(pk__in=ids).order_by("pk").values(
        "id", "system__code", "source_key", "profile", "raw", "issues", "content_hash", "standardized_by",
        "is_deleted")
    out = {}
    for row in rows:
        work, fingerprint = readers.get(row["profile"]) or (None, "")
        if work is None or row["standardized_by"] == fingerprint or row["is_deleted"]:
            continue  # read again, or deleted, since the scan (an import)
        report.stale += 1
        read = _read(work, row)
        if isinstance(read, str):
            report.fail(Failure(row["system__code"], row["source_key"], row["profile"], read))
            continue
        attributes, issues = read
        out[row["id"]] = (Restandardized(id=row["id"], attributes=attributes, issues=issues,
                                         standardized_by=fingerprint),
                          (row["content_hash"], row["standardized_by"]))
    return out


def _read(work: RowWork, row: dict[str, Any]) -> tuple[dict, dict] | str:
    """What a stored record reads as now (its row's own flags, how the row was received, kept),
    or why it cannot be read."""
    try:
        attributes, issues = work.standardize(row["raw"])
    except MdmError as exc:
        return exc.message
    except Exception as exc:  # noqa: BLE001 - a standardizer's bug must not stop the domain; reported
        return f"{type(exc).__name__}: {exc}"
    flags = (row["issues"] or {}).get(ROW_ISSUE)
    return attributes, {**issues, ROW_ISSUE: flags} if flags else issues
