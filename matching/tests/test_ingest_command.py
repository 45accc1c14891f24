"""The ingest command: counts printed, errors as one line."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mdm.models import SourceRecord
from mdm.tests.factories import KNA1_ROWS as ROWS
from mdm.tests.factories import write_csv


def test_the_command_prints_counts_and_fails_loudly(erp, profile, tmp_path, capsys):
    path = write_csv(tmp_path / "k.csv", ROWS)
    call_command("ingest", str(path), system="erp", profile=profile, no_progress=True)
    assert "inserted 3" in capsys.readouterr().out

    with pytest.raises(CommandError, match="unknown source system 'nope'"):
        call_command("ingest", str(path), system="nope", profile=profile, no_progress=True)


def _fails(*args, **options) -> str:
    """The command's error: one line, no traceback."""
    with pytest.raises(CommandError) as error:
        call_command(*args, **options)
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_file_that_does_not_fit_the_profile_fails_with_one_line(erp, profile, tmp_path):
    path = write_csv(tmp_path / "lfa1.csv", [["1", "Vendor Ltd"]], header=["LIFNR", "NAME1"])
    message = _fails("ingest", str(path), system="erp", profile=profile, no_progress=True)
    assert "failed after 0 rows" in message and "has no column KUNNR" in message and "LIFNR, NAME1" in message


def test_a_run_that_rejects_every_row_exits_non_zero(erp, profile, tmp_path):
    rows = [[*row[:6], "not a date", ""] for row in ROWS]
    message = _fails("ingest", str(write_csv(tmp_path / "k.csv", rows)), system="erp", profile=profile,
                     no_progress=True)
    assert "every one of the 3 rows was rejected" in message and "report:" in message


def test_a_refused_snapshot_exits_non_zero_and_says_how_to_confirm(erp, profile, tmp_path, capsys):
    call_command("ingest", str(write_csv(tmp_path / "a.csv", ROWS)), system="erp", profile=profile, no_progress=True)
    one = write_csv(tmp_path / "b.csv", ROWS[:1])
    message = _fails("ingest", str(one), system="erp", profile=profile, snapshot=True, no_progress=True)
    assert "nothing deleted: it would delete 2 of the 3 live records of erp" in message
    assert "--confirm-deletions" in message

    call_command("ingest", str(one), system="erp", profile=profile, no_progress=True, snapshot=True, dry_run=True,
                 confirm_deletions=True)
    out = capsys.readouterr().out
    assert "dry run, nothing written" in out and "would deleted 2" not in out
    assert "snapshot would delete 2 record(s): 0000100002, 0000100003" in out


def test_the_report_and_the_summary_list_data_quality_flags(erp, profile, tmp_path, capsys):
    rows = [[*ROWS[0][:5], "914403001922038211", *ROWS[0][6:]]]  # a wrong check character
    call_command("ingest", str(write_csv(tmp_path / "k.csv", rows)), "--report", str(tmp_path / "report.csv"),
                 system="erp", profile=profile, no_progress=True)
    out = capsys.readouterr().out
    assert "data-quality flags (stored, listed in the report): tax_id: invalid unified social credit code" in out
    assert f"report: {tmp_path / 'report.csv'}" in out


def test_a_bad_system_code_is_one_line(db):
    message = _fails("register_system", "Bad Code!", name="x")
    assert "source system 'Bad Code!' not registered: code:" in message


def test_match_warns_when_records_were_standardized_by_older_code(erp, profile, tmp_path, settings, capsys):
    settings.MDM_PROFILE_DIRS = [Path(profile).parent]
    call_command("ingest", str(write_csv(tmp_path / "k.csv", ROWS)), system="erp", profile="test_customers",
                 no_progress=True)
    with pytest.raises(CommandError):  # no trained model: the run itself stops there
        call_command("match", "customer", "--no-progress")
    assert "older code" not in capsys.readouterr().err

    SourceRecord.objects.update(standardized_by="")  # as records stored before fingerprints were kept
    with pytest.raises(CommandError):
        call_command("match", "customer", "--no-progress")
    assert "3 customer record(s) were standardized by older code" in capsys.readouterr().err
