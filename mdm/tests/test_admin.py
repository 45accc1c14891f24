import pytest
from django.urls import reverse

from mdm.models import ChangeEvent, ImportRun, SourceRecord
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
