"""Ingest never loses or deletes data without a word: snapshots refuse to delete from a file
that could not be read whole, a stray quote costs only the lines it damages, a file that
does not fit its profile fails before any row with one clear line, one bad row is rejected
alone, and what the run noticed (unmapped columns, another delimiter) is said."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection

from mdm.errors import DeclarationError
from mdm.history import Change
from mdm.ingest.run import SnapshotPolicy
from mdm.models import ChangeEvent, ImportRun, SourceRecord
from mdm.services.systems import source_system_register
from mdm.tests.factories import KNA1_HEADER as HEADER
from mdm.tests.factories import KNA1_PROFILE, load, write_csv


def _rows(n: int, start: int = 1) -> list[list[str]]:
    return [[f"{k:010d}", f"公司{k}号有限公司", "", "上海", f"021-5555{k:04d}", "", "20230105", ""]
            for k in range(start, start + n)]


@pytest.fixture
def loaded(erp, profile, tmp_path):
    """Twenty records of the ERP, stored."""
    run = load(write_csv(tmp_path / "full.csv", _rows(20)), profile)
    assert run.inserted == 20
    return profile


def _live() -> int:
    return SourceRecord.objects.filter(is_deleted=False).count()


def _bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "the file holds no rows"),
        (_bytes([]), "the file holds no rows"),
        (_bytes(_rows(20))[:-60], "the file looks cut off"),  # cut in its last row
        (_bytes(_rows(10)), "it would delete 10 of the 20 live records of erp (more than 10%"),  # cut at a row
        (_bytes([*_rows(19), ["", "no key", "", "", "", "", "", ""]]),
         "the key of 1 rejected row(s) could not be read"),
    ],
    ids=["empty", "header only", "truncated", "half the file", "an unreadable key"],
)
def test_a_snapshot_refuses_to_delete_from_a_file_it_could_not_read_whole(loaded, tmp_path, content, reason):
    path = tmp_path / "snapshot.csv"
    path.write_bytes(content)

    run = load(path, loaded, snapshot=True)

    assert run.status == "completed" and run.deleted == 0 and _live() == 20
    assert reason in run.deletions_refused and "--confirm-deletions" in run.deletions_refused
    assert ChangeEvent.objects.filter(kind="source.deleted").count() == 0


def test_a_snapshot_with_too_many_rejects_deletes_nothing(loaded, tmp_path):
    rows = _rows(20)
    rows[3][6] = "2023-13-45"  # an unreadable date: rejected, its key still read
    run = load(write_csv(tmp_path / "snapshot.csv", rows[:19]), loaded, snapshot=True)

    assert run.rejected == 1 and run.deleted == 0 and _live() == 20
    assert "1 of 19 rows were rejected (more than 1%)" in run.deletions_refused


def test_a_confirmed_snapshot_deletes_and_the_records_stay_recoverable(loaded, tmp_path):
    run = load(write_csv(tmp_path / "snapshot.csv", _rows(10)), loaded, snapshot=True,
               policy=SnapshotPolicy(confirmed=True))

    assert run.deleted == 10 and run.deletions_refused == "" and _live() == 10
    gone = SourceRecord.objects.get(source_key="0000000015")
    assert gone.is_deleted and gone.raw["NAME1"] == "公司15号有限公司"  # soft: kept, with history
    assert gone.history.count() == 2
    again = load(write_csv(tmp_path / "back.csv", _rows(20)), loaded)  # the source sends them again
    assert again.updated == 10 and _live() == 20


def test_a_snapshot_within_the_share_deletes_what_the_file_no_longer_holds(loaded, tmp_path):
    run = load(write_csv(tmp_path / "snapshot.csv", _rows(19)), loaded, snapshot=True)
    assert run.deleted == 1 and run.missing == {"count": 1, "sample": ["0000000020"]}
    wider = load(write_csv(tmp_path / "smaller.csv", _rows(15)), loaded, snapshot=True,
                 policy=SnapshotPolicy(max_delete_share=0.5))
    assert wider.deleted == 4


def test_a_row_rejected_for_its_bytes_is_not_taken_for_gone(loaded, tmp_path):
    content = _bytes(_rows(20)).replace("公司7号".encode(), "公司7号".encode("gb18030"))
    path = tmp_path / "snapshot.csv"
    path.write_bytes(content)

    run = load(path, loaded, snapshot=True, policy=SnapshotPolicy(max_reject_share=0.1))

    assert run.rejected == 1 and "they read as gb18030" in run.rejects.get().reason
    assert run.missing == {} or run.missing["count"] == 0
    assert run.deleted == 0 and _live() == 20


def test_a_dry_run_says_what_a_snapshot_would_delete_and_writes_nothing(loaded, tmp_path):
    before = (SourceRecord.history.count(), ChangeEvent.objects.count(), ImportRun.objects.count())
    rows = _rows(19)
    rows[0][1] = "改名的公司有限公司"

    run = load(write_csv(tmp_path / "snapshot.csv", rows), loaded, snapshot=True, dry_run=True)

    assert (run.updated, run.unchanged, run.deleted) == (1, 18, 1)
    assert run.missing["sample"] == ["0000000020"]
    assert (SourceRecord.history.count(), ChangeEvent.objects.count(), ImportRun.objects.count()) == before
    assert SourceRecord.objects.get(source_key="0000000001").raw["NAME1"] == "公司1号有限公司"


def test_a_stray_quote_costs_only_the_line_it_damages(erp, profile, tmp_path):
    lines = _bytes(_rows(20)).decode().splitlines(keepends=True)
    lines[5] = lines[5].replace("公司5号有限公司", '"公司5号有限公司')  # a quote that never closes
    path = tmp_path / "quote.csv"
    path.write_text("".join(lines), encoding="utf-8")

    run = load(path, profile)

    assert (run.read, run.inserted, run.rejected) == (20, 19, 1)
    reject = run.rejects.get()
    assert reject.row_number == 6 and "unbalanced quote" in reject.reason
    assert "公司5号" in reject.raw["_line"]  # the whole line, as evidence
    assert SourceRecord.objects.filter(source_key="0000000006").exists()


def test_a_quoted_field_may_span_lines(erp, profile, tmp_path):
    rows = _rows(3)
    rows[1][3] = "上海\n浦东新区"
    run = load(write_csv(tmp_path / "multi.csv", rows), profile)
    assert (run.inserted, run.rejected) == (3, 0)
    assert SourceRecord.objects.get(source_key="0000000002").raw["ORT01"] == "上海\n浦东新区"


def test_an_over_long_key_is_rejected_alone(erp, profile, tmp_path):
    rows = _rows(5)
    rows[2][0] = "K" * 201  # over the source key column's 200 characters
    run = load(write_csv(tmp_path / "long.csv", rows), profile)

    assert (run.inserted, run.rejected) == (4, 1)
    assert "source key of 201 characters (at most 200)" in run.rejects.get().reason


@pytest.mark.parametrize(
    "header, content_of, message",
    [
        (["LIFNR", "NAME1", "ORT01"], None, "has no column KUNNR"),  # another system's export
        (["KUNNR", "ORT01", "TELF1"], None, "has no column NAME1 or NAME2"),  # no name column
    ],
    ids=["another system's export", "no required column"],
)
def test_a_file_that_does_not_fit_the_profile_fails_before_any_row(erp, profile, tmp_path, header, content_of,
                                                                   message):
    path = write_csv(tmp_path / "other.csv", [["1", "x", "y"]], header=header)

    run = load(path, profile)

    assert run.status == "failed" and run.read == 0
    assert message in run.error and f"found {len(header)} column(s): {', '.join(header)}" in run.error
    assert not SourceRecord.objects.exists()


def test_a_file_read_with_the_wrong_delimiter_says_which_one_fits(erp, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text('domain: customer\ncsv_delimiter: ","\nkey: id\nfields: {name: name}\n')
    path = tmp_path / "semicolon.csv"
    path.write_text("nr;company\n1;Alpha GmbH\n", encoding="utf-8")

    run = load(path, str(profile))

    assert run.status == "failed"
    assert "found 1 column(s): nr;company (one column: the file looks semicolon-separated)" in run.error


def test_a_file_in_another_delimiter_than_the_profile_is_read_with_a_warning(erp, tmp_path):
    profile = tmp_path / "comma.yaml"
    profile.write_text(KNA1_PROFILE + 'csv_delimiter: ","\n', encoding="utf-8")
    path = tmp_path / "semicolon.csv"
    path.write_text(_bytes(_rows(3)).decode().replace(",", ";"), encoding="utf-8")

    run = load(path, str(profile))

    assert (run.status, run.inserted, run.rejected) == ("completed", 3, 0)
    assert "the file is semicolon-separated: read as such" in run.warnings[0]


def test_a_utf16_tab_export_is_read_with_or_without_a_byte_order_mark(erp, profile, tmp_path):
    text = _bytes(_rows(2)).decode().replace(",", "\t")
    for name, content in (("bom.txt", "\ufeff" + text), ("no-bom.txt", text)):
        path = tmp_path / name
        path.write_bytes(content.encode("utf-16-le"))
        run = load(path, profile)
        assert (run.status, run.rejected) == ("completed", 0), run.error
        assert run.encoding.startswith("utf-16")
    assert SourceRecord.objects.get(source_key="0000000002").raw["NAME1"] == "公司2号有限公司"


def test_a_run_that_rejects_every_row_fails(erp, profile, tmp_path):
    rows = _rows(3)
    for row in rows:
        row[6] = "2023-13-45"
    run = load(write_csv(tmp_path / "dates.csv", rows), profile)
    assert run.status == "failed" and "every one of the 3 rows was rejected" in run.error


def test_columns_with_data_the_profile_ignores_and_mapped_columns_missing_are_warned(erp, profile, tmp_path):
    header = ["KUNNR", "NAME1", "ORT01", "STCD2", "BRSCH"]
    rows = [["1", "Alpha Ltd", "Berlin", "DE123456789", ""], ["2", "Beta Ltd", "Paris", "", ""]]
    run = load(write_csv(tmp_path / "k.csv", rows, header=header), profile)

    assert run.status == "completed"
    assert "columns with data that profile test_customers maps to nothing: STCD2" in run.warnings
    assert "columns profile test_customers maps that the file lacks: ERDAT, LOEVM, NAME2, STCD1, TELF1" in run.warnings


def test_a_gb18030_file_whose_first_megabyte_is_ascii_is_read_right(erp, profile, tmp_path):
    ascii_rows = [[f"{k:010d}", f"Company {k} Ltd", "", "Shanghai", "", "", "20230105", ""] for k in range(1, 25001)]
    chinese = [[f"{k:010d}", f"公司{k}号有限公司", "", "上海", "", "", "20230105", ""] for k in range(25001, 25011)]
    path = write_csv(tmp_path / "late.csv", [*ascii_rows, *chinese], encoding="gb18030")
    assert path.stat().st_size > 1 << 20 and path.read_bytes()[: 1 << 20].isascii()

    run = load(path, profile)

    assert (run.encoding, run.inserted, run.rejected) == ("gb18030", 25010, 0)
    assert SourceRecord.objects.get(source_key="0000025005").raw["NAME1"] == "公司25005号有限公司"


def test_a_report_folder_is_made_private_and_an_impossible_one_fails_before_any_row(erp, profile, tmp_path):
    report = tmp_path / "new" / "folder" / "report.csv"
    rows = _rows(2)
    rows[1][6] = "bad date"
    run = load(write_csv(tmp_path / "k.csv", rows), profile, report_path=report)
    assert run.report_path == str(report) and report.exists()
    assert oct(report.stat().st_mode & 0o777) == "0o600" and oct(report.parent.stat().st_mode & 0o777) == "0o700"

    with pytest.raises(Exception, match="cannot write the report"):
        load(write_csv(tmp_path / "k2.csv", rows), profile, report_path=report / "below-a-file.csv")
    assert not ImportRun.objects.filter(status="running").exists()


def test_an_interrupted_import_is_marked_interrupted(erp, profile, tmp_path):
    def interrupt(source, run):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load(write_csv(tmp_path / "k.csv", _rows(3)), profile, on_progress=interrupt)
    run = ImportRun.objects.get()
    assert run.status == "interrupted" and "re-run" in run.error and run.finished_at


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not enforce column lengths")
def test_every_schema_limit_is_checked_before_the_write_on_postgresql(db, tmp_path):
    source_system_register(code="erp", name="ERP", change=Change(actor="test", reason="setup"))
    profile = tmp_path / "p.yaml"
    profile.write_text("domain: customer\nkey: id\nfields: {name: name}\n")
    rows = [["1", "Alpha"], ["K" * 250, "Beta"], ["3", "Gamma"]]
    deep = tmp_path / ("d" * 200) / ("e" * 200)  # a path past ImportRun.file_name's 500 characters
    deep.mkdir(parents=True)

    run = load(write_csv(deep / ("f" * 150 + ".csv"), rows, header=["id", "name"]), str(profile))

    assert (run.status, run.inserted, run.rejected) == ("completed", 2, 1)
    assert len(run.file_name) == 500 and run.file_name.endswith("f.csv")

    long_name = tmp_path / ("p" * 120 + ".yaml")  # past ImportRun.profile's 100 characters
    long_name.write_text("domain: customer\nkey: id\nfields: {name: name}\n")
    with pytest.raises(DeclarationError, match="at most 100 characters"):
        load(write_csv(tmp_path / "k.csv", rows[:1], header=["id", "name"]), str(long_name))


def test_a_number_beyond_64_bits_is_stored_as_received(erp, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("domain: customer\nkey: id\nfields:\n  name: name\n", encoding="utf-8")
    path = tmp_path / "accounts.json"
    path.write_text('[{"id": "1", "name": "华为技术有限公司", "ref": 123456789012345678901234567890}]',
                    encoding="utf-8")

    run = load(path, str(profile))

    assert (run.status, run.inserted) == ("completed", 1), run.error
    assert SourceRecord.objects.get().raw["ref"] == 123456789012345678901234567890
