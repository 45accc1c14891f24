"""Features of customers: organisations (matching.features.organisation) and individual
people (matching.features.person) in one domain; a record has the columns of both, those
it has no attributes for None."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matching.features import organisation, person

# The organisation's brand keys, as customer blocking rules read them: a person's "brand"
# is the given name ("john" of John Smith), which would block every John of a city
# together. Comparisons still read the brand columns themselves (a person whose system
# holds one name is compared by the company name levels).
BRAND_KEYS = {"nm_brand": "org_brand", "nm_key": "org_key", "nm_sorted": "org_sorted"}


def features(row: Mapping[str, Any]) -> dict[str, Any]:
    org, people = organisation.features(row), person.features(row)
    keys = {key: None if people["p_person"] else org[column] for column, key in BRAND_KEYS.items()}
    return {**org, **people, **keys}
