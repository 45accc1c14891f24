"""Matching's test helpers, on top of mdm/tests/factories.py: the invariants with the key
index's, the demo's trust ranks, Splink's scores and the real-time scorer's alike, a product
declaration that weighs a spec by its look-alikes, people as a B2C CRM and a web shop hold them."""

from __future__ import annotations

import dataclasses
import random

import pytest

from matching import engine
from matching.artifact import TrainedModel
from matching.declarations import DomainModel, get_declaration
from matching.integrity import CHECKS
from matching.management.commands.demo import DEMO_TRUST  # noqa: F401 - the demo systems' trust ranks
from matching.scoring import Pair, score_pair
from mdm.domains import get_domain
from mdm.tests import factories


def assert_invariants() -> None:
    """The hub's invariants, the blocking-key index's included."""
    factories.assert_invariants(CHECKS)


# three makers' capacitors that ERP names alike (no maker), and one item each system holds once
LOOK_ALIKE_CAP = {"name": "贴片电容 0805 2.2uF 10V X7R", "unit": "PCS"}
HELD_ONCE_CAP = {"name": "贴片电容 1206 3.3uF 16V X5R", "unit": "PCS"}


def assert_scored_like_splink(model: TrainedModel, rows: list[dict]) -> list[Pair]:
    """Every pair of `rows` scored by Splink (all pairs, no blocking) gets the same weight,
    levels and level weights from the real-time scorer; the pairs."""
    pairs = engine.predict(model, rows, all_pairs=True)
    assert len(pairs) == len(rows) * (len(rows) - 1) // 2
    by_id = {r["unique_id"]: r for r in rows}
    for pair in pairs:
        weight, evidence = score_pair(model, by_id[pair.left], by_id[pair.right])
        assert weight == pytest.approx(pair.weight, abs=1e-9), (pair.left, pair.right)
        assert [(e.comparison, e.level) for e in evidence] == [(e.comparison, e.level) for e in pair.evidence]
        assert [e.weight for e in evidence] == pytest.approx([e.weight for e in pair.evidence], abs=1e-9)
    return pairs


def spec_by_look_alikes() -> DomainModel:
    """The product declaration with the spec's agreeing levels adjusted by the term frequency
    of the spec (px_sig): one exact-match level and one that is not."""
    declared = get_declaration("product")
    spec, *rest = declared.comparisons
    levels = tuple(dataclasses.replace(lv, tf="px_sig") if lv.label.startswith("same value,") and not lv.conflict
                   else lv for lv in spec.levels)
    return dataclasses.replace(declared, comparisons=(dataclasses.replace(spec, levels=levels), *rest),
                               tf_columns=("px_sig",))


_GIVEN = ("olivia noah charlotte oliver amelia jack isla william mia henry ava leo grace lucas chloe thomas ella "
          "james sophie ethan zoe lachlan ruby harrison emily liam matilda cooper harper mason evie hudson").split()
_FAMILY = ("smith jones williams brown wilson taylor johnson white martin anderson thompson nguyen thomas walker "
           "harris lee ryan robinson kelly king davis wright evans roberts green hall wood jackson clarke").split()
_STREETS = "wattle banksia acacia boronia jacaranda karri marri tuart jarrah yarra".split()
_SUBURBS = [("fremantle", "6160"), ("subiaco", "6008"), ("cottesloe", "6011"), ("como", "6152"),
            ("floreat", "6014"), ("bassendean", "6054")]


def _typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(text))
    return text[:i] + rng.choice("aeiourstn") + text[i + 1:]


def _person_duplicate(person: dict[str, str], rng: random.Random) -> dict[str, str]:
    """One more record of `person` as another system, or a careless clerk, holds it."""
    twin = dict(person)
    change = rng.choice(["given typo", "family typo", "swapped", "birth typo", "day month", "id swapped",
                         "no given", "moved"])
    if change == "given typo":
        twin["given_name"] = _typo(twin["given_name"], rng)
    elif change == "family typo":
        twin["family_name"] = _typo(twin["family_name"], rng)
    elif change == "swapped":
        twin["given_name"], twin["family_name"] = twin["family_name"], twin["given_name"]
    elif change == "birth typo":
        twin["birth_date"] = twin["birth_date"][:9] + str((int(twin["birth_date"][9]) + 1) % 10)
    elif change == "day month" and int(twin["birth_date"][8:]) <= 12:
        twin["birth_date"] = f"{twin['birth_date'][:4]}-{twin['birth_date'][8:]}-{twin['birth_date'][5:7]}"
    elif change == "id swapped":
        twin["national_id"] = twin["national_id"][:3] + twin["national_id"][4] + twin["national_id"][3] + \
            twin["national_id"][5:]
    elif change == "no given":
        twin["given_name"] = None
    else:
        twin["address"] = f"{rng.randint(1, 200)} {rng.choice(_STREETS)} street"
        twin["city"], twin["postcode"] = rng.choice(_SUBURBS)
    return twin


def people(count: int, *, seed: int = 1) -> tuple[list[dict], dict[str, int]]:
    """Standardized customer rows of `count` people held by two systems (a CRM, a web shop),
    about a third of them in both with one difference (a typo, swapped names, a day and
    month swapped, a move, ...), and the person each row is (unique id → person)."""
    rng = random.Random(seed)
    domain = get_domain("customer")
    rows, truth = [], {}
    for n in range(count):
        street, (city, postcode) = rng.choice(_STREETS), rng.choice(_SUBURBS)
        person = {"given_name": rng.choice(_GIVEN), "family_name": rng.choice(_FAMILY),
                  "birth_date": f"{rng.randint(1930, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                  "national_id": str(rng.randrange(10**8, 10**9)), "address": f"{rng.randint(1, 200)} {street} street",
                  "city": city, "postcode": postcode, "country": "AU"}
        records = [("crm", person)] + ([("shop", _person_duplicate(person, rng))] if rng.random() < 0.35 else [])
        for system, record in records:
            name = " ".join(filter(None, (record["given_name"], record["family_name"])))
            attributes, _ = domain.standardize({**record, "name": name}, phone_region="AU")
            uid = f"{system}:{n}"
            rows.append({"unique_id": uid, "source_system": system, **attributes})
            truth[uid] = n
    rng.shuffle(rows)
    return rows, truth
