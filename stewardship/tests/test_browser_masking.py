"""Masking in a real browser (headless Chromium, in Chinese): a steward without the
sensitive grant sees a golden record's name but never its tax id or phone, not even in the
page's source, and does not find the record by its tax id; a steward granted them sees
both."""

from __future__ import annotations

from playwright.sync_api import expect

from mdm.access import MASK, Role, access_grant
from mdm.models import SourceRecord
from stewardship.tests.factories import PASSWORD, SETUP, XIAN, cases, users
from stewardship.tests.test_browser_journey import browser_page, live  # noqa: F401  (fixtures)


def log_in(page, url: str, name: str) -> None:
    page.goto(f"{url}/steward/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("总览")


def test_a_steward_without_the_grant_never_sees_a_tax_id_in_the_browser(live, browser_page):  # noqa: F811
    people = users()
    access_grant(user=people["li"], role=Role.SENSITIVE, domains=["customer"], change=SETUP)
    data = cases()
    golden = SourceRecord.objects.get(pk=data.records["erp:XA"]).golden.golden_id
    page = browser_page

    log_in(page, live, "wang")
    page.goto(f"{live}/steward/golden/{golden}/")
    expect(page.locator("h1")).to_contain_text(XIAN["name"])
    tax = page.locator("#values tr").filter(has_text="税号")
    expect(tax).to_contain_text(MASK)
    expect(page.locator("body")).not_to_contain_text(XIAN["tax_id"])
    assert XIAN["tax_id"] not in page.content() and "88886666" not in page.content()
    page.goto(f"{live}/steward/search/?q={XIAN['tax_id']}")
    expect(page.locator("#results")).not_to_contain_text(golden)

    page.context.clear_cookies()  # log out
    log_in(page, live, "li")
    page.goto(f"{live}/steward/golden/{golden}/")
    expect(page.locator("#values tr").filter(has_text="税号")).to_contain_text(XIAN["tax_id"])
