"""The ingest command: counts printed, errors as one line."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mdm.tests.factories import KNA1_ROWS as ROWS
from mdm.tests.factories import write_csv


def test_the_command_prints_counts_and_fails_loudly(erp, profile, tmp_path, capsys):
    path = write_csv(tmp_path / "k.csv", ROWS)
    call_command("ingest", str(path), system="erp", profile=profile, no_progress=True)
    assert "inserted 3" in capsys.readouterr().out

    with pytest.raises(CommandError, match="unknown source system 'nope'"):
        call_command("ingest", str(path), system="nope", profile=profile, no_progress=True)
