"""The hub's invariant checks with matching's own: the core's (mdm.integrity) and the
blocking-key index's, for `manage.py check_integrity` and the tests."""

from __future__ import annotations

from collections.abc import Callable

from matching.keys import match_keys_problems
from mdm import integrity


def check_match_keys_are_current() -> list[str]:
    """Every blocking key belongs to a record of its domain, and the records a match run's
    refresh trusts (unchanged since the last run) have exactly their features' keys."""
    return match_keys_problems(integrity.LIMIT)


CHECKS: list[Callable[[], list[str]]] = [*integrity.CHECKS, check_match_keys_are_current]


def run_checks() -> dict[str, list[str]]:
    return integrity.run_checks(CHECKS)
