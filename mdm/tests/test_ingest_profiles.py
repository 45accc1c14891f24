"""What the shipped SAP profiles read from columns real extracts fill differently: the tax id
from whichever STCD field holds a valid one, NAME1..NAME4 as name, contact and aliases, a
region key in its country's meaning, and spreadsheet cells as their types (a number key is
zero-padded back, a date cell is a date, a formula without a computed value is reported)."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from mdm.domains import get_domain
from mdm.errors import DeclarationError
from mdm.ingest.profiles import load_profile_file
from mdm.models import SourceRecord
from mdm.tests.factories import load, write_csv

HEADER = ["KUNNR", "LAND1", "NAME1", "NAME2", "NAME3", "NAME4", "ORT01", "REGIO",
          "STCD1", "STCD2", "STCD3", "STCD4", "STCD5", "STCEG", "ERDAT"]
USCC = "914403001922038216"
BAD_USCC = "914403001922038217"


def _row(key: int, **values: str) -> list[str]:
    row = dict.fromkeys(HEADER, "")
    row.update(KUNNR=f"{key:010d}", LAND1="CN", NAME1=f"测试{key}有限公司", ORT01="深圳", ERDAT="20230105")
    row.update(values)
    return [row[h] for h in HEADER]


def _attributes(key: int) -> dict:
    return SourceRecord.objects.get(source_key=f"{key:010d}").attributes


@pytest.mark.parametrize(
    "columns, expected",
    [
        ({"STCD1": "04-2103594"}, "042103594"),  # a US EIN where the installation keeps it
        ({"STCD3": USCC}, USCC),  # the USCC in STCD3 (18 characters) instead of STCD5
        ({"STCD4": USCC}, USCC),
        ({"STCD2": "DE811569869", "LAND1": "DE"}, "DE811569869"),
        ({"STCD5": BAD_USCC, "STCD3": USCC}, USCC),  # the valid one wins over an earlier invalid one
        ({"STCD5": USCC, "STCD1": "12345678"}, USCC),  # in the profile's order among the valid
        ({"STCD1": BAD_USCC}, BAD_USCC),  # only an invalid one: kept, and flagged
    ],
    ids=["EIN in STCD1", "USCC in STCD3", "USCC in STCD4", "VAT in STCD2", "valid beats invalid",
         "profile order", "invalid kept"],
)
def test_the_tax_id_is_the_first_valid_of_the_stcd_fields(erp, tmp_path, columns, expected):
    run = load(write_csv(tmp_path / "kna1.csv", [_row(1, **columns)], header=HEADER), "sap_kna1")

    assert (run.status, run.rejected) == ("completed", 0), run.error
    record = SourceRecord.objects.get()
    assert record.attributes["tax_id"] == expected
    assert ("tax_id" in record.issues) == (expected == BAD_USCC)


def test_name_lines_are_the_name_its_contact_and_its_other_names(erp, tmp_path):
    rows = [
        _row(1, NAME1="上海铭骏食品有限公司", NAME2="行政部"),
        _row(2, NAME1="上海铭骏食品有限公司", NAME2="Shanghai Mingjun Food Co., Ltd."),
        _row(3, NAME1="Acme Industrial Supplies Co., Ltd.", NAME2="c/o Finance", LAND1="US"),
        _row(4, NAME1="Acme Industrial Supplies Co., Ltd.", NAME2="Attn: Procurement", NAME3="formerly Acme Tools",
             LAND1="US"),
        _row(5, NAME1="深圳市腾讯计算机系统有限", NAME2="公司"),  # cut off at 35 characters? continues
        _row(6, NAME1="Zhengzhou Guangan Pharmaceutical", NAME2="Co., Ltd."),
        _row(7, NAME1="Müller Präzisionstechnik GmbH & Co.", NAME2="KG", LAND1="DE"),
    ]
    run = load(write_csv(tmp_path / "kna1.csv", rows, header=HEADER), "sap_kna1")

    assert (run.status, run.rejected) == ("completed", 0), run.error
    department = _attributes(1)
    assert (department["name"], department["contact"]) == ("上海铭骏食品有限公司", "行政部")
    assert department["name__legal_form"] == "co_ltd"  # still recognised: the department is not in the name
    english = _attributes(2)
    assert (english["name"], english["name_en"]) == ("上海铭骏食品有限公司", "Shanghai Mingjun Food Co., Ltd.")
    assert _attributes(3)["contact"] == "c/o Finance"
    renamed = _attributes(4)
    assert (renamed["contact"], renamed["name__aliases"]) == ("Attn: Procurement", ["Acme Tools"])
    assert _attributes(5)["name"] == "深圳市腾讯计算机系统有限公司"
    assert _attributes(6)["name"] == "Zhengzhou Guangan Pharmaceutical Co., Ltd."
    assert _attributes(7)["name"] == "Müller Präzisionstechnik GmbH & Co. KG"
    assert all("name" not in SourceRecord.objects.get(source_key=f"{k:010d}").issues for k in range(1, 8))


@pytest.mark.parametrize(
    "country, region, province",
    [("CN", "040", "内蒙古自治区"), ("CN", "320", "重庆市"), ("JP", "13", "東京都"),
     ("DE", "13", "Mecklenburg-Vorpommern"), ("US", "CA", "California"), ("FR", "75", "75")],
)
def test_a_region_key_is_read_in_its_countrys_meaning(erp, tmp_path, country, region, province):
    load(write_csv(tmp_path / "kna1.csv", [_row(1, LAND1=country, REGIO=region)], header=HEADER), "sap_kna1")

    assert _attributes(1)["province"] == province  # an unknown key is kept as received


def test_spreadsheet_cells_are_read_as_their_types_and_match_their_csv_twin(db, erp, crm, tmp_path):
    write_csv(tmp_path / "kna1.csv", [_row(1, STCD5=USCC)], header=HEADER)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    row = _row(1, STCD5=USCC)
    row[0], row[-1] = 1, dt.datetime(2023, 1, 5)  # a number key without its zeros, a date cell
    sheet.append(row)
    book.save(tmp_path / "kna1.xlsx")

    text = load(tmp_path / "kna1.csv", "sap_kna1", "erp")
    sheet_run = load(tmp_path / "kna1.xlsx", "sap_kna1", "crm")

    assert (text.rejected, sheet_run.rejected) == (0, 0), sheet_run.error
    from_text, from_sheet = (SourceRecord.objects.get(system__code=c) for c in ("erp", "crm"))
    assert from_sheet.source_key == from_text.source_key == "0000000001"
    assert from_sheet.attributes == from_text.attributes
    assert from_sheet.attributes["changed_at"] == "2023-01-05"


def test_a_formula_without_a_computed_value_is_reported_on_its_row(erp, tmp_path):
    book = Workbook()  # openpyxl writes formulas without computing them
    sheet = book.active
    sheet.append(["KUNNR", "NAME1", "ORT01", "TELF1"])
    sheet.append(["0000000001", "华为技术有限公司", "深圳", '=CONCAT("0755-","28780808")'])
    sheet.append(["0000000002", "北京京东世纪贸易有限公司", "北京", "010-89118888"])
    book.save(tmp_path / "kna1.xlsx")

    run = load(tmp_path / "kna1.xlsx", "sap_kna1")

    assert (run.status, run.inserted, run.rejected) == ("completed", 2, 0)
    formula = SourceRecord.objects.get(source_key="0000000001")
    assert "phone" not in formula.attributes
    assert formula.issues["row"] == [
        'formula without a computed value in TELF1 (=CONCAT("0755-","28780808")): read as empty; '
        "open and save the workbook in a spreadsheet program to compute it"
    ]
    assert sum(count for kind, count in run.flags.items() if "formula without a computed value" in kind) == 1


@pytest.mark.parametrize(
    "fields, message",
    [
        ("province: {field: REGIO, map: no_such_table}", "no table 'no_such_table'"),
        ("province: {field: REGIO, map: {'010': 北京市}, map_by: LAND1}", "one mapping per value of LAND1"),
        ("tax_id: {candidates: [STCD1], fields: [STCD2]}", "takes one of field, fields, candidates, lines"),
        ("name: {lines: [NAME1, NAME2], map: {a: b}}", "map and date_format apply to field or fields"),
    ],
)
def test_a_profile_that_misuses_the_field_options_is_refused_with_the_reason(tmp_path, fields, message):
    path = tmp_path / "bad.yaml"
    path.write_text(f"domain: customer\nkey: KUNNR\nfields:\n  name: NAME1\n  {fields}\n", encoding="utf-8")

    with pytest.raises(DeclarationError, match=message):
        load_profile_file(path)



def test_a_birth_date_its_format_cannot_read_is_kept_as_written_and_flagged(tmp_path):
    path = tmp_path / "crm.yaml"
    path.write_text("domain: customer\nkey: ID\nfields:\n  name: NAME\n"
                    "  birth_date: {field: BORN, date_format: '%d/%m/%Y'}\n", encoding="utf-8")
    profile = load_profile_file(path)

    def read(born: str) -> tuple[dict, dict]:
        record = {"ID": "1", "NAME": "Ann Lee", "BORN": born}
        return get_domain(profile.domain).standardize(profile.extract(record), phone_region="AU")

    assert read("07/03/1971")[0]["birth_date"] == "1971-03-07"
    attributes, issues = read("31/02/1980")  # the whole row was rejected
    assert attributes["birth_date"] == "31/02/1980" and issues["birth_date"]
    attributes, issues = read("07/03/1700")  # range checks apply under a format too
    assert attributes["birth_date"] == "1700-03-07" and issues["birth_date"]
