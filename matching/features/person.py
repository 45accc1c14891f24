"""Features of individual people (a B2C CRM's customers): name parts, date of birth, national id.

Every column is None for a record without person attributes (an organisation), so the
comparisons that read them stay at their null level and the organisation's model is
unchanged (matching.declarations.person).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from matching.features.text import pinyin, text_of

FeatureRow = dict[str, Any]

_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DMY_RE = re.compile(r"(\d{1,2})\D(\d{1,2})\D(\d{4})")
_DIGIT_RE, _LETTER_RE = re.compile(r"\d"), re.compile(r"[A-Z]")  # an id's shape: 9 for a digit, A for a letter


def birth_digits(value: str | None) -> str | None:
    """A date of birth as YYYYMMDD digits: read (ISO), or kept as written when it could not
    be (mdm.standardize.std_birth_date): 19731392 as it is, an ambiguous 01/05/1980 as
    19800105 in the order written, so a record that reads it the other way meets it as a
    day and month swapped."""
    if not value:
        return None
    if m := _ISO_DATE_RE.fullmatch(value):
        return "".join(m.groups())
    if m := _DMY_RE.fullmatch(value):
        return f"{m[3]}{int(m[1]):02d}{int(m[2]):02d}"
    digits = "".join(c for c in value if c.isdigit())
    return digits if len(digits) == 8 else None


def _name_part(row: Mapping[str, Any], attribute: str) -> str | None:
    """A name part as comparable letters: folded, accents and punctuation dropped, Chinese
    as pinyin ("Ostrova-Kimble" → "ostrovakimble", 张 → "zhang")."""
    text = text_of(row, f"{attribute}__folded") or text_of(row, attribute)
    return (pinyin(text) or None) if text else None


def features(row: Mapping[str, Any]) -> FeatureRow:
    """The person columns: p_given and p_family (name parts), p_full (both, in order),
    p_pair (both, sorted: a swapped given and family name meet), p_person (True when a
    part is there: the name is compared by its parts), birth (YYYYMMDD), birth_dm (year,
    then month and day sorted: a day and month swapped meet), nat_id and nat_shape (its
    digits as 9, letters as A: ids of two shapes are of two numberings, not comparable)."""
    given, family = _name_part(row, "given_name"), _name_part(row, "family_name")
    birth = birth_digits(text_of(row, "birth_date"))
    nat_id = text_of(row, "national_id")
    return {
        "p_person": True if given or family else None,
        "p_given": given,
        "p_family": family,
        "p_full": f"{given} {family}" if given and family else None,
        "p_pair": " ".join(sorted((given, family))) if given and family else None,
        "birth": birth,
        "birth_dm": birth[:4] + "".join(sorted((birth[4:6], birth[6:]))) if birth else None,
        "nat_id": nat_id,
        "nat_shape": _LETTER_RE.sub("A", _DIGIT_RE.sub("9", nat_id)) if nat_id else None,
    }
