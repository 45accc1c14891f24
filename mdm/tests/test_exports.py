"""File exports: golden records, cross-reference, proposals and change feed as CSV, XLSX and
Parquet, incremental from a feed position, formula-safe; and per ERP the round trip: its
sample ingested, two of its customers merged by a steward, its cross-reference exported in
its import template from the last position names the survivor for both keys and nothing else."""

from __future__ import annotations

import csv
import json
import stat

import openpyxl
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mdm.exports import formula_like
from mdm.exports.files import export_write
from mdm.history import Change
from mdm.models import GoldenRecord, SourceRecord
from mdm.selectors import feed_position
from mdm.services.decisions import golden_records_merge_manually
from mdm.services.golden_records import golden_record_create
from mdm.tests.factories import MANIFEST, SAMPLES, load, system, upsert

pytestmark = pytest.mark.django_db
STEWARD = Change(actor="steward:li", reason="same company")
FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\tTAB", "\rCR",
            "＝１＋１", "＠ＳＵＭ", "－１", "＋１"]


def _one_golden_each(domain: str, code: str) -> dict[str, GoldenRecord]:
    change = Change(actor="test", reason="one golden record per record")
    live = SourceRecord.objects.filter(domain=domain, system__code=code, is_deleted=False).order_by("source_key")
    return {r.source_key: golden_record_create(domain=domain, members=[r.pk], change=change) for r in live}


def _csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _read(path, fmt: str) -> list[dict]:
    if fmt == "csv":
        return _csv(path)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        header, *rows = list(sheet.iter_rows(values_only=True))
        return [dict(zip(header, (*row, *[None] * (len(header) - len(row))), strict=True)) for row in rows]
    return pq.read_table(path).to_pylist()


# --- the round trip, per ERP ----------------------------------------------------------------

ERPS = [("sap_kna1", "KUNNR", "ZZGOLDENID", "ZZGOLDENOLD"),
        ("kingdee_customer", "FNumber", "F_MDM_GOLDENID", "retired_golden_ids"),
        ("xingchen_customer", "number", "golden_id", "retired_golden_ids"),
        ("u8_customer", "cCusCode", "cCusDefine1", "retired_golden_ids")]


@pytest.mark.parametrize("profile, key_column, golden_column, retired_column", ERPS, ids=[e[0] for e in ERPS])
def test_it_round_trips_an_erp_merge_into_its_import_template(tmp_path, profile, key_column, golden_column,
                                                               retired_column):
    sample = next(s for s in MANIFEST if s["profile"] == profile)
    system(sample["system"])
    run = load(SAMPLES / sample["file"], profile, sample["system"], encoding=sample["encoding"])
    assert (run.status, run.rejected) == ("completed", 0)
    goldens = _one_golden_each("customer", sample["system"])
    first, second = sorted(goldens)[:2]
    position = feed_position()

    survivor = golden_records_merge_manually(
        golden_records=[goldens[first], goldens[second]], reason="same company", change=STEWARD
    )
    result = export_write(kind="xref", domain="customer", fmt="csv", path=tmp_path / "xref.csv", after=position,
                          system=sample["system"], profile=profile)

    rows = _csv(tmp_path / "xref.csv")
    retired = ({goldens[first].golden_id, goldens[second].golden_id} - {survivor.golden_id}).pop()
    assert {r[key_column]: r[golden_column] for r in rows} == {first: survivor.golden_id, second: survivor.golden_id}
    assert {r[retired_column] for r in rows} == {retired}
    assert result.rows == 2 and result.position == feed_position()
    assert rows[0]["name" if profile == "xingchen_customer" else list(rows[0])[3]]  # the golden values follow
    nothing = export_write(kind="xref", domain="customer", fmt="csv", path=tmp_path / "again.csv",
                           after=result.position, system=sample["system"], profile=profile)
    assert nothing.rows == 0


def test_the_template_writes_golden_values_back_in_the_systems_own_terms(tmp_path):
    system("k3c")
    load(SAMPLES / "kingdee_customer.json", "kingdee_customer", "k3c")
    goldens = _one_golden_each("customer", "k3c")

    export_write(kind="xref", domain="customer", fmt="csv", path=tmp_path / "all.csv", system="k3c",
                 profile="kingdee_customer")

    rows = {r["FNumber"]: r for r in _csv(tmp_path / "all.csv")}
    assert set(rows) == set(goldens)  # every live record, none of the forbidden ones
    assert list(next(iter(rows.values())))[:3] == ["FNumber", "F_MDM_GOLDENID", "retired_golden_ids"]
    record = SourceRecord.objects.get(system__code="k3c", source_key="CUST00002")
    assert rows["CUST00002"]["FCOUNTRY.FDataValue"] == record.raw["FCOUNTRY.FDataValue"] == "中国"  # CN read back
    assert rows["CUST00002"]["FName"] == goldens["CUST00002"].attributes["name"]


