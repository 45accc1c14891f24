"""Domain declarations: one YAML file per domain in this folder.

A domain lists its canonical attributes, each with a standardizer type (a key of
mdm.standardize.STANDARDIZERS), whether it is required, the golden-ID coding rule,
the survivorship rules that pick each golden attribute among the members' values, and
the matching defaults (which matching declaration compares its records, how sure the
model must be to merge, or to ask a steward). Adding an attribute or a domain is a YAML
file here or in a folder of MDM_DOMAIN_DIRS, never a new code path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from mdm.errors import DeclarationError, RowRejected, UnknownDomain
from mdm.standardize import (
    STANDARDIZERS,
    Candidates,
    Formatted,
    NameLines,
    Standardized,
    first_valid,
    name_roles,
    read_formatted,
    standardize,
)

DOMAIN_DIR = Path(__file__).resolve().parent
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str
    label: str
    required: bool = False
    sensitive: bool = False  # masked for whoever holds no grant to see it (mdm.access.masked_attributes)


GOLDEN_ID_LENGTH = 40  # GoldenRecord.golden_id's column
SERIAL_GROWTH = 2  # digits a serial may outgrow `digits` by before an ID could overflow


@dataclass(frozen=True)
class GoldenIdRule:
    """Golden IDs look like PREFIX-[CATEGORY-]0000123; serials are never reused. Every ID
    fits its column whatever the data: a category code longer than the room left is cut
    and ends in a digest of the whole code, so two long codes never share a sequence."""

    prefix: str
    digits: int = 7
    category_attribute: str | None = None

    @property
    def category_room(self) -> int:
        return GOLDEN_ID_LENGTH - len(self.prefix) - 2 - (self.digits + SERIAL_GROWTH)

    def category_code(self, category: str) -> str:
        """The code a category stands as in IDs (and its serial sequence): upper case, cut
        to the room left."""
        code = category.strip().upper()
        if len(code) <= self.category_room:
            return code
        digest = hashlib.sha1(code.encode("utf-8")).hexdigest()[:5].upper()
        return f"{code[: self.category_room - 6]}_{digest}"

    def format(self, code: str, serial: int) -> str:
        prefix = f"{self.prefix}-{code}-" if code else f"{self.prefix}-"
        return f"{prefix}{serial:0{self.digits}d}"


# Survivorship rules (see mdm/survivorship.py); each ranks the candidate values of one
# attribute, and a later rule in a list only breaks the ties of the earlier ones.
SURVIVORSHIP_RULES = ("source_priority", "most_recent", "most_frequent", "longest", "first_non_empty")


@dataclass(frozen=True)
class Survivorship:
    """Which rules pick each attribute: `attributes[name]` or else `default`."""

    default: tuple[str, ...] = ("source_priority", "most_frequent", "most_recent")
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def rules(self, attribute: str) -> tuple[str, ...]:
        return self.attributes.get(attribute, self.default)


@dataclass(frozen=True)
class MatchingDefaults:
    """Default thresholds, as the model's match probability (the trained model turns them
    into match weights), and the weight below which a scored pair keeps two records apart.
    With `exclusive_links`, a review-band pair joins automatically when each side (a record
    and what its automatic pairs join it to) is the other's only candidate in the other's
    source system (matching.engine.exclusive_links).

    Then the limits of a run (see matching.services): a cluster of more than
    `max_cluster_size` records is never formed silently; a run whose match rate or
    auto-merge share of scored pairs moves by more than the given fraction (absolute, 0.1
    = 10 points) since the last applied run, or whose model's level weights moved by more
    than `max_parameter_drift` bits, holds its automatic merges for review. The rate and
    share checks need at least `drift_min_records` live records in both runs (on fewer,
    one merge moves them by whole points). A giant cluster yields at most
    `held_per_cluster` proposals at a time. Real-time matching scores at most
    `max_candidates` stored records per arrival (matching.realtime); a blocking key more
    records share is left out of its rule in batch runs too, once the rule would pass its
    comparisons cap (matching.engine.max_block), and the run's report says so.

    The review band is the stewards' budget: at most `proposal_share` of the golden records
    the run leaves (never fewer than `proposal_minimum`, so a small domain still has a
    queue) wait as review proposals, the strongest pairs first (held merges come on top):
    those between `review_probability` and the auto-merge threshold, then, while there is
    room, those below it down to where the calibrated probability (matching.calibration:
    the stewards' decisions so far, else the model's own) falls under
    `review_floor_probability`. Band pairs past the budget are held back (the run reports
    how many) and proposed once stewards have cleared room. The default budget, 2.5%,
    keeps the review load under 3% of the real entities, which golden records outnumber by
    the duplicates a run leaves apart."""

    model: str = ""  # the matching declaration, by name (matching.declarations); "": the domain's name
    auto_merge_probability: float = 0.99
    review_probability: float = 0.5
    conflict_below: float = -10.0
    exclusive_links: bool = True
    max_cluster_size: int = 50
    max_match_rate_change: float = 0.10
    max_auto_share_change: float = 0.15
    max_parameter_drift: float = 4.0
    drift_min_records: int = 100
    held_per_cluster: int = 50
    max_candidates: int = 300
    proposal_share: float = 0.025
    proposal_minimum: int = 20
    review_floor_probability: float = 0.05


@dataclass(frozen=True)
class Domain:
    name: str
    label: str
    attributes: dict[str, Attribute]
    golden_id: GoldenIdRule
    survivorship: Survivorship = field(default_factory=Survivorship)
    matching: MatchingDefaults = field(default_factory=MatchingDefaults)
    text: str = field(default="", repr=False, compare=False)  # the declaration as read: history keeps it

    @cached_property
    def _standardize_order(self) -> list[Attribute]:
        """Countries first: phones without a country code are read in the record's country."""
        return sorted(self.attributes.values(), key=lambda a: a.type != "country")

    def standardize(
        self, values: dict[str, Any], *, phone_region: str
    ) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """Standardize mapped source values into stored attributes and flagged issues.

        Each attribute's canonical value is stored under its name and its derived parts
        under `name__part`. Raises RowRejected when a required value is missing or a date or
        number cannot be read; other problems (an invalid tax id, say) are flagged, not fatal.
        """
        attributes: dict[str, Any] = {}
        issues: dict[str, list[str]] = {}
        values = self._name_lines(values, attributes)
        for attribute in self._standardize_order:
            name = attribute.name
            raw = values.get(name)
            if raw is None:
                if attribute.required:
                    raise RowRejected(f"missing required value for {name!r}")
                continue
            if isinstance(raw, Standardized):
                result = raw
            elif isinstance(raw, Candidates):
                result = first_valid(attribute.type, raw, phone_region=phone_region)
            elif isinstance(raw, Formatted):
                result = read_formatted(attribute.type, raw)
            else:
                result = standardize(attribute.type, raw, phone_region=phone_region)
            if attribute.type == "country" and result.value and not result.problems:
                phone_region = result.value
            if result.fatal:
                raise RowRejected(f"{name}: {'; '.join(result.problems)}")
            if result.value is None and attribute.required:
                raise RowRejected(f"missing required value for {name!r}")
            if result.value is not None:
                attributes[name] = result.value
                for part, part_value in result.parts.items():
                    if part_value is not None:
                        attributes[f"{name}__{part}"] = part_value
            if result.problems:
                issues[name] = list(result.problems)
        return attributes, issues

    def _name_lines(self, values: dict[str, Any], attributes: dict[str, Any]) -> dict[str, Any]:
        """A name over several columns (NameLines) becomes its text; its contact lines fill
        the contact attribute, and a translation into Latin script the English name, when the
        source gave none; other names are kept as the name's `aliases` part."""
        if not any(isinstance(v, NameLines) for v in values.values()):
            return values
        values = dict(values)
        for name, raw in list(values.items()):
            if not isinstance(raw, NameLines):
                continue
            roles = name_roles(raw)
            values[name] = roles.name or None
            if roles.contacts and "contact" in self.attributes and values.get("contact") is None:
                values["contact"] = "; ".join(roles.contacts)
            aliases = list(roles.aliases)
            for translation in roles.translations:
                english = f"{name}_en"
                if english in self.attributes and values.get(english) is None and not _CJK.search(translation):
                    values[english] = translation
                else:
                    aliases.append(translation)
            if aliases:
                attributes[f"{name}__aliases"] = aliases
        return values


