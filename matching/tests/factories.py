"""Matching's test helpers, on top of mdm/tests/factories.py: the invariants with the key
index's, the demo's trust ranks, a stored model from the session's trained ones."""

from __future__ import annotations

from matching.integrity import CHECKS
from matching.management.commands.demo import DEMO_TRUST  # noqa: F401 - the demo systems' trust ranks
from mdm.tests import factories


def assert_invariants() -> None:
    """The hub's invariants, the blocking-key index's included."""
    factories.assert_invariants(CHECKS)