# --- the generic exports --------------------------------------------------------------------


@pytest.fixture
def merged():
    """Two systems' records, one golden record each, then a merge; the position before it."""
    crm, erp = system("crm"), system("erp")
    records = {
        **upsert(crm, "customer", {"C1": {"name": "华为技术有限公司", "phone": "0755-28780808"},
                                   "C2": {"name": FORMULAS[0]}}),
        **upsert(erp, "customer", {"E1": {"name": "华为技术有限公司", "tax_id": "914403001922038216"}}),
    }
    change = Change(actor="test", reason="setup")
    goldens = {key: golden_record_create(domain="customer", members=[r.pk], change=change)
               for key, r in records.items()}
    position = feed_position()
    survivor = golden_records_merge_manually(golden_records=[goldens["C1"], goldens["E1"]], reason="same",
                                             change=STEWARD)
    return position, goldens, survivor


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_it_exports_the_cross_reference_whole_and_after_a_position_in_every_format(tmp_path, merged, fmt):
    position, goldens, survivor = merged
    retired = goldens["E1"].golden_id if survivor.golden_id == goldens["C1"].golden_id else goldens["C1"].golden_id

    whole = export_write(kind="xref", domain="customer", fmt=fmt, path=tmp_path / f"whole.{fmt}")
    since = export_write(kind="xref", domain="customer", fmt=fmt, path=tmp_path / f"since.{fmt}", after=position)

    rows = _read(tmp_path / f"whole.{fmt}", fmt)
    assert [(r["system"], r["source_key"]) for r in rows] == [("crm", "C1"), ("crm", "C2"), ("erp", "E1")]
    assert whole.rows == 3 and since.rows == 2
    changed = {r["source_key"]: r for r in _read(tmp_path / f"since.{fmt}", fmt)}
    assert {k: r["golden_id"] for k, r in changed.items()} == {"C1": survivor.golden_id, "E1": survivor.golden_id}
    assert {r["retired_golden_ids"] for r in changed.values()} == {retired}
    assert stat.S_IMODE((tmp_path / f"since.{fmt}").stat().st_mode) == 0o600


def test_it_exports_golden_records_and_the_retired_ones_resolving_to_their_survivor(tmp_path, merged):
    position, goldens, survivor = merged
    retired = next(g for g in (goldens["C1"], goldens["E1"]) if g.golden_id != survivor.golden_id)

    export_write(kind="golden", domain="customer", fmt="csv", path=tmp_path / "all.csv")
    export_write(kind="golden", domain="customer", fmt="csv", path=tmp_path / "since.csv", after=position)

    assert {r["golden_id"] for r in _csv(tmp_path / "all.csv")} == {survivor.golden_id, goldens["C2"].golden_id}
    since = {r["golden_id"]: r for r in _csv(tmp_path / "since.csv")}
    assert set(since) == {survivor.golden_id, retired.golden_id}
    assert (since[retired.golden_id]["status"], since[retired.golden_id]["resolves_to"]) == (
        "retired", survivor.golden_id)
    assert since[survivor.golden_id]["tax_id"] == "914403001922038216"


def test_it_exports_the_change_feed_after_a_position_in_order(tmp_path, merged):
    position, _, survivor = merged

    result = export_write(kind="changes", domain="customer", fmt="parquet", path=tmp_path / "c.parquet",
                          after=position)

    rows = _read(tmp_path / "c.parquet", "parquet")
    sequences = [int(r["sequence"]) for r in rows]
    assert sequences == sorted(sequences) and sequences[0] > position and sequences[-1] == result.position
    assert "golden.merged" in {r["kind"] for r in rows}
    assert json.loads(next(r for r in rows if r["kind"] == "golden.merged")["payload"])["retired"]


