"""Matching's test helpers, on top of mdm/tests/factories.py: the invariants with the key
index's, the demo's trust ranks, a stored model from the session's trained ones, a product
declaration that weighs a spec by its look-alikes."""

from __future__ import annotations

import dataclasses

from matching.declarations import DomainModel, get_declaration
from matching.integrity import CHECKS
from matching.management.commands.demo import DEMO_TRUST  # noqa: F401 - the demo systems' trust ranks
from mdm.tests import factories


def assert_invariants() -> None:
    """The hub's invariants, the blocking-key index's included."""
    factories.assert_invariants(CHECKS)


# three makers' capacitors that ERP names alike (no maker), and one item each system holds once
LOOK_ALIKE_CAP = {"name": "贴片电容 0805 2.2uF 10V X7R", "unit": "PCS"}
HELD_ONCE_CAP = {"name": "贴片电容 1206 3.3uF 16V X5R", "unit": "PCS"}


def spec_by_look_alikes() -> DomainModel:
    """The product declaration with the spec's agreeing levels adjusted by the term frequency
    of the spec (px_sig): one exact-match level and one that is not."""
    declared = get_declaration("product")
    spec, *rest = declared.comparisons
    levels = tuple(dataclasses.replace(lv, tf="px_sig") if lv.label.startswith("same value,") and not lv.conflict
                   else lv for lv in spec.levels)
    return dataclasses.replace(declared, comparisons=(dataclasses.replace(spec, levels=levels), *rest),
                               tf_columns=("px_sig",))
