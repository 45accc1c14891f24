"""What one viewer sees: the department rule and attribute masking of mdm.access applied
to records, in one place for every face that shows or writes them (the steward pages, the
auditors' pages, the file exports).

A `Viewer` is a user's view (`Viewer.of(user)`), or the hub's own (`EVERYTHING`: the
command line run by the hub's operator, who holds the database itself):

- records of a source system outside the viewer's departments are not seen: not listed,
  not found, not opened (a face answers "not found", so existence does not leak);
- a golden record is seen when one of its members is of a visible system; of it, the
  viewer sees the members of visible systems and the values that came from them (a value
  from an unseen system is masked like a sensitive one);
- a proposal or ruling is seen when both its records are;
- sensitive attributes (declared `sensitive`) are MASK for a viewer who may not
  view_sensitive in the domain, and so are the raw payloads in the history (what a source
  sent may hold a sensitive value under any field name), yet a change to one still shows
  as a change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from mdm import access
from mdm.access import MASK
from mdm.models import GoldenRecord, MergeProposal, PairConstraint, SourceRecord
from mdm.selectors import AttributeValue, golden_record_values

# JSON fields keyed by attribute name; a record's issues are too, and a standardizer's message
# quotes the value it could not read ("not a valid phone number: 0755-2878")
MASKED_FIELDS = ("attributes", "overrides", "values", "issues")
RAW_FIELDS = ("raw",)  # JSON fields keyed by a source's own field names


@dataclass
class Viewer:
    """One viewer's limits: the systems seen (None: every one) and, per domain, the
    attributes masked (read once per viewer)."""

    user: AbstractBaseUser | None
    systems: frozenset[str] | None
    _masks: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, user: Any) -> Viewer:
        return cls(user=user, systems=access.visible_systems(user))

    @property
    def name(self) -> str:
        return self.user.get_username() if self.user is not None else "the hub"

    @property
    def limited(self) -> bool:
        return self.systems is not None

    def masked(self, domain: str) -> frozenset[str]:
        if self.user is None:
            return frozenset()
        if domain not in self._masks:
            self._masks[domain] = access.masked_attributes(self.user, domain)
        return self._masks[domain]

    def sees_system(self, code: str | None) -> bool:
        return self.systems is None or code in self.systems

    # --- querysets --------------------------------------------------------------------------

    def sources(self, query: QuerySet, prefix: str = "") -> QuerySet:
        """Source records (or rows pointing to one through `prefix`) of visible systems."""
        if self.systems is None:
            return query
        return query.filter(**{f"{prefix}system__code__in": sorted(self.systems)})

    def goldens(self, query: QuerySet, prefix: str = "") -> QuerySet:
        """Golden records (or rows pointing to one through `prefix`, e.g. "golden_id") with
        a member of a visible system."""
        if self.systems is None:
            return query
        seen = SourceRecord.objects.filter(system__code__in=sorted(self.systems)).values("golden_id")
        return query.filter(**{f"{prefix or 'pk'}__in": seen})

    def pairs(self, query: QuerySet) -> QuerySet:
        """Proposals or rulings whose two records are both of visible systems."""
        if self.systems is None:
            return query
        systems = sorted(self.systems)
        return query.filter(left__system__code__in=systems, right__system__code__in=systems)

    # --- single records -----------------------------------------------------------------------

    def sees_golden(self, golden: GoldenRecord) -> bool:
        return self.systems is None or self.goldens(GoldenRecord.objects.filter(pk=golden.pk)).exists()

    def sees_pair(self, pair: MergeProposal | PairConstraint) -> bool:
        return self.sees_system(pair.left.system.code) and self.sees_system(pair.right.system.code)

    # --- values -------------------------------------------------------------------------------

    def mask(self, domain: str, values: dict[str, Any]) -> dict[str, Any]:
        """Attributes (with their derived parts) with the sensitive ones masked."""
        return access.mask(values, self.masked(domain))

    def hides(self, domain: str, name: str, system: str | None = None) -> bool:
        """Is the value of attribute `name` (from `system`, if known) masked for this viewer?"""
        return name.split("__", 1)[0] in self.masked(domain) or (system is not None and not self.sees_system(system))

    def golden_values(self, golden: GoldenRecord) -> list[AttributeValue]:
        """The surviving values with lineage, a masked value with no pointer to its source."""
        out = []
        for v in golden_record_values(golden):
            if self.hides(golden.domain, v.name, v.system):
                v = replace(v, value=MASK, parts=dict.fromkeys(v.parts, MASK), source_key=None, record=None)
            out.append(v)
        return out

    def golden_attributes(self, domain: str, attributes: dict[str, Any], lineage: dict[str, Any]
                          ) -> dict[str, Any]:
        """A golden record's attributes (now or as of a moment), masked: the sensitive ones,
        and those that came from a system the viewer does not see."""
        if not self.masked(domain) and self.systems is None:
            return attributes
        out = {}
        for key, value in attributes.items():
            origin = (lineage.get(key.split("__", 1)[0]) or {}).get("system")
            out[key] = MASK if value not in (None, "") and self.hides(domain, key, origin) else value
        return out

    def record_attributes(self, record: SourceRecord) -> dict[str, Any]:
        return self.mask(record.domain, record.attributes)

    def issues(self, domain: str, issues: dict[str, list[str]]) -> dict[str, list[str]]:
        """A record's issues by attribute, those of a masked attribute as MASK (the
        messages quote the value)."""
        return {name: [MASK] * len(found) if self.hides(domain, name) else found for name, found in issues.items()}

    def change(self, domain: str | None, name: str, before: Any, after: Any) -> tuple[Any, Any]:
        """A changed field of a history row ("attributes.tax_id", "raw.SHUIHAO") as this
        viewer may see it: a masked value's change shows that it changed, never from what or
        to what."""
        if not domain:
            return before, after
        head, _, key = name.partition(".")
        if head in RAW_FIELDS or (head in MASKED_FIELDS and not key):
            hidden = bool(self.masked(domain))
        else:
            hidden = head in MASKED_FIELDS and self.hides(domain, key)
        if not hidden:
            return before, after
        return (MASK if before not in (None, "") else before), (MASK if after not in (None, "") else after)

    def describe(self, domains: Iterable[str]) -> dict[str, Any]:
        """What this viewer's files leave out (an export's manifest says it)."""
        return {"user": self.name, "systems": sorted(self.systems) if self.systems is not None else None,
                "masked": {d: sorted(self.masked(d)) for d in sorted(domains) if self.masked(d)}}


EVERYTHING = Viewer(user=None, systems=None)


def text_matches(values: Iterable[Any], q: str) -> bool:
    """Does any of these values contain `q` (case-insensitive; a phone by its digits too)?
    The search's check against what the viewer may see."""
    needle = q.strip().casefold()
    digits = re.sub(r"\D", "", q).lstrip("0")
    for value in values:
        if value in (None, "", MASK):
            continue
        text = (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)).casefold()
        if needle in text or (len(digits) >= 6 and digits in re.sub(r"\D", "", text)):
            return True
    return False

