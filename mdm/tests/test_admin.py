import re

import pytest
from django.urls import reverse

from mdm.models import ChangeEvent, ImportRun, SourceRecord
from mdm.services.golden_records import golden_record_create
from mdm.tests.factories import KNA1_PROFILE as PROFILE
from mdm.tests.factories import KNA1_ROWS as ROWS
from mdm.tests.factories import load, write_csv


@pytest.fixture
def loaded(erp, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE)
    return load(write_csv(tmp_path / "k.csv", ROWS), str(profile))


@pytest.mark.parametrize("model", [SourceRecord, ImportRun, ChangeEvent])
def test_admin_lists_and_details_render_read_only(admin_client, loaded, model):
    meta = model._meta
    listing = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert listing.status_code == 200
    obj = model.objects.first()
    detail = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code == 403


def test_a_source_record_history_page_shows_the_import(admin_client, loaded):
    record = SourceRecord.objects.first()
    page = admin_client.get(reverse("admin:mdm_sourcerecord_history", args=[record.pk]))
    assert page.status_code == 200
    assert b"system:erp" in page.content


def test_history_pages_read_as_an_audit_trail(admin_client, loaded, change):
    record = SourceRecord.objects.first()
    golden = golden_record_create(domain="customer", members=[record.pk], change=change)
    page = admin_client.get(reverse("admin:mdm_sourcerecord_history", args=[record.pk])).content.decode()
    assert "Deleted golden record" not in page and "pk=None" not in page
    assert re.search(rf"<strong>Golden:</strong>\s*—\s*&nbsp;&rarr;&nbsp;&nbsp;{golden.golden_id}", page)
    assert "system:erp" in page and ">None<" not in page.replace(" ", "").replace("\n", "")
    version = record.history.order_by("history_id").first()
    url = reverse("admin:mdm_sourcerecord_simple_history", args=[record.pk, version.history_id])
    past = admin_client.get(url)
    assert past.status_code == 200
    assert b"<select" not in past.content and b'type="text"' not in past.content
    assert admin_client.post(url, {"source_key": "X"}).status_code == 405
    assert not SourceRecord.objects.filter(source_key="X").exists()


def test_change_events_have_readable_titles_and_filters(admin_client, loaded):
    event = ChangeEvent.objects.first()
    assert str(event) == f"#{event.sequence} {event.kind} erp:{event.source_key}"
    listing = admin_client.get(reverse("admin:mdm_changeevent_changelist"), {"q": "system:erp"})
    assert listing.status_code == 200 and event.source_key.encode() in listing.content
