"""Profile options for ERP exports: records that are arrays named by declared columns
(Kingdee's ExecuteBillQuery), nested objects, and records the source no longer uses read as
deletions or kept live with a flag, as the profile declares; bad declarations are refused
with the reason."""

from __future__ import annotations

import json

import pytest

from mdm.errors import DeclarationError
from mdm.ingest.profiles import load_profile_file
from mdm.models import SourceRecord
from mdm.tests.factories import load

PROFILE = """
name: bill_query
domain: customer
columns: [FNumber, FName, FTAXREGISTERCODE, FCOUNTRY.FName, FForbidStatus]
key: FNumber
deleted: {{field: FForbidStatus, equals: B{flag}}}
fields:
  name: FName
  tax_id: FTAXREGISTERCODE
  country: {{field: FCOUNTRY.FName, map: {{中国: CN}}}}
"""
USCC = "914403001922038216"
ROWS = [
    ["CUST0001", "华为技术有限公司", USCC, "中国", "A"],
    ["CUST0002", "北京京东世纪贸易有限公司", "", "中国", "B"],
]


def _profile(tmp_path, flag: str = "") -> str:
    path = tmp_path / "bill_query.yaml"
    path.write_text(PROFILE.format(flag=flag), encoding="utf-8")
    return str(path)


def _answer(tmp_path, rows, name="answer.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def test_it_reads_array_records_by_the_declared_columns(erp, tmp_path):
    run = load(_answer(tmp_path, ROWS), _profile(tmp_path))

    assert (run.status, run.inserted, run.deleted, run.rejected) == ("completed", 1, 1, 0), run.error
    live = SourceRecord.objects.get(source_key="CUST0001")
    assert live.attributes["tax_id"] == USCC and live.attributes["country"] == "CN"
    assert live.raw["FCOUNTRY.FName"] == "中国"  # kept as received, by column name
    assert SourceRecord.objects.get(source_key="CUST0002").is_deleted


def test_a_forbidden_record_declared_as_a_flag_stays_live_and_says_so(erp, tmp_path):
    run = load(_answer(tmp_path, ROWS), _profile(tmp_path, ", as: flag"))

    assert (run.inserted, run.deleted, run.rejected) == (2, 0, 0)
    flagged = SourceRecord.objects.get(source_key="CUST0002")
    assert not flagged.is_deleted
    assert flagged.issues["row"] == ["no longer used in the source (FForbidStatus = B): kept as a live record"]
    assert "row" not in SourceRecord.objects.get(source_key="CUST0001").issues


def test_objects_keyed_by_the_columns_load_the_same(erp, crm, tmp_path):
    objects = [dict(zip(["FNumber", "FName", "FTAXREGISTERCODE", "FCOUNTRY.FName", "FForbidStatus"], row,
                         strict=True)) for row in ROWS]
    load(_answer(tmp_path, ROWS), _profile(tmp_path))
    run = load(_answer(tmp_path, objects, "objects.json"), _profile(tmp_path), "crm")

    assert (run.inserted, run.deleted, run.rejected) == (1, 1, 0)
    arrays, keyed = (
        dict(SourceRecord.objects.filter(system__code=code).values_list("source_key", "attributes"))
        for code in ("erp", "crm")
    )
    assert arrays == keyed


def test_an_array_of_the_wrong_length_or_an_error_answer_is_rejected_and_the_rest_loads(erp, tmp_path):
    rows = [*ROWS, ["CUST0003", "短"], [{"Result": {"ResponseStatus": {"IsSuccess": False}}}]]

    run = load(_answer(tmp_path, rows), _profile(tmp_path))

    assert (run.inserted, run.deleted, run.rejected) == (1, 1, 2)
    reasons = [r.reason for r in run.rejects.order_by("row_number")]
    assert reasons[0].startswith("the record has 2 value(s), the profile's columns are 5")
    assert reasons[1].startswith("the record has 1 value(s)")


def test_a_stop_date_marks_a_deletion_when_declared_filled(erp, tmp_path):
    path = tmp_path / "u8.yaml"
    path.write_text(
        "domain: customer\nkey: code\ndeleted: {field: stop, filled: true}\nfields:\n  name: name\n"
        "  city: address.city.name\n",
        encoding="utf-8",
    )
    rows = [
        {"code": "01", "name": "华为技术有限公司", "stop": "", "address": {"city": {"id": 7, "name": "深圳"}}},
        {"code": "02", "name": "北京京东世纪贸易有限公司", "stop": "2024-01-31", "address": {}},
    ]

    run = load(_answer(tmp_path, rows), str(path))

    assert (run.inserted, run.deleted) == (1, 1)
    assert SourceRecord.objects.get(source_key="01").attributes["city"] == "深圳"


@pytest.mark.parametrize(
    "declaration, message",
    [
        ("columns: FNumber", "columns is a list of names"),
        ("columns: [FNumber, FName, FNumber]", r"columns names \['FNumber'\] twice"),
        ("columns: [FNumber]", r"\['FName'\] are read but not among the declared columns"),
        ("deleted: {field: FForbidStatus}", "deleted takes one of equals"),
        ("deleted: {field: FForbidStatus, equals: B, filled: true}", "deleted takes one of equals"),
        ("deleted: {field: FForbidStatus, equals: B, as: hide}", "as is deletion or flag, not 'hide'"),
        ("deleted: {field: FForbidStatus, equal: B}", r"deleted has unknown options \['equal'\]"),
        ("deleted: B", "deleted must be a mapping with a field"),
    ],
)
def test_a_bad_declaration_is_refused_with_the_reason(tmp_path, declaration, message):
    path = tmp_path / "bad.yaml"
    path.write_text(f"domain: customer\nkey: FNumber\n{declaration}\nfields:\n  name: FName\n", encoding="utf-8")

    with pytest.raises(DeclarationError, match=message):
        load_profile_file(path)
