"""Records standardized by older code are brought up to date: by `manage.py restandardize`
(services.restandardize) and by ingest when the same row comes again."""

import dataclasses
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mdm.history import Change
from mdm.ingest import freshness
from mdm.ingest.profiles import get_profile
from mdm.models import ChangeEvent, GoldenRecord, SourceRecord
from mdm.selectors import source_records_stale
from mdm.services.golden_records import golden_record_create
from mdm.services.records import source_records_delete
from mdm.services.restandardize import source_records_restandardize
from mdm.standardize import STANDARDIZERS, std_text
from mdm.tests.factories import KNA1_PROFILE, KNA1_ROWS, assert_invariants, load, write_csv, writes

HUAWEI, ABC, JD = (row[0] for row in KNA1_ROWS)
OPS = Change(actor="cli:ops", reason="re-standardization of customer")


def _older_text(raw):
    """What the older code made of a city: a suffix that is not in the source."""
    result = std_text(raw)
    return dataclasses.replace(result, value="深圳市") if result.value == "深圳" else result


@pytest.fixture
def profile_dir(tmp_path, settings):
    """The test profile where profiles are looked up by name, as a shipped one is."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "test_customers.yaml").write_text(KNA1_PROFILE, encoding="utf-8")
    settings.MDM_PROFILE_DIRS = [folder]
    return folder


@pytest.fixture
def stale(erp, profile_dir, tmp_path, monkeypatch, change):
    """The KNA1 rows imported by older code (another fingerprint, another city standardizer),
    each in a golden record of its own; the current code back in place. Returns the file."""
    path = write_csv(tmp_path / "kna1.csv", KNA1_ROWS)
    with monkeypatch.context() as older:
        older.setattr(freshness, "code_fingerprint", lambda: "older code")
        older.setitem(STANDARDIZERS, "text", _older_text)
        load(path, "test_customers")
    for record in SourceRecord.objects.order_by("pk"):
        golden_record_create(domain="customer", members=[record.pk], change=change)
    return path


def _record(key: str) -> SourceRecord:
    return SourceRecord.objects.get(source_key=key)


def test_it_brings_stale_records_up_to_date_with_history_and_golden_records(stale):
    before = _record(HUAWEI)
    golden = before.golden
    assert (before.attributes["city"], golden.attributes["city"]) == ("深圳市", "深圳市")
    assert source_records_stale(domain="customer") == 3

    report = source_records_restandardize(domain="customer", change=OPS)

    assert (report.stale, report.changed, report.same, report.failed, report.goldens) == (3, 1, 2, 0, 1)
    after = _record(HUAWEI)
    assert (after.attributes["city"], after.version, after.content_hash) == ("深圳", before.version + 1,
                                                                              before.content_hash)
    assert after.updated_at > before.updated_at  # the next match run recomputes its keys
    last = after.history.latest("history_id")
    assert (last.history_type, last.history_actor, last.history_operation, last.history_change_reason) == (
        "~", "cli:ops", OPS.operation, OPS.reason)
    golden.refresh_from_db()
    assert golden.attributes["city"] == "深圳"
    events = ChangeEvent.objects.filter(operation=OPS.operation)
    assert sorted(events.values_list("kind", flat=True)) == ["golden.updated", "source.upserted"]
    # the records that read the same are current now, without a version
    assert {r.source_key: r.version for r in SourceRecord.objects.all()} == {HUAWEI: 3, ABC: 2, JD: 2}
    assert source_records_stale(domain="customer") == 0
    assert_invariants()


def test_it_changes_nothing_when_run_again(stale):
    source_records_restandardize(domain="customer", change=OPS)
    before = writes()

    report = source_records_restandardize(domain="customer", change=OPS)

    assert (report.stale, report.changed, report.same) == (0, 0, 0)
    assert writes() == before


def test_it_writes_nothing_in_a_dry_run_and_says_what_would_change(stale):
    before = writes()
    marks = set(SourceRecord.objects.values_list("standardized_by", flat=True))

    report = source_records_restandardize(domain="customer", change=OPS, dry_run=True)

    assert (report.stale, report.changed, report.same, report.goldens) == (3, 1, 2, 1)
    assert writes() == before
    assert set(SourceRecord.objects.values_list("standardized_by", flat=True)) == marks
    assert _record(HUAWEI).attributes["city"] == "深圳市"
    assert source_records_stale(domain="customer") == 3


def test_it_reports_and_keeps_a_record_whose_raw_no_longer_standardizes(stale, monkeypatch):
    # the current code refuses what the older one read: JD's date of change cannot be read now
    kept = _record(JD)
    SourceRecord.objects.filter(pk=kept.pk).update(raw={**kept.raw, "ERDAT": "2022"})  # as the older code took it

    report = source_records_restandardize(domain="customer", change=OPS)

    assert (report.stale, report.changed, report.same, report.failed) == (3, 1, 1, 1)
    failure = report.failures[0]
    assert (failure.system, failure.source_key, failure.profile) == ("erp", JD, "test_customers")
    assert "changed_at" in failure.reason
    now = _record(JD)
    assert (now.attributes, now.version, now.standardized_by) == (kept.attributes, 2, kept.standardized_by)
    assert _record(HUAWEI).attributes["city"] == "深圳"  # the others went on
    assert source_records_stale(domain="customer") == 1  # still stale: reported again next time


def test_it_leaves_deleted_records_alone_until_their_source_sends_them_again(stale, erp):
    source_records_delete(domain="customer", system=erp, keys=[HUAWEI], change=OPS)
    deleted = _record(HUAWEI)

    report = source_records_restandardize(domain="customer", change=OPS)

    assert (report.stale, report.changed, report.same) == (2, 0, 2)
    assert (_record(HUAWEI).attributes, _record(HUAWEI).version) == (deleted.attributes, deleted.version)
    assert source_records_stale(domain="customer") == 0
    assert load(stale, "test_customers").updated == 1  # restored: read as it is now
    assert _record(HUAWEI).attributes["city"] == "深圳"


def test_it_reports_and_leaves_alone_the_records_of_a_profile_that_is_gone(stale, profile_dir):
    (profile_dir / "test_customers.yaml").unlink()
    before = writes()

    report = source_records_restandardize(domain="customer", change=OPS)

    assert (report.stale, report.changed, report.failed, report.unchecked) == (0, 0, 0, {"test_customers": 3})
    assert "unknown profile 'test_customers'" in report.unresolved["test_customers"]
    assert writes() == before
    assert _record(HUAWEI).attributes["city"] == "深圳市"


def test_it_restandardizes_an_unchanged_row_of_a_stale_record_at_import(stale):
    before = _record(HUAWEI)

    run = load(stale, "test_customers")

    assert (run.inserted, run.updated, run.restandardized, run.unchanged) == (0, 0, 1, 2)
    after = _record(HUAWEI)
    assert (after.attributes["city"], after.version) == ("深圳", before.version + 1)
    assert after.history.latest("history_id").history_operation == run.operation
    golden = GoldenRecord.objects.get(pk=before.golden_id)
    assert golden.attributes["city"] == "深圳"
    assert source_records_stale(domain="customer") == 0
    marks = writes()

    again = load(stale, "test_customers")

    assert (again.restandardized, again.unchanged) == (0, 3)
    assert writes() == marks
    assert_invariants()


def test_the_command_counts_in_a_dry_run_then_brings_the_domain_up_to_date(stale):
    out = StringIO()
    call_command("restandardize", "customer", "--dry-run", stdout=out)
    assert out.getvalue().startswith("customer (dry run, nothing written): 3 record(s) standardized by older code")
    assert "1 would be changed" in out.getvalue()
    assert _record(HUAWEI).version == 2  # its first, and its golden record's membership

    call_command("restandardize", "customer", stdout=out)
    assert _record(HUAWEI).version == 3

    out = StringIO()
    call_command("restandardize", stdout=out)
    assert "customer: no record standardized by older code; nothing to do" in out.getvalue()


def test_the_command_fails_naming_the_records_it_could_not_read(stale):
    kept = _record(JD)
    SourceRecord.objects.filter(pk=kept.pk).update(raw={**kept.raw, "ERDAT": "2022"})
    out = StringIO()

    with pytest.raises(CommandError, match="1 record"):
        call_command("restandardize", "customer", stdout=out)

    assert f"  erp:{JD} (profile test_customers): changed_at" in out.getvalue()
    assert _record(HUAWEI).version == 3  # the others went on


def test_the_command_warns_of_the_records_of_a_profile_it_cannot_find(stale, profile_dir):
    (profile_dir / "test_customers.yaml").unlink()
    out = StringIO()

    call_command("restandardize", "customer", stdout=out)

    assert "warning: customer: 3 record(s) of profile 'test_customers' left as they are" in out.getvalue()


def test_the_command_refuses_an_unknown_domain(db):
    with pytest.raises(CommandError, match="unknown domain"):
        call_command("restandardize", "nope")


def test_the_fingerprint_follows_the_mapping_and_the_phone_region_not_the_description(profile_dir, settings):
    path = profile_dir / "test_customers.yaml"
    first = freshness.standardization_fingerprint(get_profile("test_customers"))
    path.write_text(KNA1_PROFILE + "description: the same mapping, described\n", encoding="utf-8")
    assert freshness.standardization_fingerprint(get_profile("test_customers")) == first
    path.write_text(KNA1_PROFILE.replace("city: ORT01", "city: ORT02"), encoding="utf-8")
    assert freshness.standardization_fingerprint(get_profile("test_customers")) != first
    path.write_text(KNA1_PROFILE, encoding="utf-8")
    settings.MDM_PHONE_REGION = "HK"
    assert freshness.standardization_fingerprint(get_profile("test_customers")) != first
