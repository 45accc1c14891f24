"""Take the README's screenshots of the steward app, in Chinese, from a running demo.

    python manage.py demo            # in one shell: note the steward password it prints
    python docs/screenshots/take.py http://127.0.0.1:8000 steward PASSWORD admin ADMIN_PASSWORD

Playwright drives Debian's chromium (MDM_CHROMIUM to use another). It approves the
least certain customer case and files a request for a customer that exists already, so
the pages show a timeline and duplicates found before create. Then, as the admin (who may
audit), the history log and one golden record's versions.
"""

import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("MDM_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def login(page, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/steward/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/steward/")


def main(base: str, user: str, password: str, auditor: str, auditor_password: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(locale="zh-CN", viewport={"width": 1360, "height": 860})
        login(page, base, user, password)
        page.screenshot(path=OUT / "dashboard.png", full_page=True)
        page.goto(f"{base}/steward/queue/?domain=product")
        page.screenshot(path=OUT / "queue.png", full_page=True)
        page.click("#queue tbody tr:nth-child(2) td:nth-child(2) a")
        page.wait_for_selector("#side-by-side")
        page.screenshot(path=OUT / "case.png", full_page=True)
        page.goto(f"{base}/steward/queue/?domain=customer")
        page.click("#queue tbody tr:first-child td:nth-child(2) a")
        page.wait_for_selector("#side-by-side")
        golden = page.locator("main p a[href^='/steward/golden/']").first.get_attribute("href")
        page.click("#approve")
        page.wait_for_url("**/queue/**")
        page.goto(f"{base}/steward/search/?q=西安")
        page.screenshot(path=OUT / "search.png", full_page=True)
        page.goto(f"{base}{golden}")  # a retired ID leads to the record it was merged into
        page.screenshot(path=OUT / "golden.png", full_page=True)
        page.goto(f"{base}/steward/requests/new/?domain=customer")
        page.fill("#f-name", "西安市泰新信息技术股份有限公司")
        page.fill("#f-phone", "029-49792785")
        page.click("#request-form button[type=submit]")
        page.wait_for_selector("#duplicates")
        page.screenshot(path=OUT / "request.png", full_page=True)
        page.context.clear_cookies()
        login(page, base, auditor, auditor_password)
        page.goto(f"{base}/steward/audit/?actor=user:")
        page.screenshot(path=OUT / "audit-log.png")
        page.goto(f"{base}/steward/audit/?kind=golden&action=changed")
        page.click("#log tbody tr:first-child td:nth-child(2) a")
        page.wait_for_selector("#versions")
        page.select_option("select[name=left]", index=0)
        page.select_option("select[name=right]", index=0)
        page.click("#diff-form button[type=submit]")
        page.wait_for_selector("#diff")
        page.screenshot(path=OUT / "audit-record.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:6])
