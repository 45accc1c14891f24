"""Standardization in worker processes, overlapped with the database writes.

Standardizing is most of an import's CPU time. With workers, batch N+1 is standardized
while batch N is written, so both cores work. Workers come from a fork server, not a fork
of the importer: a plain fork would inherit the importer's database socket, and a killed
importer's transaction would then stay open, holding its locks, as long as the workers
lived. Workers never touch the database; they get the profile and domain at start.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from mdm.domains import Domain
from mdm.errors import RowRejected
from mdm.ingest.profiles import Profile

# (attributes, issues) for a good row, or the reason it was rejected.
Outcome = tuple[dict[str, Any], dict[str, list[str]]] | str

_state: tuple[Profile, Domain, str] | None = None


def _start_worker(profile: Profile, domain: Domain, region: str, importer_pid: int = 0) -> None:
    global _state
    _state = (profile, domain, region)
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


def standardize_rows(rows: list[dict]) -> list[Outcome]:
    profile, domain, region = _state
    outcomes: list[Outcome] = []
    for row in rows:
        try:
            outcomes.append(domain.standardize(profile.extract(row), phone_region=region))
        except RowRejected as exc:
            outcomes.append(exc.message)
    return outcomes


class Standardizer:
    """submit(rows) returns a callable that yields the outcomes, in order, when needed.

    The pool starts at the second batch, so small files never pay for it.
    """

    def __init__(self, profile: Profile, domain: Domain, region: str, workers: int):
        _start_worker(profile, domain, region)
        self.state = (profile, domain, region)
        self.workers = workers if "forkserver" in multiprocessing.get_all_start_methods() else 0
        self.batches = 0
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Standardizer:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, rows: list[dict]) -> Callable[[], list[Outcome]]:
        self.batches += 1
        if self.workers > 1 and self.batches == 2:
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker,
                initargs=(*self.state, os.getpid()),
            )
        if self.pool is None or len(rows) < 2 * self.workers:
            outcomes = standardize_rows(rows)
            return lambda: outcomes
        size = -(-len(rows) // self.workers)
        futures: list[Future] = [
            self.pool.submit(standardize_rows, rows[i : i + size]) for i in range(0, len(rows), size)
        ]
        return lambda: [outcome for future in futures for outcome in future.result()]