def test_it_exports_proposals_whole(tmp_path, merged):
    result = export_write(kind="proposals", domain="customer", fmt="xlsx", path=tmp_path / "p.xlsx")

    assert result.rows == 0 and result.columns[:3] == ["id", "status", "kind"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_cell_a_spreadsheet_could_run_leaves_the_hub(tmp_path, fmt):
    crm = system("crm")
    records = upsert(crm, "customer", {key: {"name": key} for key in FORMULAS})  # keys are kept as sent
    change = Change(actor="test", reason="setup")
    for record in records.values():
        golden_record_create(domain="customer", members=[record.pk], change=change)

    export_write(kind="xref", domain="customer", fmt=fmt, path=tmp_path / f"x.{fmt}")
    export_write(kind="golden", domain="customer", fmt=fmt, path=tmp_path / f"g.{fmt}")

    keys = [r["source_key"] for r in _read(tmp_path / f"x.{fmt}", fmt)]
    sent = [key.replace("\r", "\n") if fmt == "xlsx" else key for key in FORMULAS]  # XML reads CR as LF
    assert sorted(keys) == sorted(f"'{key}" for key in sent)  # = + - @ tab CR and full-width forms
    exported = {r["golden_id"]: r["name"] for r in _read(tmp_path / f"g.{fmt}", fmt)}
    stored = {g.golden_id: g.attributes["name"] for g in GoldenRecord.objects.all()}
    assert exported == {g: f"'{name}" if formula_like(name) else name for g, name in stored.items()}
    if fmt == "xlsx":
        for name in ("x", "g"):
            sheet = openpyxl.load_workbook(tmp_path / f"{name}.xlsx").worksheets[0]
            assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_parquet_keeps_the_values_as_stored_for_programs(tmp_path, merged):
    export_write(kind="xref", domain="customer", fmt="parquet", path=tmp_path / "x.parquet")
    export_write(kind="golden", domain="customer", fmt="parquet", path=tmp_path / "g.parquet")

    assert FORMULAS[0] in {r["name"] for r in _read(tmp_path / "g.parquet", "parquet")}


def test_the_command_writes_the_file_and_prints_the_next_position(tmp_path, merged, capsys):
    call_command("export", "xref", "--domain", "customer", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"))

    out = capsys.readouterr().out
    assert f"3 row(s) of xref (customer); feed position {feed_position()}: next time pass --after" in out
    assert len(_read(tmp_path / "x.xlsx", "xlsx")) == 3


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["golden", "--domain", "vendor"], "unknown domain 'vendor' (known: customer, product, supplier)"),
        (["golden", "--domain", "customer", "--format", "json"], "unknown format 'json' (one of: csv, xlsx, parquet)"),
        (["members", "--domain", "customer"], "unknown export 'members' (one of: golden, xref, proposals, changes)"),
        (["proposals", "--domain", "customer", "--after", "0"], "proposals are not in the change feed"),
        (["xref", "--domain", "customer", "--after", "999999"], "--after 999999 is past the feed's last position"),
        (["xref", "--domain", "customer", "--profile", "u8_customer"], "give --system"),
        (["xref", "--domain", "supplier", "--system", "crm", "--profile", "u8_customer"],
         "profile 'u8_customer' feeds domain 'customer', not 'supplier'"),
        (["golden", "--domain", "customer", "--system", "crm", "--profile", "u8_customer"],
         "--profile gives the import template of the cross-reference"),
        (["xref", "--domain", "customer", "--system", "nope"], "nope"),
        (["xref", "--domain", "customer", "--system", "crm", "--profile", "nope"], "unknown profile 'nope'"),
    ],
)
def test_a_bad_request_is_refused_with_a_clear_error_and_writes_nothing(tmp_path, arguments, message):
    system("crm")
    out = tmp_path / "out.csv"

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("export", *arguments, "--out", str(out))
    assert not out.exists()


def test_sap_gets_its_region_keys_industry_keys_and_dates_back(tmp_path):
    system("erp")
    load(SAMPLES / "sap_kna1.csv", "sap_kna1")
    goldens = _one_golden_each("customer", "erp")

    export_write(kind="xref", domain="customer", fmt="csv", path=tmp_path / "kna1.csv", system="erp",
                 profile="sap_kna1")

    rows = _csv(tmp_path / "kna1.csv")
    assert len(rows) == len(goldens)
    raw = {r.source_key: r.raw for r in SourceRecord.objects.filter(system__code="erp", is_deleted=False)}
    for row in rows:  # one record per golden record: its own values come back as the ERP wrote them
        sent = raw[row["KUNNR"]]
        assert (row["REGIO"], row["BRSCH"], row["ERDAT"], row["LAND1"]) == (
            sent["REGIO"], sent["BRSCH"], sent["ERDAT"], sent["LAND1"]), row["KUNNR"]
