"""Survivorship: which member's value becomes each golden attribute, and where it came from.

Pure functions over plain values (no ORM), so a match run computes the golden records of
100,000 clusters from the rows it already holds. The rules are declared per domain and
attribute (`survivorship:` in mdm/domains/<domain>.yaml):

    source_priority  lowest trust rank of the member's source system for the attribute
                     (SourceSystem.trust: {"customer": {"tax_id": 1, "*": 5}}; unranked 100)
    most_recent      latest `changed_at` (the source's own change date), then latest received
    most_frequent    the value most members hold
    longest          the most complete value (longest text)
    first_non_empty  the member the hub received first

Each rule ranks the members that hold a value; a later rule in the list only breaks the
ties of the earlier ones; the last tie-break is (system code, source key), so the result
never depends on row order. A steward override wins over every rule until it is cleared.
The winner's derived parts (`name__core`, ...) come with its value.

Lineage, per attribute: {"record": source record id, "system": code, "key": source key,
"field": the source field(s) the profile read it from}, or for an override
{"override": true, "by": actor, "at": time, "reason": ...}.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from mdm.domains import Domain
from mdm.errors import MdmError
from mdm.ingest.profiles import get_profile

UNRANKED = 100


@dataclass(frozen=True, slots=True)
class Member:
    """What survivorship needs of one live source record."""

    id: int
    system: str
    key: str
    profile: str
    attributes: Mapping[str, Any]
    received_at: datetime
    updated_at: datetime


Trust = Mapping[str, Mapping[str, Any]]  # system code -> SourceSystem.trust


def trust_rank(trust: Trust, system: str, domain: str, attribute: str) -> int:
    ranks = (trust.get(system) or {}).get(domain) or {}
    return int(ranks.get(attribute, ranks.get("*", UNRANKED)))


def value_key(value: Any) -> str:
    """A hashable, order-independent form of a JSON value: a string is its own key (a
    string and another value with the same JSON text count as one value)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _text_length(value: Any) -> int:
    return len(value_key(value))


# Each rule: (attribute, candidates, context) -> one sort key per candidate, lower wins.
RuleFn = Callable[[str, Sequence[Member], "_Context"], list[Any]]


@dataclass(frozen=True)
class _Context:
    domain: str
    trust: Trust


def _source_priority(name: str, candidates: Sequence[Member], ctx: _Context) -> list[Any]:
    return [trust_rank(ctx.trust, m.system, ctx.domain, name) for m in candidates]


def _most_recent(name: str, candidates: Sequence[Member], ctx: _Context) -> list[Any]:
    stamps = [(str(m.attributes.get("changed_at") or ""), m.updated_at) for m in candidates]
    order = {stamp: i for i, stamp in enumerate(sorted(set(stamps), reverse=True))}
    return [order[stamp] for stamp in stamps]


def _most_frequent(name: str, candidates: Sequence[Member], ctx: _Context) -> list[Any]:
    keys = [value_key(m.attributes[name]) for m in candidates]
    counts = Counter(keys)
    return [-counts[k] for k in keys]


def _longest(name: str, candidates: Sequence[Member], ctx: _Context) -> list[Any]:
    return [-_text_length(m.attributes[name]) for m in candidates]


def _first_non_empty(name: str, candidates: Sequence[Member], ctx: _Context) -> list[Any]:
    return [(m.received_at, m.id) for m in candidates]


RULES: dict[str, RuleFn] = {
    "source_priority": _source_priority,
    "most_recent": _most_recent,
    "most_frequent": _most_frequent,
    "longest": _longest,
    "first_non_empty": _first_non_empty,
}


@lru_cache(maxsize=256)
def profile_fields(profile_name: str) -> dict[str, str]:
    """attribute -> the source field(s) a profile reads it from ("NAME1 + NAME2", "STCD5 or STCD1")."""
    try:
        profile = get_profile(profile_name)
    except MdmError:  # a profile file that is gone: the attribute name is all we know
        return {}
    return {name: fm.source for name, fm in profile.fields.items()}


def survive(
    domain: Domain,
    members: Sequence[Member],
    *,
    trust: Trust,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The golden attributes and their lineage for a set of live members."""
    ctx = _Context(domain=domain.name, trust=trust)
    overrides = overrides or {}
    parts: dict[int, dict[str, list[tuple[str, Any]]]] = {}  # member -> attribute -> its parts ("name__part")
    attributes: dict[str, Any] = {}
    lineage: dict[str, Any] = {}
    for name in domain.attributes:
        override = overrides.get(name)
        if override is not None:
            attributes[name] = override["value"]
            for part, value in (override.get("parts") or {}).items():
                attributes[f"{name}__{part}"] = value
            lineage[name] = {
                "override": True,
                "by": override.get("by", ""),
                "at": override.get("at", ""),
                "reason": override.get("reason", ""),
            }
            continue
        candidates = [m for m in members if not _empty(m.attributes.get(name))]
        if not candidates:
            continue
        winner = _winner(name, candidates, domain.survivorship.rules(name), ctx)
        attributes[name] = winner.attributes[name]
        if winner.id not in parts:
            parts[winner.id] = defaultdict(list)
            for key, value in winner.attributes.items():
                base, separator, _ = key.partition("__")
                if separator:
                    parts[winner.id][base].append((key, value))
        attributes.update(parts[winner.id].get(name, ()))
        lineage[name] = {
            "record": winner.id,
            "system": winner.system,
            "key": winner.key,
            "field": profile_fields(winner.profile).get(name, name),
        }
    return attributes, lineage


def _winner(name: str, candidates: Sequence[Member], rules: Sequence[str], ctx: _Context) -> Member:
    if len(candidates) == 1:
        return candidates[0]
    columns = [RULES[rule](name, candidates, ctx) for rule in rules]
    ranked = sorted(
        range(len(candidates)),
        key=lambda i: (*(column[i] for column in columns), candidates[i].system, candidates[i].key),
    )
    return candidates[ranked[0]]
