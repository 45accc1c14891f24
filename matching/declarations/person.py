"""Individual customers: people, as a B2C CRM holds them (see matching.features.person).

Design:
- name: a person's name is compared by its parts when both records have them: both exact,
  given and family name swapped, both alike (typos), one part exact with the other
  missing on a side, one part exact and the other different (a relative at one address
  shares the family name), else different. These levels come first in the customer's one
  name comparison (PERSON_NAME_LEVELS), so a person's name never also counts as a
  company's, and the exact-name EM session, whose pairs all agree on the name, trains
  neither. A record without parts (an organisation, or a person whose system holds one
  name) is compared by the company name levels that follow.
- date of birth: exact, one digit mistyped or two swapped, day and month swapped (read
  the other way round), else different.
- national id (social security, identity card, passport number): exact, one character
  mistyped or two swapped, else different; ids of two shapes (a passport number and an
  identity card number) are of two numberings and not compared.
The exact date and id levels are adjusted by term frequency (TF_COLUMNS): a value one
source system holds for many records (a form's default 1900-01-01, a placeholder id
123-45-6789) is no identifier, and weighs as little as it is common.
Every weight is learned: u from random pairs, m by EM. An organisation has none of these
attributes, so its pairs stay at the null levels and its model is unchanged.
"""

from __future__ import annotations

from matching.declarations import All, Any, Comparison, Damerau, Differ, Exact, JaroWinkler, Level, Not, Null

_PERSONS = Not(Null("p_person"))  # both records carry name parts

PERSON_NAME_LEVELS = (
    Level("person: given and family names exact", All(_PERSONS, Exact("p_full"))),
    Level("person: given and family names swapped", All(_PERSONS, Exact("p_pair"))),
    Level("person: both names alike (Jaro-Winkler ≥ 0.92)",
          All(_PERSONS, JaroWinkler("p_given", 0.92), JaroWinkler("p_family", 0.92))),
    Level("person: both names similar (Jaro-Winkler ≥ 0.8)",
          All(_PERSONS, JaroWinkler("p_given", 0.8), JaroWinkler("p_family", 0.8))),
    Level("person: family name exact, given name missing on one side",
          All(_PERSONS, Exact("p_family"), Null("p_given"))),
    Level("person: given name exact, family name missing on one side",
          All(_PERSONS, Exact("p_given"), Null("p_family"))),
    Level("person: family name exact, given names differ", All(_PERSONS, Exact("p_family"))),
    Level("person: given name exact, family names differ", All(_PERSONS, Exact("p_given"))),
    Level("person: names differ", _PERSONS),
)

BIRTH_DATE = Comparison(
    "birth_date",
    "date of birth",
    (
        Level("date of birth missing", Null("birth"), null=True),
        Level("date of birth exact", Exact("birth"), tf="birth"),
        Level("date of birth with one digit mistyped or two swapped", Damerau("birth", 1)),
        Level("date of birth with day and month swapped", Exact("birth_dm")),
        Level("dates of birth differ", None),
    ),
)

NATIONAL_ID = Comparison(
    "national_id",
    "national id (social security, identity card or passport number)",
    (
        Level(
            "national id missing, or ids of two numberings (not comparable)",
            Any(Null("nat_id"), All(Differ("nat_shape"), Not(Damerau("nat_id", 1)))),
            null=True,
        ),
        Level("national id exact", Exact("nat_id"), tf="nat_id"),
        Level("national id with one character mistyped or two swapped", Damerau("nat_id", 1)),
        Level("national ids differ", None),
    ),
    ordered=True,
)

# A national id alone, and a date of birth within a family name, a given name or a
# postcode: the pairs a name typo and a move between them would leave to chance. A day
# has about 1/36,500 of the people, so the date's blocks stay small at any size.
BLOCKING = {
    "national_id": ("nat_id",),
    "birth_family": ("birth", "p_family"),
    "birth_given": ("birth", "p_given"),
    "birth_postcode": ("birth", "postcode"),
    "person_swapped": ("p_pair",),
}
TF_COLUMNS = ("birth", "nat_id")
PRIVATE_COLUMNS = ("birth", "birth_dm", "nat_id")
EM_BLOCKING = (("nat_id",),)
DETERMINISTIC = (("nat_id",),)