def _load(path: Path) -> Domain:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        attributes = {}
        for name, spec in data["attributes"].items():
            if spec["type"] not in STANDARDIZERS:
                raise DeclarationError(
                    f"{path.name}: attribute {name!r} has unknown type {spec['type']!r}"
                )
            attributes[name] = Attribute(
                name=name,
                type=spec["type"],
                label=spec.get("label", name),
                required=bool(spec.get("required", False)),
                sensitive=bool(spec.get("sensitive", False)),
            )
        rule = GoldenIdRule(**data["golden_id"])
        survivorship = _survivorship(path.name, data.get("survivorship") or {}, attributes)
        matching = MatchingDefaults(**(data.get("matching") or {}))
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise DeclarationError(f"{path.name}: malformed domain declaration ({exc})") from None
    if rule.category_room < (8 if rule.category_attribute else 0):
        raise DeclarationError(f"{path.name}: golden_id prefix and digits leave no room in a "
                               f"{GOLDEN_ID_LENGTH}-character ID")
    if rule.category_attribute and rule.category_attribute not in attributes:
        raise DeclarationError(f"{path.name}: golden_id.category_attribute is not an attribute")
    if not 0 < matching.review_probability <= matching.auto_merge_probability < 1:
        raise DeclarationError(
            f"{path.name}: matching needs 0 < review_probability <= auto_merge_probability < 1"
        )
    if not 0 < matching.review_floor_probability < 1:  # above review_probability: no pair below the band
        raise DeclarationError(f"{path.name}: matching.review_floor_probability is a probability, above 0 and below 1")
    if matching.proposal_minimum < 0:
        raise DeclarationError(f"{path.name}: matching.proposal_minimum is a number of proposals, 0 or more")
    if not 0 <= matching.proposal_share <= 1:
        raise DeclarationError(f"{path.name}: matching.proposal_share is a share of golden records, 0 to 1")
    limits = ("max_cluster_size", "max_match_rate_change", "max_auto_share_change", "max_parameter_drift",
              "held_per_cluster", "max_candidates")
    wrong = [name for name in limits if not getattr(matching, name) > 0] + (
        ["drift_min_records"] if matching.drift_min_records < 0 else []
    )
    if wrong:
        raise DeclarationError(f"{path.name}: matching limits must be positive: {', '.join(wrong)}")
    if data["name"] != path.stem:
        raise DeclarationError(f"{path.name}: the domain's name {data['name']!r} must be its file name")
    return Domain(
        text=text,
        name=data["name"],
        label=data["label"],
        attributes=attributes,
        golden_id=rule,
        survivorship=survivorship,
        matching=matching,
    )


