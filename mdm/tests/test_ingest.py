import csv
import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mdm.errors import DeclarationError, ImportFailed, UnknownProfile, UnknownSourceSystem
from mdm.ingest.run import SnapshotPolicy
from mdm.models import ChangeEvent, ImportRun, SourceRecord
from mdm.services.systems import source_system_register
from mdm.tests.factories import KNA1_HEADER as HEADER
from mdm.tests.factories import KNA1_ROWS as ROWS
from mdm.tests.factories import load, write_csv


def test_it_loads_rows_keeping_the_raw_payload_as_received(erp, profile, tmp_path):
    run = load(write_csv(tmp_path / "kna1.csv", ROWS), profile)

    assert (run.status, run.read, run.inserted, run.rejected) == ("completed", 3, 3, 0)
    record = SourceRecord.objects.get(source_key="0000100002")
    assert record.raw == dict(zip(HEADER, ROWS[1], strict=True))
    assert record.attributes["name"].startswith("ABC Trading")
    assert record.attributes["phone"] == "+862155551234"
    assert record.attributes["changed_at"] == "2023-02-10"
    assert record.version == 1 and not record.is_deleted


def test_it_writes_history_with_actor_reason_and_operation_on_bulk_insert(erp, profile, tmp_path):
    run = load(write_csv(tmp_path / "kna1.csv", ROWS), profile)

    history = SourceRecord.history.all()
    assert history.count() == 3
    assert {(h.history_type, h.history_actor, h.history_operation) for h in history} == {
        ("+", "system:erp", run.operation)
    }
    assert all(h.history_change_reason == "import of kna1.csv (test_customers)" for h in history)


def test_it_changes_nothing_when_the_same_file_is_loaded_twice(erp, profile, tmp_path):
    path = write_csv(tmp_path / "kna1.csv", ROWS)
    load(path, profile)
    before = (SourceRecord.history.count(), ChangeEvent.objects.count())

    again = load(path, profile)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert (SourceRecord.history.count(), ChangeEvent.objects.count()) == before
    assert set(SourceRecord.objects.values_list("version", flat=True)) == {1}


def test_it_creates_exactly_one_version_for_a_changed_row(erp, profile, tmp_path):
    load(write_csv(tmp_path / "a.csv", ROWS), profile)
    changed = [row[:] for row in ROWS]
    changed[2][3] = "天津"

    run = load(write_csv(tmp_path / "b.csv", changed), profile)

    assert (run.inserted, run.updated, run.unchanged) == (0, 1, 2)
    record = SourceRecord.objects.get(source_key="0000100003")
    assert record.version == 2 and record.attributes["city"] == "天津"
    versions = record.history.order_by("history_date")
    assert [(h.history_type, h.version, h.attributes["city"]) for h in versions] == [
        ("+", 1, "北京"),
        ("~", 2, "天津"),
    ]
    assert versions.last().history_operation == run.operation


