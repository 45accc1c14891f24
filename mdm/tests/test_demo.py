"""The README's main job: `manage.py demo` loads, trains and matches every domain."""

import pytest
from django.core.management import call_command

from mdm.integrity import run_checks
from mdm.models import GoldenRecord, MatchRun


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_loads_trains_and_matches_every_domain_and_is_idempotent(capsys):
    call_command("demo", "--no-serve")
    first = capsys.readouterr().out
    goldens = dict(GoldenRecord.objects.values_list("golden_id", "version"))

    call_command("demo", "--no-serve")
    again = capsys.readouterr().out

    for domain in ("customer", "supplier", "product"):
        line = next(line for line in first.splitlines() if line.strip().startswith(domain) and "golden records" in line)
        assert "duplicates auto-merged" in line and "proposals waiting" in line
    assert "this run: 0 created, 0 merged, 0 split, 0 updated" in again
    assert dict(GoldenRecord.objects.values_list("golden_id", "version")) == goldens
    assert MatchRun.objects.filter(status="completed").count() == 6
    assert {name: found for name, found in run_checks().items() if found} == {}
