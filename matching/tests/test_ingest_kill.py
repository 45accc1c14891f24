"""A file killed midway (SIGKILL), while storing rows or while matching them in real time, and
re-run ends in exactly the state of an uninterrupted run."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from fixtures.datasets import SAMPLES
from matching.training import match_model_store
from mdm.models import ChangeEvent, GoldenRecord, ImportRun, MatchKey, MergeProposal, PairConstraint, SourceRecord
from mdm.services.systems import source_system_register
from mdm.tests.factories import MANIFEST, assert_invariants

ROOT = Path(settings.BASE_DIR)
PROFILE = """
domain: customer
key: id
fields:
  name: name
  city: city
  phone: phone
"""
ROWS = 12_000


def write_file(path: Path, version: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "city", "phone"])
        for i in range(ROWS):
            # In version 2 every third row changes.
            city = "上海" if version == 2 and i % 3 == 0 else "北京"
            writer.writerow([f"C{i:06d}", f"测试{i}贸易有限公司", city, f"1380013{i % 10000:04d}"])
    return path


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def ingest(path: Path, profile: Path, system: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "MDM_INGEST_BATCH_SIZE": "500",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "ingest", str(path), "--system", system,
         "--profile", str(profile), "--no-progress"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def finish(proc: subprocess.Popen) -> None:
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out.decode()


def kill_midway(proc: subprocess.Popen, progressed) -> None:
    deadline = time.monotonic() + 120
    while not progressed():
        assert proc.poll() is None, "the import finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def state(system: str):
    """Every record's content, version and number of history rows, and every event."""
    versions = dict(
        SourceRecord.history.filter(system__code=system)
        .values("id").annotate(n=Count("history_id")).values_list("id", "n")
    )
    rows = sorted(
        (key, digest, version, deleted, versions[pk])
        for pk, key, digest, version, deleted in SourceRecord.objects.filter(
            system__code=system
        ).values_list("id", "source_key", "content_hash", "version", "is_deleted")
    )
    events = sorted(
        ChangeEvent.objects.filter(system_code=system).values_list(
            "kind", "source_key", "record_version"
        )
    )
    return rows, events


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_import_rerun_ends_as_an_uninterrupted_one(tmp_path, change):
    for code in ("killed", "reference"):
        source_system_register(code=code, name=code, change=change)
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE)
    v1, v2 = write_file(tmp_path / "v1.csv", 1), write_file(tmp_path / "v2.csv", 2)

    # Killed while inserting, then re-run.
    proc = ingest(v1, profile, "killed")
    kill_midway(proc, lambda: SourceRecord.objects.filter(system__code="killed").count() >= 1500)
    assert SourceRecord.objects.filter(system__code="killed").count() < ROWS
    finish(ingest(v1, profile, "killed"))
    finish(ingest(v1, profile, "reference"))
    assert state("killed") == state("reference")

    # Killed while versioning changed rows, then re-run.
    proc = ingest(v2, profile, "killed")
    kill_midway(
        proc, lambda: SourceRecord.objects.filter(system__code="killed", version=2).count() >= 500
    )
    assert SourceRecord.objects.filter(system__code="killed", version=2).count() < ROWS // 3
    finish(ingest(v2, profile, "killed"))
    finish(ingest(v2, profile, "reference"))

    killed, reference = state("killed"), state("reference")
    assert killed == reference
    assert len(killed[0]) == ROWS
    assert sum(1 for row in killed[0] if row[2] == 2 and row[4] == 2) == ROWS // 3


def partition(domain: str) -> set[frozenset[str]]:
    """The live records of a domain grouped by golden record, by system and key."""
    groups: dict[int, set[str]] = {}
    for golden, code, key in SourceRecord.objects.filter(domain=domain, is_deleted=False).values_list(
        "golden_id", "system__code", "source_key"
    ):
        assert golden is not None, f"{code}:{key} was left unmatched"
        groups.setdefault(golden, set()).add(f"{code}:{key}")
    return {frozenset(g) for g in groups.values()}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_kill_in_the_real_time_phase_is_finished_by_the_rerun(tmp_path, change, trained):
    match_model_store(domain="customer", trained=trained("customer"), change=change)
    sample = next(s for s in MANIFEST if s["profile"] == "fxiaoke_account")
    source_system_register(code=sample["system"], name=sample["system_name"], change=change)
    path = SAMPLES / sample["file"]
    live = SourceRecord.objects.filter(domain="customer", is_deleted=False)

    proc = ingest(path, sample["profile"], sample["system"])
    kill_midway(proc, lambda: live.filter(golden__isnull=False).count() >= 10)
    matched = live.filter(golden__isnull=False).count()
    assert 10 <= matched < live.count()  # killed while matching, after the rows were stored
    finish(ingest(path, sample["profile"], sample["system"]))  # every row unchanged: nothing new to store
    killed = partition("customer")
    assert_invariants()

    # The same file, loaded and matched without a kill, from the same start (emptied as a
    # fresh database is: raw deletes, not through a service, which would record them)
    for model in (MergeProposal, PairConstraint, MatchKey, SourceRecord, GoldenRecord, ImportRun):
        model.objects.all()._raw_delete(connection.alias)
    finish(ingest(path, sample["profile"], sample["system"]))
    assert killed == partition("customer")
