"""In a real browser, by the pages of each role only (never the JSON API): a provider registers and is admitted
(签约服务机构准入), then an enterprise registers and takes a service voucher from its demand to its settlement —
choosing the bid from the comparison table, uploading its five materials through file pickers, following its
progress on its home page (issue 15). FLOW168_SCREENSHOTS=1 writes the README's screenshots to docs/img/."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import MAIN, Server
from tests.e2e.helpers import DEMO_PASSWORD, new_uscc
from tests.e2e.test_inbox_browser import browser  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "Browser-pass-168"
SHOTS = MAIN / "docs" / "img"


def until(page: Any, check: Callable[[], bool], *, what: str, timeout: float = 90) -> None:
    """Reload the page until `check` holds (the workflow moves a moment after a click)."""
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what} on {page.url}")
        time.sleep(0.7)
        page.reload()


class Person:
    """One user in a browser context of their own."""

    def __init__(self, browser: Any, base: str, username: str, password: str = DEMO_PASSWORD) -> None:  # noqa: F811
        self.base, self.username = base, username
        self.ctx = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="zh-CN")
        self.page = self.ctx.new_page()
        self.page.set_default_timeout(30_000)
        self.page.goto(f"{base}/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("form[action='/login'] button[type=submit]")
        self.page.wait_for_load_state()

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def open_task(self, case_id: str, title: str) -> None:
        """From the inbox, filtered by case, open the task of that title."""
        self.goto(f"/inbox?case_id={case_id}")
        link = self.page.locator("a.title", has_text=title)
        until(self.page, lambda: link.count() > 0, what=f"the task {title}")
        link.first.click()
        self.page.wait_for_url(re.compile(r"/tasks/"))

    def decide(self, case_id: str, title: str, button: str = "同意", fill: Callable[[Any], None] | None = None) -> None:
        self.open_task(case_id, title)
        if fill is not None:
            fill(self.page)
        self.page.click(f"#complete-form button[name=decision]:has-text('{button}')")
        self.page.wait_for_url(re.compile(r"/inbox$"))
        assert "已办理" in self.page.locator(".flash").inner_text()

    def own_step(self, title: str) -> None:
        """An applicant: from its home page, the step that is now its own."""
        self.goto("/home")
        link = self.page.locator("#todo li", has_text=title).locator("a", has_text="去办理")
        until(self.page, lambda: link.count() > 0, what=f"the applicant's step {title}")
        link.first.click()
        self.page.wait_for_url(re.compile(r"/tasks/"))

    def close(self) -> None:
        self.ctx.close()


def register(browser: Any, base: str, kind: str, **extra: str) -> tuple[str, str]:  # noqa: F811
    """Register through /register; returns the username and the registration's case id."""
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{base}/register")
    username = f"{kind[:4]}_{os.urandom(4).hex()}"
    page.check(f"input[name=kind][value={kind}]")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.fill("input[name=name]", f"宁夏浏览器{username[-6:]}有限公司")
    page.fill("input[name=uscc]", new_uscc())
    page.select_option("select[name=city]", "yinchuan")
    page.select_option("select[name=industry]", "software")
    page.select_option("select[name=size]", "small")
    page.fill("input[name=employees]", "30")
    page.fill("input[name=revenue]", "8000000")
    if kind == "provider":
        page.check("input[name=categories][value=credit]")
    page.fill("input[name=phone]", "13900000000")
    page.click("button:has-text('提交注册')")
    case_id = re.search(r"REG-\d{4}-[0-9a-f]+", page.content())
    assert case_id, page.content()[:2000]
    ctx.close()
    return username, case_id.group(0)


