"""Features of customers: organisations (matching.features.organisation) and individual
people (matching.features.person) in one domain; a record has the columns of both, those
it has no attributes for None."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matching.features import organisation, person


def features(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**organisation.features(row), **person.features(row)}
