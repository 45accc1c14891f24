"""The auditor's journey in a real browser (headless Chromium through Playwright, in
Chinese): from "who changed this tax id?" to the record's versions and their diff, to the
exported evidence, which opens with no live formula and carries its manifest."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from mdm.history import Change
from mdm.models import GoldenRecord, SourceRecord
from mdm.services.golden_records import golden_record_override_set
from mdm.tests.factories import HUAWEI, system, upsert
from stewardship.tests.factories import PASSWORD, cases, users
from stewardship.tests.test_browser_journey import browser_page, live  # noqa: F401  (fixtures)

NEW_TAX_ID = "91440300192203821X"


def test_an_auditor_finds_who_changed_a_tax_id_and_exports_the_evidence(live, browser_page, tmp_path):  # noqa: F811
    people = users()
    data = cases()
    upsert(system("crm"), "customer", {"HW": {**HUAWEI, "tax_id": NEW_TAX_ID}},
           change=Change.by_system("crm", "nightly CRM export"))
    hw = SourceRecord.objects.get(pk=data.records["crm:HW"])
    # a steward's reason that a spreadsheet would run as a formula
    golden_record_override_set(golden=GoldenRecord.objects.get(pk=hw.golden_id), attribute="name", value="华为",
                               reason="brand", change=Change.by_user(people["wang"], "=1+cmd|' /C calc'!A0"))
    page = browser_page

    page.goto(f"{live}/steward/")
    page.fill("input[name=username]", "auditor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("header >> text=历史")
    expect(page.locator("h1")).to_have_text("历史")

    # who changed the tax id?
    page.fill("input[name=attribute]", "tax_id")
    page.fill("input[name=record]", "crm:HW")
    page.click("#filters button[type=submit]")
    row = page.locator("#log tbody tr").filter(has_text=NEW_TAX_ID)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("system:crm")
    expect(row).to_contain_text("nightly CRM export")
    expect(row).to_contain_text("914403001922038216")

    # the record's versions, and the diff of the first and the last
    row.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text("crm:HW")
    page.select_option("select[name=left]", index=0)
    page.select_option("select[name=right]", index=0)
    page.click("#diff-form button[type=submit]")
    expect(page.locator("#diff")).to_contain_text("attributes.tax_id")
    expect(page.locator("#diff")).to_contain_text(NEW_TAX_ID)

    # the exported evidence: everything the log shows for this record, with no live formula
    page.click("header >> text=历史")
    expect(page.locator("#log tbody tr").filter(has_text="user:wang")).not_to_have_count(0)
    with page.expect_download() as download:
        page.click("#export-xlsx")
    path = tmp_path / "evidence.xlsx"
    download.value.save_as(path)
    book = load_workbook(io.BytesIO(path.read_bytes()))
    cells = [cell for row in book["history"].iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [str(c.value) for c in cells]
    assert NEW_TAX_ID in " ".join(values) and "system:crm" in values
    assert "'=1+cmd|' /C calc'!A0" in values
    manifest = dict(book["manifest"].iter_rows(values_only=True))
    assert manifest["written_by"] == "user:auditor" and len(manifest["chain_heads_digest"]) == 64
    assert manifest["broken_chains"] == "[]"