def test_change_feed_gets_one_event_per_change_in_strict_sequence(erp, profile, tmp_path):
    load(write_csv(tmp_path / "a.csv", ROWS), profile)
    changed = [row[:] for row in ROWS]
    changed[0][6] = "20240101"
    load(write_csv(tmp_path / "b.csv", changed), profile)

    events = list(ChangeEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == list(range(1, 5))
    assert [(e.kind, e.source_key, e.record_version) for e in events][-1] == (
        "source.upserted", "0000100001", 2
    )
    with pytest.raises(Exception, match="append-only"):
        events[0].save()
    with pytest.raises(Exception, match="append-only"):
        events[0].delete()


BROKEN_REASONS = {
    3: "missing source key",
    4: "duplicate key '0000100001' within the file (first at row 2)",
    5: "changed_at: date '2023-13-45' does not match format '%Y%m%d'",
    6: "is 10,485,760 characters long",
    8: "bytes not valid utf-8 in NAME1: they read as gb18030 ('坏编码公司'): give --encoding gb18030",
    9: "row has 3 fields, the header has 8",
    10: "missing required value for 'name'",
}


def write_broken(path: Path) -> Path:
    good = ROWS[0]
    lines = [
        HEADER,
        good,  # row 2
        ["", "No key Ltd", "", "", "", "", "", ""],
        ["0000100001", "Duplicate of row 2", "", "", "", "", "", ""],
        ["0000100005", "Bad date Ltd", "", "", "", "", "2023-13-45", ""],
        ["0000100006", "x" * (10 * 1024 * 1024), "", "", "", "", "", ""],
        ["0000100007", '=HYPERLINK("http://evil.example","click")', "", "", "", "", "", ""],
        None,  # row 8: written as bytes below
        ["0000100009", "short", "row"],
        ["0000100010", "", "", "杭州", "", "", "", ""],
        # the rest of the file is UTF-8 (Chinese included): row 8's bytes are a stray
        ["0000100011", "Good Two Ltd", "好" * 100, "Berlin", "+49 30 1234567", "", "20230101", ""],
    ]
    with path.open("wb") as f:
        for line in lines:
            if line is None:
                f.write(b"0000100008," + "坏编码公司".encode("gb18030") + b",,,,,,\r\n")
                continue
            buffer = []
            writer = csv.writer(_Collect(buffer))
            writer.writerow(line)
            f.write("".join(buffer).encode("utf-8"))
    return path


class _Collect:
    def __init__(self, buffer):
        self.buffer = buffer

    def write(self, text):
        self.buffer.append(text)


def test_a_broken_file_loads_every_good_row_and_reports_each_bad_one(erp, profile, tmp_path):
    report = tmp_path / "rejects.csv"
    run = load(write_broken(tmp_path / "broken.csv"), profile, report_path=report)

    assert run.status == "completed"
    assert (run.read, run.inserted, run.rejected) == (10, 3, 7)
    assert set(SourceRecord.objects.values_list("source_key", flat=True)) == {
        "0000100001", "0000100007", "0000100011"
    }
    # a formula-looking name is stored as received and flagged, not rejected
    formula = SourceRecord.objects.get(source_key="0000100007")
    assert formula.raw["NAME1"] == '=HYPERLINK("http://evil.example","click")'
    assert "formula-looking value in NAME1" in formula.issues["row"][0]
    assert run.flags == {"row: formula-looking value in NAME1": 1}
    rejects = {r.row_number: r for r in run.rejects.all()}
    assert sorted(rejects) == sorted(BROKEN_REASONS)
    for row, reason in BROKEN_REASONS.items():
        assert reason in rejects[row].reason, (row, rejects[row].reason)
    assert rejects[8].raw["NAME1"].startswith("\\x")  # the bad bytes are shown, not dropped
    assert len(rejects[6].raw["NAME1"]) < 1000  # the 10 MB value is cut in the report
    with report.open(encoding="utf-8-sig") as f:
        lines = list(csv.DictReader(f))
    assert [int(line["row"]) for line in lines if line["outcome"] == "rejected"] == sorted(BROKEN_REASONS)
    assert [(line["row"], line["source_key"]) for line in lines if line["outcome"] == "flagged"] == [
        ("7", "0000100007")]
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line.values())


