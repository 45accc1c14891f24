"""A row's own work, in worker processes overlapped with the database writes.

Everything an import does to one row that needs no database happens here: the checks of
its values, its deletion flag, its content hash, its standardization and the JSON text of
what will be stored. The importer keeps only what needs the whole file or the database
(reading, keys and their duplicates, the stored hashes, the writes), so with workers the
importer's process is free for the writes while both cores standardize.

Workers come from a fork server, not a fork of the importer: a plain fork would inherit the
importer's database socket, and a killed importer's transaction would then stay open,
holding its locks, as long as the workers lived. Workers never touch the database; they get
the profile and domain at start.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from mdm.content import content_hash
from mdm.domains import Domain
from mdm.errors import RowRejected
from mdm.exports import looks_like_formula
from mdm.ingest.profiles import Profile

_json_any = json.JSONEncoder(ensure_ascii=False).encode


def json_text(value: Any) -> str:
    """JSON text of what is stored, by orjson (four times the json module's speed), or by the
    json module for the integers beyond 64 bits orjson refuses."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _json_any(value)


FLAGGED_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20 \t\r\n")  # a value to look at more closely
ROW_ISSUE = "row"  # the issues key of problems with the row as a whole (not one attribute)
UNCHANGED = "\x00unchanged"  # the outcome of a row whose content hash is the stored one


class Prepared(NamedTuple):
    """A row ready to store: what it says, standardized, and the JSON text written (plain
    str: a str subclass costs six times more to send back from a worker)."""

    content_hash: str
    deleted: bool
    issues: dict[str, list[str]]  # standardization's problems and the row's flags (ROW_ISSUE)
    raw: str
    attributes: str
    issues_text: str


# A Prepared row, UNCHANGED, or the reason the row is rejected
Outcome = Prepared | str


@dataclass(frozen=True)
class RowWork:
    profile: Profile
    domain: Domain
    region: str  # phone numbers without a country code are read in this region
    max_chars: int  # MDM_MAX_FIELD_CHARS

    def prepare(self, record: dict, stored_hash: str | None, warnings: list[str] | None) -> Outcome:
        try:
            flags = list(warnings or ())  # what the reader noticed: an unbalanced quote, a formula
            self._check_values(record, flags)
            deleted = self.profile.is_deleted(record)
            if status := self.profile.status_flag(record):
                flags.append(status)
            try:
                digest = content_hash(self.profile.name, record, deleted)
            except ValueError as exc:  # NaN, infinity, unpaired surrogates
                raise RowRejected(f"a value cannot be stored: {exc}") from None
            if digest == stored_hash:
                return UNCHANGED
            attributes, issues = self.standardize(record)
        except RowRejected as exc:
            return exc.message
        if flags:
            issues = {**issues, ROW_ISSUE: flags}
        return Prepared(digest, deleted, issues, json_text(record), json_text(attributes), json_text(issues))

    def standardize(self, record: dict) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """What the record's values read as: attributes, and standardization's issues.
        Raises RowRejected when a required value is missing or a date or number cannot be
        read (Domain.standardize)."""
        return self.domain.standardize(self.profile.extract(record), phone_region=self.region)

    def _check_values(self, record: Any, flags: list[str], path: str = "") -> None:
        if isinstance(record, dict):
            for name, value in record.items():
                if isinstance(value, str):  # the common, flat case without the recursion
                    first = value[:1]
                    if len(value) > self.max_chars or "\x00" in value or first in FLAGGED_STARTS or first.isspace():
                        self._check_text(value, f"{path}.{name}" if path else str(name), flags)
                elif value is not None:
                    self._check_values(value, flags, f"{path}.{name}" if path else str(name))
        elif isinstance(record, list):
            for index, value in enumerate(record):
                self._check_values(value, flags, f"{path}.{index}")
        elif isinstance(record, str):
            self._check_text(record, path, flags)

    def _check_text(self, value: str, path: str, flags: list[str]) -> None:
        if "\x00" in value:
            raise RowRejected(f"field {path!r} contains a NUL character")
        if len(value) > self.max_chars:
            raise RowRejected(
                f"field {path!r} is {len(value):,} characters long (limit {self.max_chars:,}, MDM_MAX_FIELD_CHARS)"
            )
        if looks_like_formula(value):
            flags.append(f"formula-looking value in {path}: {value[:40]!r} (stored as received; exports neutralise it)")


_work: RowWork | None = None


def _start_worker(work: RowWork, importer_pid: int = 0) -> None:
    global _work
    _work = work
    if importer_pid:
        threading.Thread(target=_exit_with, args=(importer_pid,), daemon=True).start()


def _exit_with(pid: int) -> None:
    """A killed importer cannot shut its pool down: leave with it instead of lingering."""
    while True:
        time.sleep(1)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)


Item = tuple[dict, str | None, list[str] | None]  # a record, its stored content hash, the reader's warnings


def prepare_rows(items: list[Item]) -> list[Outcome]:
    """The outcomes of the items, in order."""
    prepare = _work.prepare
    return [prepare(*item) for item in items]


class RowWorkers:
    """submit(items) returns a callable that yields the outcomes, in order, when needed.

    The pool starts at the second batch, so small files never pay for it.
    """

    def __init__(self, work: RowWork, workers: int):
        _start_worker(work)
        self.work = work
        self.workers = workers if "forkserver" in multiprocessing.get_all_start_methods() else 0
        self.batches = 0
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> RowWorkers:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, items: list[Item]) -> Callable[[], list[Outcome]]:
        self.batches += 1
        if self.workers > 1 and self.batches == 2:
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker,
                initargs=(self.work, os.getpid()),
            )
        if self.pool is None or len(items) < 2 * self.workers:
            outcomes = prepare_rows(items)
            return lambda: outcomes
        size = -(-len(items) // self.workers)
        futures: list[Future] = [
            self.pool.submit(prepare_rows, items[i : i + size]) for i in range(0, len(items), size)
        ]
        return lambda: [outcome for future in futures for outcome in future.result()]
