"""Every shipped profile reads its sample and a differently laid out twin of it (another column
order, optional columns left out, the other delimiter, Excel for SAP with number keys and date
cells, the tax id in another STCD field) with no reject, and both give the same attributes."""

import pytest
import yaml

from fixtures.datasets import SAMPLES
from mdm.history import Change
from mdm.models import SourceRecord
from mdm.services.systems import source_system_register
from mdm.tests.factories import load

LAYOUTS_DIR = SAMPLES / "layouts"
LAYOUTS = yaml.safe_load((LAYOUTS_DIR / "manifest.yaml").read_text(encoding="utf-8"))["layouts"]
SAMPLE_ENCODING = {
    s["file"]: s["encoding"] for s in yaml.safe_load((SAMPLES / "manifest.yaml").read_text(encoding="utf-8"))["samples"]
}
pytestmark = pytest.mark.django_db


def _attributes(system: str) -> dict[str, dict]:
    rows = SourceRecord.objects.filter(system__code=system)
    return dict(rows.values_list("source_key", "attributes"))


def _register(*codes: str) -> None:
    for code in codes:
        source_system_register(code=code, name=code, trust={}, change=Change(actor="test", reason="setup"))


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout["file"] for layout in LAYOUTS])
def test_a_second_layout_loads_with_no_reject_and_gives_the_samples_values(layout):
    _register("first", "second")
    first = load(SAMPLES / layout["sample"], layout["profile"], "first", encoding=SAMPLE_ENCODING[layout["sample"]])
    second = load(LAYOUTS_DIR / layout["file"], layout["profile"], "second")

    assert (first.status, first.rejected) == ("completed", 0), first.error
    assert (second.status, second.rejected, second.read) == ("completed", 0, layout["records"]), second.error
    sample, twin = _attributes("first"), _attributes("second")
    assert set(twin) == set(sample)  # the same keys: zero-padded again where a sheet dropped the zeros
    missing = set(layout["missing"])
    for key, attributes in sample.items():
        kept = {n: v for n, v in attributes.items() if n.partition("__")[0] not in missing}
        assert twin[key] == kept, key
    assert any(missing & set(a) for a in sample.values()) or not missing  # what was left out had values


def test_the_layouts_cover_every_kind_of_difference_the_profiles_must_absorb():
    formats = {(layout["profile"], layout["file"].rsplit(".", 1)[1]) for layout in LAYOUTS}
    assert ("sap_kna1", "xlsx") in formats
    assert {layout["profile"] for layout in LAYOUTS} >= {
        "sap_kna1", "sap_lfa1", "sap_mara", "sap_a_businesspartner", "oracle_accounts", "oracle_suppliers",
        "jiandaoyun_customer", "fxiaoke_account", "xiaoshouyi_account",
    }
