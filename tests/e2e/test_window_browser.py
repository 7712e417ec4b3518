"""In a real browser: a builder (platform_org) logs in, fills the window-platform application with its three
uploads, submits it, and follows its progress (the stage, and who acts next by when) on the same page."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import DEMO_PASSWORD, api_login_status, register, wait_until
from tests.e2e.test_inbox_browser import browser  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def approve_registration(base: str, case_id: str) -> None:
    token = httpx.post(f"{base}/api/auth/token", json={"username": "operator1", "password": DEMO_PASSWORD},
                       timeout=60).json()["access_token"]
    h = {"Authorization": f"Bearer {token}"}

    def task() -> dict[str, object] | None:
        items = httpx.get(f"{base}/api/tasks", params={"type": "registration.review", "case_id": case_id}, headers=h,
                          timeout=60).json()["items"]
        return items[0] if items else None

    t = wait_until(task, what="the registration review")
    r = httpx.post(f"{base}/api/tasks/{t['id']}/complete", headers=h, json={"decision": "approve", "comment": "同意"},
                   timeout=60)
    assert r.status_code == 200, r.text


def test_builder_applies_for_a_window_in_the_browser(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    builder = register(server.base, kind="platform_org", city="guyuan")
    approve_registration(server.base, builder.case_id)
    wait_until(lambda: api_login_status(server.base, builder.username, builder.password) == 200,
               what="the builder's account to be active")
    files = {}
    for key in ("application_form", "service_capability", "security_measures"):
        files[key] = tmp_path / f"{key}.pdf"
        files[key].write_bytes(PDF)

    page = browser.new_page(viewport={"width": 1280, "height": 1200}, locale="zh-CN")
    page.set_default_timeout(30_000)
    page.goto(f"{server.base}/apply/window")
    assert "/login?next=" in page.url
    page.fill("input[name=username]", builder.username)
    page.fill("input[name=password]", builder.password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"/apply/window$"))
    page.fill("[name='f.platform_name']", "固原市中小企业窗口服务平台")
    page.select_option("[name='f.city']", "guyuan")
    page.select_option("[name='f.coverage']", "region")
    page.fill("[name='f.coverage_detail']", "固原市原州区")
    page.fill("[name='f.service_products.0.name']", "融资对接")
    page.fill("[name='f.staff']", "9")
    page.fill("[name='f.premises_sqm']", "180")
    for key, path in files.items():
        page.set_input_files(f"input[name='files.materials.{key}']", str(path))
    page.click("form[action='/apply/window'] button[type=submit]")
    page.wait_for_url(re.compile(r"/apply/window$"))
    assert "窗口平台接入申请已提交" in page.locator(".flash").inner_text()
    end = time.monotonic() + 60
    while "枢纽平台（自治区中小企业服务中心）" not in page.content() and time.monotonic() < end:
        time.sleep(0.5)  # the workflow opens the hub's review a moment after the application
        page.reload()
    body = page.content()
    assert "固原市中小企业窗口服务平台" in body and "枢纽平台（自治区中小企业服务中心）" in body
    assert page.locator("ol.stages li.on").inner_text() == "审核"
