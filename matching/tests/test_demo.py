"""The README's main job: `manage.py demo` loads, trains and matches every domain."""

import csv
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from matching.integrity import run_checks
from mdm.models import GoldenRecord, MatchRun, MergeProposal, SourceRecord

GROUND_TRUTH = Path(settings.BASE_DIR) / "fixtures" / "samples" / "ground_truth.csv"
# Measured on the demo at the default thresholds (docs/benchmarks.md, "Matching quality"):
# the floors guard against regressions; they are below the targets where those
# are not met yet (product pairs missing a material or brand on one side wait in review).
# precision, F1. Product: the demo gives 0.986 / 0.986 run alone on either database, but
# one full PostgreSQL suite gave 0.977 precision: there the records had other keys (the
# sequences had moved on), and training followed the keys then (it no longer does:
# test_engine, test_it_trains_the_same_model_whatever_ids_the_records_have).
QUALITY_FLOOR = {"customer": (0.99, 0.96), "supplier": (0.99, 0.98), "product": (0.97, 0.95)}


def _pairs(groups):
    return {pair for members in groups.values() for pair in combinations(sorted(members), 2)}


def demo_quality():
    """Pairwise precision, recall and F1 of the golden records against the ground truth."""
    truth = {}
    with GROUND_TRUTH.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth[(row["system"], row["profile"], row["source_key"])] = row["entity_id"]
    out = {}
    for domain in QUALITY_FLOOR:
        entities, goldens = defaultdict(set), defaultdict(set)
        records = SourceRecord.objects.filter(domain=domain, is_deleted=False)
        fields = ("pk", "system__code", "profile", "source_key", "golden_id")
        for pk, system, profile, key, golden in records.values_list(*fields):
            entities[truth[(system, profile, key)]].add(pk)
            goldens[golden].add(pk)
        expected, found = _pairs(entities), _pairs(goldens)
        precision = len(found & expected) / len(found) if found else 1.0
        recall = len(found & expected) / len(expected)
        out[domain] = (precision, recall, 2 * precision * recall / (precision + recall))
    return out


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_loads_trains_and_matches_every_domain_and_is_idempotent(capsys):
    call_command("demo", "--no-serve")
    first = capsys.readouterr().out
    goldens = dict(GoldenRecord.objects.values_list("golden_id", "version"))
    quality = demo_quality()
    for domain, (precision, f1) in QUALITY_FLOOR.items():
        assert quality[domain][0] >= precision and quality[domain][2] >= f1, (domain, quality[domain])
    for run in MatchRun.objects.filter(status="completed"):  # proposals only in the review band, down to its floor
        pending = MergeProposal.objects.filter(run=run, kind=MergeProposal.Kind.REVIEW)
        assert all(run.report["band"]["floor"] <= p.weight < run.thresholds["upper"] for p in pending)
        below = sum(1 for p in pending if p.weight < run.thresholds["lower"])
        assert below <= run.counts["proposals_below_band"]

    call_command("demo", "--no-serve")
    again = capsys.readouterr().out

    for domain in ("customer", "supplier", "product"):
        line = next(line for line in first.splitlines() if line.strip().startswith(domain) and "golden records" in line)
        assert "duplicates auto-merged" in line and "proposals waiting" in line
    shared = first.split("sharing a golden record with another system's:")[1].splitlines()
    for domain, code in [(d, c) for c in ("k3c", "u8") for d in ("customer", "supplier", "product")] + [
        ("customer", "jdy"), ("supplier", "jdy")
    ]:  # the Kingdee and Yonyou samples match into the other systems' golden records
        counts = next(line.split()[2:5] for line in shared if line.split()[:2] == [domain, code])
        assert int(counts[0]) >= 0.9 * int(counts[2]), (domain, code, counts)
    assert "this run: 0 created, 0 merged, 0 split, 0 updated" in again
    assert dict(GoldenRecord.objects.values_list("golden_id", "version")) == goldens
    assert MatchRun.objects.filter(status="completed").count() == 6
    assert {name: found for name, found in run_checks().items() if found} == {}
