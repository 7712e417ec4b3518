"""In a real browser: an operator logs in through the login page, claims a registration from the inbox
and approves it; the enterprise can then log in."""

from __future__ import annotations

import os
import re
import time

import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import api_login_status, register, wait_until

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium fonts-noto-cjk`")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_operator_claims_and_approves_a_registration_in_the_inbox(server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    ent = register(server.base, city="shizuishan")
    assert api_login_status(server.base, ent.username, ent.password) == 403

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.set_default_timeout(30_000)
    page.goto(f"{server.base}/inbox")
    assert "/login?next=" in page.url  # anonymous: sent to the login page
    page.fill("input[name=username]", "operator1")
    page.fill("input[name=password]", "demo168")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"/inbox"))
    assert page.locator("header").inner_text().count("运营单位") == 1

    row = page.locator("tr[data-type='registration.review']", has_text=ent.name)
    # The workflow opens the task a moment after registration; when this is the session's first test, the worker
    # processes may still be starting (a minute and more on a loaded 2-core machine), so allow three.
    end = time.monotonic() + 180
    while row.count() == 0 and time.monotonic() < end:
        time.sleep(0.5)
        page.reload()
    assert row.count() == 1, "the registration task never showed up in the inbox"
    task_id = row.get_attribute("data-task")
    row.get_by_role("button", name="认领").click()
    page.wait_for_load_state()
    assert "已认领" in page.locator(".flash").inner_text()

    page.get_by_role("link", name=re.compile("^我的")).click()
    mine = page.locator(f"tr[data-task='{task_id}']")
    mine.get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(rf"/tasks/{re.escape(task_id)}$"))
    assert ent.name in page.content()
    page.fill("textarea[name=comment]", "材料齐全，同意注册")
    page.get_by_role("button", name="同意", exact=True).click()
    page.wait_for_url(re.compile(r"/inbox$"))
    assert "已办理「新用户注册审核」：同意" in page.locator(".flash").inner_text()
    assert page.locator(f"tr[data-task='{task_id}']").count() == 0
    page.close()

    wait_until(lambda: api_login_status(server.base, ent.username, ent.password) == 200, timeout=60,
               what="the approved enterprise's login")
    assert api_login_status(server.base, ent.username, ent.password) == 200
