"""Layout at 360, 1366, 1600 and 1920 px (issue 15): no page scrolls sideways, the top navigation never breaks into
one character per line (even with a long organisation name), tables scroll inside their box on a phone. Screenshots
of the pages go to docs/img/ (layout-<page>-<width>.png) when FLOW168_SCREENSHOTS=1."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import register
from tests.e2e.test_inbox_browser import browser  # noqa: F401  (the fixture)
from tests.e2e.test_window_browser import approve_registration

pytestmark = pytest.mark.e2e

WIDTHS = (360, 1366, 1600, 1920)
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
LONG_NAME = "宁夏回族自治区银川市经济技术开发区中小企业综合服务与创新创业孵化示范基地运营管理有限责任公司"
SHOTS = {("case", 360), ("home", 1366), ("public-guide", 1920), ("public-providers", 1366), ("cases", 360)}
NAV_ITEM_MAX_PX = 44  # one line of navigation text with its padding; a broken item is several lines tall


def _check(page, label: str, width: int) -> None:  # type: ignore[no-untyped-def]
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if overflow[0] > overflow[1]:
        wide = page.evaluate("() => [...document.querySelectorAll('body *')].filter(e => "
                             "e.getBoundingClientRect().right > window.innerWidth || e.scrollWidth > e.clientWidth + 1 "
                             "&& getComputedStyle(e).overflowX === 'visible').slice(0, 8)"
                             ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + '/'"
                             " + e.scrollWidth + '/' + e.clientWidth)")
        raise AssertionError(f"{label} at {width}px scrolls sideways: {overflow[0]} > {overflow[1]}: {wide}")
    heights = page.evaluate("() => [...document.querySelectorAll('.mainnav a, .who a')]"
                            ".map(a => [a.innerText, a.getBoundingClientRect().height])")
    tall = [(text, h) for text, h in heights if h > NAV_ITEM_MAX_PX]
    assert not tall, f"{label} at {width}px: navigation items broken over several lines: {tall}"
    if os.environ.get("FLOW168_SCREENSHOTS") == "1" and (label, width) in SHOTS:
        IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMG / f"layout-{label}-{width}.png"), full_page=False)


def test_pages_hold_from_360_to_1920_px(server: Server, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ent = register(server.base, city="yinchuan", name=LONG_NAME)
    approve_registration(server.base, ent.case_id)
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(30_000)
        for label, path in (("public-providers", "/public/providers"), ("public-guide", "/public/guide/certification"),
                            ("public-notices", "/public/notices")):
            page.goto(f"{server.base}{path}")
            _check(page, label, width)
        page.goto(f"{server.base}/login")
        page.fill("input[name=username]", ent.username)
        page.fill("input[name=password]", ent.password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state()
        assert LONG_NAME[:6] in page.locator("header").inner_text()
        for label, path in (("home", "/"), ("cases", "/cases"), ("case", f"/cases/{ent.case_id}"),
                            ("voucher", "/voucher"), ("notifications", "/notifications")):
            page.goto(f"{server.base}{path}")
            assert not re.search(r"系统出现错误", page.content())
            _check(page, label, width)
        context.close()
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{server.base}/login")
        page.fill("input[name=username]", "operator1")
        page.fill("input[name=password]", "demo168")
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state()
        for label, path in (("operator-inbox", "/inbox"), ("operator-cases", "/cases"),
                            ("operator-case", f"/cases/{ent.case_id}")):
            page.goto(f"{server.base}{path}")
            _check(page, label, width)
        context.close()
