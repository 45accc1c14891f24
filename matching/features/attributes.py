"""The standardized attributes themselves as feature columns, for a domain whose
comparisons need nothing derived: every attribute and derived part (`name`, `name__core`)
under its own name, text stripped, empty values None."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FeatureRow = dict[str, Any]


def features(row: Mapping[str, Any]) -> FeatureRow:
    out: FeatureRow = {}
    for name, value in row.items():
        if name in ("unique_id", "source_system"):
            continue
        if isinstance(value, str):
            value = value.strip() or None
        out[name] = value
    return out
