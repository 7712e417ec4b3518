"""Window onboarding's pages in-process (no browser): the builder's application form with its uploads, the progress
it shows afterwards, the public window list, and the refusals a wrong role meets."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import Stack
from tests.helpers import PASSWORD, register_approved, wait_for

pytestmark = pytest.mark.workflow

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


async def page_login(stack: Stack, username: str, password: str = PASSWORD) -> httpx.AsyncClient:
    """A browser-like client of its own (own cookies) on the same app."""
    c = httpx.AsyncClient(transport=stack.http._transport, base_url="http://flow168.test", timeout=60)
    r = await c.post("/login", data={"csrf_token": csrf_of((await c.get("/login")).text), "username": username,
                                     "password": password})
    assert r.status_code in (302, 303), r.text
    return c


class TestApplyPage:
    async def test_apply_then_see_the_progress(self, stack: Stack) -> None:
        _, body = await register_approved(stack.http, "platform_org")
        c = await page_login(stack, body["username"])
        form = await c.get("/apply/window")
        assert form.status_code == 200 and "窗口平台接入申请" in form.text and "信息安全保障措施" in form.text
        fields = {"csrf_token": csrf_of(form.text), "idem": "idem-window-page", "f.platform_name": "吴忠市窗口服务平台",
                  "f.city": "wuzhong", "f.coverage": "industry", "f.coverage_detail": "枸杞加工",
                  "f.service_products.0.name": "技术咨询", "f.service_products.0.description": "加工工艺改进",
                  "f.staff": "8", "f.premises_sqm": "150"}
        files = {f"files.materials.{k}": (f"{k}.pdf", PDF, "application/pdf")
                 for k in ("application_form", "service_capability")}
        r = await c.post("/apply/window", data=fields, files=files)
        assert r.status_code == 422 and "请上传信息安全保障措施" in r.text  # one material missing
        files["files.materials.security_measures"] = ("security.pdf", PDF, "application/pdf")
        r = await c.post("/apply/window", data={**fields, "csrf_token": csrf_of(r.text)}, files=files)
        assert r.status_code == 303 and r.headers["location"] == "/apply/window", r.text

        async def hub_due() -> str | None:
            text = (await c.get("/apply/window")).text
            return text if "枢纽平台（自治区中小企业服务中心）" in text else None

        page = await wait_for(hub_due, what="the hub's review in the progress")
        assert "吴忠市窗口服务平台" in page and '<li class="on">审核</li>' in page  # the stage, who acts, by when
        assert "提交申请" not in page  # one open onboarding: no second form
        await c.aclose()

    async def test_the_public_list_is_public_and_apply_is_for_builders(self, stack: Stack) -> None:
        anon = httpx.AsyncClient(transport=stack.http._transport, base_url="http://flow168.test", timeout=60)
        r = await anon.get("/public/windows")
        assert r.status_code == 200 and "窗口平台" in r.text
        r = await anon.get("/apply/window", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        await anon.aclose()
        op = await page_login(stack, "operator1", "demo168")
        assert (await op.get("/apply/window")).status_code == 403
        await op.aclose()
