import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mdm.integrity import run_checks
from mdm.models import SourceRecord
from mdm.tests.factories import KNA1_PROFILE as PROFILE
from mdm.tests.factories import KNA1_ROWS as ROWS
from mdm.tests.factories import load, tamper, write_csv


@pytest.fixture
def loaded(erp, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE)
    load(write_csv(tmp_path / "a.csv", ROWS), str(profile))
    changed = [row[:] for row in ROWS]
    changed[0][3] = "广州"
    load(write_csv(tmp_path / "b.csv", changed), str(profile))


def test_a_hub_written_through_the_services_passes_every_check(loaded, capsys):
    assert run_checks() == {name: [] for name in run_checks()}
    call_command("check_integrity")
    assert "FAIL" not in capsys.readouterr().out


def test_a_version_without_its_history_row_is_reported(loaded):
    record = SourceRecord.objects.get(source_key="0000100002")
    # tampering that bypasses the services (and, on PostgreSQL, the feed's append-only trigger)
    tamper("UPDATE mdm_sourcerecord SET version = 5 WHERE id = %s", [record.pk])
    tamper("DELETE FROM mdm_changeevent WHERE sequence = 2")

    problems = run_checks()

    assert problems["history_matches_versions"] == [
        f"source record {record.pk} (0000100002) is at version 5 but has 1 history rows"
    ]
    assert "gaps" in problems["feed_is_contiguous"][0]
    with pytest.raises(CommandError, match="2 invariant"):
        call_command("check_integrity")