def test_a_provider_admitted_and_a_voucher_settled_by_the_pages(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base = server.base
    files = {}
    for name in ("licence", "premises", "photo", "statements", "social", "tax", "proof", "invoice"):
        files[name] = tmp_path / f"{name}.pdf"
        files[name].write_bytes(PDF)
    op1, op2 = Person(browser, base, "operator1"), Person(browser, base, "operator2")
    dep1, dep2 = Person(browser, base, "department1"), Person(browser, base, "department2")

    # --- the provider registers and is admitted (签约服务机构准入) ---------------------------------------------
    prov_user, reg = register(browser, base, "provider")
    op1.decide(reg, "注册")
    prov = Person(browser, base, prov_user, PASSWORD)
    assert prov.page.url.endswith("/home")
    prov.goto("/apply/provider_admission")
    prov.page.check("input[name='f.categories'][value=credit]")
    prov.page.fill("[name='f.service_items.0.name']", "企业信用评价")
    prov.page.fill("[name='f.service_items.0.price_fen']", "3000")
    prov.page.fill("[name='f.description']", "信用评价与信用修复")
    prov.page.set_input_files("input[name='files.materials']", str(files["licence"]))
    prov.page.click("form[action='/apply/provider_admission'] button[type=submit]")
    prov.page.wait_for_url(re.compile(r"/cases/PA-"))
    admission = prov.page.url.rsplit("/", 1)[-1]
    op1.decide(admission, "初审")
    expert = Person(browser, base, "expert2")
    expert.decide(admission, "专家评审", fill=lambda p: (p.fill("[name='f.score']", "86"),
                                                      p.fill("[name='f.opinion']", "服务能力较强")))
    dep1.decide(admission, "备案")

    # --- the enterprise registers and publishes its demand ---------------------------------------------------
    ent_user, reg = register(browser, base, "enterprise")
    op1.decide(reg, "注册")
    ent = Person(browser, base, ent_user, PASSWORD)
    assert ent.page.url.endswith("/home")
    ent.goto("/voucher")
    ent.page.select_option("select[name=category]", "credit")
    ent.page.fill("input[name=title]", "企业信用评价")
    ent.page.fill("[name=description]", "需要一份企业信用评价报告")
    ent.page.fill("input[name=budget]", "6000")
    ent.page.click("form[action='/voucher/demands'] button[type=submit]")
    found = re.search(r"VC-\d{4}-[0-9a-f]+", ent.page.locator(".flash").inner_text())
    assert found
    case_id = found.group(0)
    op1.decide(case_id, "需求审核")

    # --- the provider bids; bidding closes on the simulated clock (the admin's page) --------------------------
    prov.goto("/voucher/demands")
    form = prov.page.locator(f"form[action='/voucher/demands/{case_id}/bid']")
    until(prov.page, lambda: form.count() > 0, what="the open demand")
    form.locator("[name=amount]").fill("6000")
    form.locator("[name=plan]").fill("两周内完成信用评价并出具报告")
    form.locator("button[type=submit]").click()
    prov.page.wait_for_url(re.compile(r"/voucher/my-bids$"))
    admin = Person(browser, base, "admin")
    admin.goto("/admin")
    admin.page.fill("form[action='/admin/clock/advance'] input[name=days]", "12")
    admin.page.click("form[action='/admin/clock/advance'] button[type=submit]")

    # --- the enterprise compares the bids and chooses one -----------------------------------------------------
    ent.own_step("选择服务机构报价")
    assert ent.page.locator("#panel table.bids tbody tr").count() == 1
    assert "6,000.00 元" in ent.page.locator("#panel").inner_text()
    if os.environ.get("FLOW168_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        ent.page.locator("#panel").screenshot(path=str(SHOTS / "bid_comparison.png"))
    ent.page.click("#panel button:has-text('选择此报价')")
    ent.page.wait_for_url(re.compile(r"/inbox$"))
    op1.decide(case_id, "审核定标")

    # --- it applies with its five materials through file pickers ------------------------------------------------
    ent.own_step("申领服务券")
    ent.page.fill("[name='f.contract_amount_fen']", "6000")
    for key, name in (("premises_proof", "premises"), ("office_photo", "photo"),
                      ("financial_statements", "statements"), ("social_security_proof", "social"),
                      ("tax_payment_proof", "tax")):
        ent.page.set_input_files(f"input[name='files.materials.{key}']", str(files[name]))
    ent.page.click("#complete-form button[name=decision]:has-text('提交')")
    ent.page.wait_for_url(re.compile(r"/inbox$"))
    op1.open_task(case_id, "初审")
    assert "tax.pdf" in op1.page.content() and "未上传材料" not in op1.page.content()
    op1.decide(case_id, "初审")
    dep1.decide(case_id, "复审")

    # --- the provider reports the service done; the enterprise confirms and rates it ----------------------------
    prov.own_step("服务完成")
    prov.page.set_input_files("input[name='files.completion_proof']", str(files["proof"]))
    prov.page.set_input_files("input[name='files.invoice']", str(files["invoice"]))
    prov.page.fill("[name='f.paid_fen']", "3000")
    prov.page.click("#complete-form button[name=decision]:has-text('提交')")
    prov.page.wait_for_url(re.compile(r"/inbox$"))
    ent.goto("/home")
    until(ent.page, lambda: "轮到您办理" in ent.page.content(), what="the confirmation step")
    assert "比例 50%，年度上限 1 万元，本券 3,000 元" in ent.page.content()
    if os.environ.get("FLOW168_SCREENSHOTS"):
        ent.page.screenshot(path=str(SHOTS / "applicant_home.png"), full_page=True)
    ent.own_step("确认")
    ent.page.select_option("[name='f.satisfaction']", "satisfied")
    ent.page.click("#complete-form button[name=decision]:has-text('提交')")
    ent.page.wait_for_url(re.compile(r"/inbox$"))
    op2.decide(case_id, "结算审核", fill=lambda p: p.fill("[name='f.supervision_fee_bp']", "4"))
    dep2.decide(case_id, "结算核准")
    ent.goto("/home")
    until(ent.page, lambda: "已结算" in ent.page.locator(f"[data-case='{case_id}']").inner_text(),
          what="the settlement")
    for person in (op1, op2, dep1, dep2, expert, prov, ent, admin):
        person.close()