def test_it_reads_gb18030_exports_and_honours_a_given_encoding(erp, profile, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", ROWS, encoding="gb18030")

    run = load(path, profile)

    assert (run.encoding, run.inserted, run.rejected) == ("gb18030", 3, 0)
    assert SourceRecord.objects.get(source_key="0000100001").raw["NAME1"] == "华为技术有限公司"


def test_a_wrong_encoding_fails_the_run_with_a_clear_message(erp, profile, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", ROWS, header=["客户编码", *HEADER[1:]], encoding="gb18030")

    run = load(path, profile, encoding="utf-8")

    assert run.status == "failed"
    assert "header is not valid utf-8" in run.error
    assert SourceRecord.objects.count() == 0


def test_it_reads_xlsx_json_jsonl_and_parquet(db, change, profile, tmp_path):
    records = [dict(zip(HEADER, row, strict=True)) for row in ROWS]
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for row in ROWS:
        book.active.append(row)
    book.save(tmp_path / "k.xlsx")
    (tmp_path / "k.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "k.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8"
    )
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "k.parquet")

    formats = ("xlsx", "json", "jsonl", "parquet")
    for ext in formats:
        source_system_register(code=ext, name=ext, change=change)
    runs = [load(tmp_path / f"k.{ext}", profile, system=ext) for ext in formats]

    assert [(r.file_format, r.inserted, r.rejected) for r in runs] == [
        (ext, 3, 0) for ext in formats
    ]
    attributes = {
        ext: dict(
            SourceRecord.objects.filter(system__code=ext).values_list("source_key", "attributes")
        )
        for ext in formats
    }
    assert attributes["xlsx"] == attributes["json"] == attributes["jsonl"] == attributes["parquet"]


def test_a_bad_jsonl_line_is_rejected_and_the_rest_loads(erp, profile, tmp_path):
    path = tmp_path / "k.jsonl"
    good = json.dumps(dict(zip(HEADER, ROWS[0], strict=True)), ensure_ascii=False)
    path.write_text(f'{good}\n{{"KUNNR": "2", "NAME1": \n[1, 2]\n', encoding="utf-8")

    run = load(path, profile)

    assert (run.inserted, run.rejected) == (1, 2)
    assert {r.row_number: r.reason[:14] for r in run.rejects.all()} == {
        2: "not valid JSON", 3: "a record must "
    }


def test_invalid_json_fails_the_run_and_stores_nothing(erp, profile, tmp_path):
    path = tmp_path / "k.json"
    path.write_text('[{"KUNNR": "1"', encoding="utf-8")

    run = load(path, profile)

    assert run.status == "failed" and "not valid JSON" in run.error
    assert SourceRecord.objects.count() == 0


def test_unknown_system_profile_and_domain_are_refused_with_clear_messages(erp, profile, tmp_path):
    path = write_csv(tmp_path / "k.csv", ROWS)
    with pytest.raises(UnknownSourceSystem, match="register_system"):
        load(path, profile, system="sap")
    with pytest.raises(UnknownProfile, match="unknown profile 'nope'"):
        load(path, "nope")
    with pytest.raises(DeclarationError, match="maps the 'customer' domain, not 'product'"):
        load(path, profile, domain="product")
    with pytest.raises(ImportFailed, match="unsupported file type"):
        load(tmp_path / "test_customers.yaml", profile)
    assert ImportRun.objects.count() == 0


def test_a_deletion_flag_soft_deletes_and_a_snapshot_deletes_what_is_missing(
    erp, profile, tmp_path
):
    load(write_csv(tmp_path / "a.csv", ROWS), profile)
    flagged = [ROWS[0][:7] + ["X"], ROWS[1][:6] + ["bad date", ""]]

    # one of two rows rejected, one of two records deleted: past the checks, so confirmed
    run = load(write_csv(tmp_path / "b.csv", flagged), profile, snapshot=True, policy=SnapshotPolicy(confirmed=True))

    assert (run.deleted, run.rejected) == (2, 1)
    states = dict(SourceRecord.objects.values_list("source_key", "is_deleted"))
    # Row 1 is flagged deleted, row 3 is missing from the snapshot; row 2 was rejected, so
    # the snapshot must not take it for gone.
    assert states == {"0000100001": True, "0000100002": False, "0000100003": True}
    assert ChangeEvent.objects.filter(kind="source.deleted").count() == 2


def test_phones_without_a_country_code_are_read_in_the_records_country(erp, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("domain: customer\nkey: id\nfields: {name: name, phone: phone, country: country}\n")
    rows = [["1", "Bosch GmbH", "0711 400400", "Deutschland"], ["2", "华为", "0755 28780808", ""]]

    load(write_csv(tmp_path / "k.csv", rows, header=["id", "name", "phone", "country"]), str(profile))

    phones = dict(SourceRecord.objects.values_list("source_key", "attributes__phone"))
    assert phones == {"1": "+49711400400", "2": "+8675528780808"}


def test_a_multi_batch_bulk_load_writes_one_history_row_per_record(erp, profile, tmp_path, settings):
    settings.MDM_INGEST_BATCH_SIZE = 100
    rows = [[f"K{i:05d}", f"客户{i}有限公司", "", "北京", "", "", "20230101", ""] for i in range(1050)]

    run = load(write_csv(tmp_path / "k.csv", rows), profile)

    assert run.inserted == 1050
    history = SourceRecord.history.filter(history_operation=run.operation)
    assert history.count() == 1050
    assert history.values("id").distinct().count() == 1050
    assert not history.exclude(history_actor="system:erp").exists()
    assert ChangeEvent.objects.filter(operation=run.operation).count() == 1050


@pytest.mark.parametrize(
    "value, flagged",
    [
        ("=1+1", True),
        ("\u3000 =HYPERLINK(\"x\")", True),
        ("＝HYPERLINK(\"http://evil.example\")", True),  # full width, as an input method types it
        ("@SUM(A1:A9)", True),
        ("-cmd|' /C calc'!A0", True),
        ("-2+3+cmd|' /C calc'!A0", True),  # OWASP's CSV injection payload
        ("@Home (Shanghai) Trading Co., Ltd.", True),  # a real name: stored all the same
        ("-Yahoo! Japan", True),
        ("+86 755 2878 0808", False),
        ("-5", False),
        ("@home Ltd", False),
        ("a=b Trading", False),
    ],
)
def test_formula_looking_values_are_stored_as_received_flagged_and_neutralised_in_reports(
    erp, profile, tmp_path, value, flagged
):
    report = tmp_path / "report.csv"
    run = load(write_csv(tmp_path / "k.csv", [["1", value, "", value, "", "", "", ""]]), profile, report_path=report)

    assert (run.rejected, run.inserted) == (0, 1)
    record = SourceRecord.objects.get()
    assert record.raw["NAME1"] == value and record.raw["ORT01"] == value
    assert bool(record.issues.get("row")) == flagged
    assert bool(run.flags) == flagged
    with report.open(encoding="utf-8-sig") as f:
        cells = [cell for line in csv.reader(f) for cell in line]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")) for cell in cells)


def test_values_no_database_can_store_are_rejected_row_by_row(erp, profile, tmp_path):
    good = json.dumps(dict(zip(HEADER, ROWS[0], strict=True)), ensure_ascii=False)
    lines = [
        good,
        '{"KUNNR": "2", "NAME1": "NaN Ltd", "ORT01": NaN}',
        '{"KUNNR": "3", "NAME1": "Surrogate \\ud800 Ltd"}',
        '{"KUNNR": "4", "NAME1": "Nul \\u0000 Ltd"}',
        json.dumps(dict(zip(HEADER, ROWS[1], strict=True)), ensure_ascii=False),
    ]
    path = tmp_path / "k.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")

    run = load(path, profile)

    assert (run.status, run.inserted, run.rejected) == ("completed", 2, 3)
    reasons = {r.row_number: r.reason for r in run.rejects.all()}
    assert "cannot be stored" in reasons[2] and "cannot be stored" in reasons[3]
    assert "NUL character" in reasons[4]


def test_a_nul_byte_in_a_csv_field_rejects_that_row_only(erp, profile, tmp_path):
    rows = [ROWS[0], ["0000100009", "Nul\x00 Ltd", "", "", "", "", "", ""], ROWS[1]]

    run = load(write_csv(tmp_path / "k.csv", rows), profile)

    assert (run.inserted, run.rejected) == (2, 1)
    assert "NUL character" in run.rejects.get().reason
