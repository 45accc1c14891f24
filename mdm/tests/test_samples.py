"""Every shipped profile has a sample export that loads with zero rejects."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from mdm.history import Change
from mdm.ingest.profiles import available_profiles
from mdm.ingest.run import import_file
from mdm.models import SourceRecord
from mdm.services.systems import source_system_register

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "samples"
MANIFEST = yaml.safe_load((SAMPLES / "manifest.yaml").read_text(encoding="utf-8"))["samples"]


def test_every_shipped_profile_has_a_sample():
    assert set(available_profiles()) <= {sample["profile"] for sample in MANIFEST}


@pytest.mark.parametrize("sample", MANIFEST, ids=[s["file"] for s in MANIFEST])
def test_the_sample_loads_with_zero_rejects(db, sample):
    source_system_register(code=sample["system"], name=sample["system_name"], change=Change(actor="t", reason="t"))

    run = import_file(
        path=SAMPLES / sample["file"], system_code=sample["system"], profile_name=sample["profile"]
    )

    assert (run.status, run.rejected, run.read) == ("completed", 0, sample["records"])
    assert run.inserted + run.deleted == sample["records"]
    if sample["encoding"]:
        assert run.encoding.replace("-sig", "") == sample["encoding"]
    records = SourceRecord.objects.filter(system__code=sample["system"], domain=sample["domain"])
    assert all(r.attributes.get("name") for r in records)
