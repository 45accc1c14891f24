"""The steward journey in a real browser: headless Chromium (Debian's `chromium`, with a CJK
font) driven by Playwright against a live server, in Chinese. Log in, work the queue,
approve, reject with a reason, split, unmerge (the earlier golden ID comes back), override,
request a customer that exists already, and see each step in the golden records' timelines."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from mdm.models import GoldenRecord
from mdm.selectors import case_of
from mdm.tests.factories import assert_invariants, xref
from stewardship.tests.factories import PASSWORD, cases, users

CHROMIUM = os.environ.get("MDM_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; the ORM calls here happen
# between browser steps, never concurrently with the live server's own connection.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def live(transactional_db, live_server) -> str:
    return live_server.url


@pytest.fixture
def browser_page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(20_000)
        expect.set_options(timeout=20_000)  # a loaded CI machine: assertions wait as long as actions
        yield page
        browser.close()


def open_case(page: Page, live: str, key: int) -> None:
    page.goto(f"{live}/steward/queue/")
    page.click(f'#queue a[href="/steward/cases/{key}/"]')
    expect(page.locator("h1")).to_contain_text(f"案件 #{key}")


def test_a_steward_works_the_queue_and_fixes_golden_records_in_the_browser(live, browser_page):
    users()
    data = cases()
    page = browser_page
    jd = case_of(data.proposal("erp:JD", "crm:JD").pk)
    jd_ids = {g.golden_id for g in jd.goldens}
    xa_key = case_of(data.proposal("erp:XA", "crm:XA").pk).key
    hw_key = case_of(data.proposal("erp:HW", "crm:HW").pk).key

    # log in, in Chinese
    page.goto(f"{live}/steward/")
    page.fill("input[name=username]", "wang")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("总览")
    page.click("text=待办队列")
    expect(page.locator("#queue tbody tr")).to_have_count(3)

    # approve the JD case
    open_case(page, live, jd.key)
    expect(page.locator("#side-by-side")).to_contain_text("北京京东世纪贸易有限公司")
    expect(page.locator("svg.waterfall")).to_have_count(1)
    page.click("#approve")
    expect(page.locator(".msg.success")).to_contain_text("批准")
    expect(page.locator("#queue tbody tr")).to_have_count(2)
    merged = xref()[data.records["erp:JD"]]
    assert xref()[data.records["crm:JD"]] == merged
    (retired_jd,) = jd_ids - {merged}

    # reject the Xi'an case: a reason is required
    open_case(page, live, xa_key)
    page.click("#reject")
    expect(page.locator(".msg.error")).to_contain_text("reason")
    page.fill("#reject-reason", "两家不同的公司")
    page.click("#reject")
    expect(page.locator("#queue tbody tr")).to_have_count(1)

    # approve the Huawei case with the keyboard, then split the web form's record off
    open_case(page, live, hw_key)
    page.keyboard.press("a")
    expect(page.locator("#queue")).to_contain_text("这里没有待办")
    huawei = xref()[data.records["erp:HW"]]
    page.goto(f"{live}/steward/search/?q=华为")
    page.click(f"#results a:text('{huawei}')")
    expect(page.locator("h1")).to_contain_text(huawei)
    page.check(f"#members input[value='{data.records['forms:HW']}']")
    page.fill("#split-form input[name=reason]", "网页表单的记录是另一家")
    page.click("#split-form button[type=submit]")
    expect(page.locator("h1")).not_to_contain_text(huawei)
    split_off = xref()[data.records["forms:HW"]]
    assert split_off != huawei
    expect(page.locator("h1")).to_contain_text(split_off)

    # unmerge the JD approval: the retired golden ID comes back
    page.goto(f"{live}/steward/golden/{merged}/")
    expect(page.locator("#timeline")).to_contain_text("已批准")
    page.fill("#proposals input[name=reason]", "两个独立法人")
    page.click("#proposals button:text('取消合并')")
    expect(page.locator("h1")).to_contain_text(retired_jd)
    assert GoldenRecord.objects.get(golden_id=retired_jd).status == "active"
    assert {xref()[data.records["erp:JD"]], xref()[data.records["crm:JD"]]} == jd_ids
    expect(page.locator("#timeline")).to_contain_text("重新启用")

    # override the phone of the revived record
    page.select_option("#override-form select[name=attribute]", "phone")
    page.fill("#override-form input[name=value]", "010-66668888")
    page.fill("#override-form input[name=reason]", "客户来电确认")
    page.click("#override-form button[type=submit]")
    expect(page.locator("#values")).to_contain_text("人工覆盖")
    expect(page.locator("#timeline")).to_contain_text("客户来电确认")

    # request a new customer that turns out to be Huawei: linked to it, nothing created
    page.click("text=申请新主数据")
    page.fill("#f-name", "华为技术有限公司")
    page.fill("#f-tax_id", "914403001922038216")
    page.click("#request-form button[type=submit]")
    expect(page.locator("#duplicates")).to_contain_text(huawei)
    page.click(f"#duplicates tr:has-text('{huawei}') button")
    expect(page.locator("h1")).to_contain_text(huawei)

    # every step is in the timelines
    page.goto(f"{live}/steward/golden/{huawei}/")
    expect(page.locator("#timeline")).to_contain_text("split")
    expect(page.locator("#timeline")).to_contain_text("已批准")
    assert_invariants()