def _survivorship(where: str, data: dict[str, Any], attributes: dict[str, Attribute]) -> Survivorship:
    def rules(value: Any, what: str) -> tuple[str, ...]:
        names = (value,) if isinstance(value, str) else tuple(value)
        unknown = [n for n in names if n not in SURVIVORSHIP_RULES]
        if not names or unknown:
            raise DeclarationError(
                f"{where}: survivorship of {what}: unknown rules {unknown or names!r} "
                f"(known: {', '.join(SURVIVORSHIP_RULES)})"
            )
        return names

    unknown = set(data.get("attributes") or {}) - set(attributes)
    if unknown:
        raise DeclarationError(f"{where}: survivorship names unknown attributes {sorted(unknown)}")
    default = rules(data["default"], "the default") if "default" in data else Survivorship.default
    return Survivorship(
        default=default,
        attributes={name: rules(v, name) for name, v in (data.get("attributes") or {}).items()},
    )


def domain_dirs() -> list[Path]:
    return [DOMAIN_DIR, *settings.MDM_DOMAIN_DIRS]


@cache
def all_domains() -> dict[str, Domain]:
    """Every declared domain: the shipped ones, then those of MDM_DOMAIN_DIRS (a name
    declared twice is an error: which one wins would depend on the folder order)."""
    found: dict[str, Domain] = {}
    for folder in domain_dirs():
        for path in sorted(folder.glob("*.yaml")):
            domain = _load(path)
            if domain.name in found:
                raise DeclarationError(f"{path}: domain {domain.name!r} is declared twice")
            found[domain.name] = domain
    return found


def get_domain(name: str) -> Domain:
    try:
        return all_domains()[name]
    except KeyError:
        known = ", ".join(all_domains())
        raise UnknownDomain(f"unknown domain {name!r} (known: {known})") from None
