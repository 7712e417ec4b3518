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
        link = self.page.locator("a.title", has_text=title)
        end = time.monotonic() + 90
        tabs = ("available", "mine")  # a task given to a named person (an expert drawn for the case) is its own
        n = 0
        while True:
            self.goto(f"/inbox?tab={tabs[n % 2]}&case_id={case_id}")
            if link.count() > 0:
                break
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for the task {title} of {case_id}")
            n += 1
            time.sleep(0.3)
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


def declare(page: Any) -> None:
    """The expert declares no conflict of interest before scoring (the form refuses a score without it)."""
    if page.locator("[name='f.no_conflict']").count():
        page.check("[name='f.no_conflict']")


def drawn_expert(browser: Any, base: str, case_id: str) -> Person:  # noqa: F811
    """The expert whose inbox holds the case's review (named when the panel is drawn), found through the pages."""
    end = time.monotonic() + 120
    while time.monotonic() < end:
        for n in range(1, 6):
            expert = Person(browser, base, f"expert{n}")
            for tab in ("mine", "available"):
                expert.goto(f"/inbox?tab={tab}&case_id={case_id}")
                if expert.page.locator("a.title", has_text="专家").count():
                    return expert
            expert.close()
        time.sleep(1)
    raise AssertionError(f"no expert holds the review of {case_id}")


def admitted_provider(browser: Any, base: str, licence: Path, op: Person, dep: Person, item: str,  # noqa: F811
                      description: str) -> Person:
    """A provider registers, applies for admission with one service item and is admitted, all through the pages."""
    prov_user, reg = register(browser, base, "provider")
    op.decide(reg, "注册")
    prov = Person(browser, base, prov_user, PASSWORD)
    assert prov.page.url.endswith("/home")
    prov.goto("/apply/provider_admission")
    prov.page.check("input[name='f.categories'][value=credit]")
    prov.page.fill("[name='f.service_items.0.name']", item)
    prov.page.fill("[name='f.service_items.0.price_fen']", "3000")
    prov.page.fill("[name='f.description']", description)
    prov.page.set_input_files("input[name='files.materials']", str(licence))
    for box in ("f.independent_legal_person", "f.pays_tax_in_ningxia"):  # 000 四: declared on the page, unticked at first
        if prov.page.locator(f"input[name='{box}']").count():
            prov.page.check(f"input[name='{box}']")
    prov.page.click("form[action='/apply/provider_admission'] button[type=submit]")
    prov.page.wait_for_url(re.compile(r"/cases/PA-"))
    admission = prov.page.url.rsplit("/", 1)[-1]
    op.decide(admission, "初审")
    expert = drawn_expert(browser, base, admission)  # the panel of 000 四 names its expert
    expert.decide(admission, "专家综合审定", fill=lambda p: (p.fill("[name='f.score']", "86"),
                                                      p.fill("[name='f.opinion']", "服务能力较强"), declare(p)))
    expert.close()
    dep.decide(admission, "备案")
    return prov


def bid(prov: Person, case_id: str, amount: str, plan: str) -> None:
    """A signed provider quotes on an open demand from its page."""
    prov.goto("/voucher/demands")
    form = prov.page.locator(f"form[action='/voucher/demands/{case_id}/bid']")
    until(prov.page, lambda: form.count() > 0, what="the open demand")
    form.locator("[name=amount]").fill(amount)
    form.locator("[name=plan]").fill(plan)
    form.locator("button[type=submit]").click()
    prov.page.wait_for_url(re.compile(r"/voucher/my-bids$"))


def test_a_provider_admitted_and_a_voucher_settled_by_the_pages(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base = server.base
    files = {}
    for name in ("licence", "premises", "photo", "statements", "social", "tax", "proof", "invoice"):
        files[name] = tmp_path / f"{name}.pdf"
        files[name].write_bytes(PDF)
    op1, op2 = Person(browser, base, "operator1"), Person(browser, base, "operator2")
    dep1, dep2 = Person(browser, base, "department1"), Person(browser, base, "department2")

    # --- two providers register and are admitted (签约服务机构准入) -------------------------------------------
    prov = admitted_provider(browser, base, files["licence"], op1, dep1, "企业信用评价", "信用评价与信用修复")
    rival = admitted_provider(browser, base, files["licence"], op2, dep2, "信用评价报告", "信用报告与信用培训")

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

    # --- both providers bid; bidding closes on the simulated clock (the admin's page) ------------------------
    bid(prov, case_id, "6000", "两周内完成信用评价并出具报告")
    bid(rival, case_id, "6800", "三周内完成信用评价，另附信用修复建议")
    admin = Person(browser, base, "admin")
    admin.goto("/admin")
    admin.page.fill("form[action='/admin/clock/advance'] input[name=days]", "12")
    admin.page.click("form[action='/admin/clock/advance'] button[type=submit]")

    # --- the enterprise compares the bids and chooses one -----------------------------------------------------
    ent.own_step("选择服务机构报价")
    rows = ent.page.locator("#panel table.bids tbody tr")
    assert rows.count() == 2
    assert "6,000.00 元" in rows.nth(0).inner_text() and "6,800.00 元" in rows.nth(1).inner_text()  # lowest first
    if os.environ.get("FLOW168_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        ent.page.locator("#panel").screenshot(path=str(SHOTS / "bid_comparison.png"))
    rows.nth(0).locator("button:has-text('选择此报价')").click()
    ent.page.wait_for_url(re.compile(r"/home$"))
    op1.decide(case_id, "审核定标")

    # --- it applies with its five materials through file pickers ------------------------------------------------
    ent.own_step("申领服务券")
    ent.page.fill("[name='f.contract_amount_fen']", "6000")
    for key, name in (("premises_proof", "premises"), ("office_photo", "photo"),
                      ("financial_statements", "statements"), ("social_security_proof", "social"),
                      ("tax_payment_proof", "tax")):
        ent.page.set_input_files(f"input[name='files.materials.{key}']", str(files[name]))
    ent.page.click("#complete-form button[name=decision]:has-text('提交')")
    ent.page.wait_for_url(re.compile(r"/home$"))
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
    prov.page.wait_for_url(re.compile(r"/home$"))
    ent.goto("/home")
    until(ent.page, lambda: "轮到您办理" in ent.page.content(), what="the confirmation step")
    assert "比例 50%，年度上限 1 万元，本券 3,000 元" in ent.page.content()
    if os.environ.get("FLOW168_SCREENSHOTS"):
        ent.page.screenshot(path=str(SHOTS / "applicant_home.png"), full_page=True)
    ent.own_step("确认")
    ent.page.select_option("[name='f.satisfaction']", "satisfied")
    ent.page.click("#complete-form button[name=decision]:has-text('提交')")
    ent.page.wait_for_url(re.compile(r"/home$"))
    op2.decide(case_id, "结算审核", fill=lambda p: p.fill("[name='f.supervision_fee_bp']", "4"))
    dep2.decide(case_id, "结算核准")
    ent.goto("/home")
    until(ent.page, lambda: "已结算" in ent.page.locator(f"[data-case='{case_id}']").inner_text(),
          what="the settlement")
    for person in (op1, op2, dep1, dep2, prov, rival, ent, admin):
        person.close()


CERT_FIGURES = {"years_operating": "5", "total_assets_fen": "3000000", "smes_served_last_year": "120",
                "smes_served_prev_year": "100", "satisfaction_pct": "92", "service_orgs_aggregated": "4",
                "public_benefit_share_pct": "30", "staff_serving_smes": "25", "qualified_staff_share_pct": "80"}


def test_a_certification_granted_by_the_pages(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base = server.base
    pdf = tmp_path / "material.pdf"
    pdf.write_bytes(PDF)
    op1, dep1, dep2 = (Person(browser, base, "operator1"), Person(browser, base, "department1"),
                       Person(browser, base, "department2"))
    # the department opens the year's call on its page (unless one is open)
    dep1.goto("/certification/calls")
    if dep1.page.locator("form[action='/certification/calls']").count() and "申报中" not in dep1.page.content():
        year = re.search(r"模拟时间 (\d{4})年", dep1.page.content())
        y = year.group(1) if year else "2026"
        dep1.page.fill("input[name=year]", y)
        dep1.page.fill("input[name=deadline]", f"{y}-12-31")
        dep1.page.fill("input[name=experts]", "3")
        dep1.page.click("form[action='/certification/calls'] button[type=submit]")
    user, reg = register(browser, base, "platform_org")
    op1.decide(reg, "注册")
    org = Person(browser, base, user, PASSWORD)
    assert org.page.url.endswith("/home")
    org.goto("/apply/certification")
    assert "目前不在申报期内" not in org.page.content()
    org.page.fill("[name='f.platform_name']", "银川市中小企业浏览器示范平台")
    org.page.select_option("[name='f.city']", "yinchuan")
    org.page.select_option("[name='f.org_type']", "enterprise")
    for name, value in CERT_FIGURES.items():
        org.page.fill(f"[name='f.{name}']", value)
    org.page.check("input[name='fn.information']")
    org.page.fill("[name='fn.information.smes_served_offline']", "60")
    org.page.fill("[name='fn.information.events']", "6")
    for picker in org.page.locator("input[type=file][name^='files.materials.']").all():
        picker.set_input_files(str(pdf))
    org.page.click("form[action='/apply/certification'] button[type=submit]")
    org.page.wait_for_url(re.compile(r"/cases/CT-"))
    case_id = org.page.url.rsplit("/", 1)[-1]

    city = Person(browser, base, "city_yinchuan")
    city.decide(case_id, "推荐", button="推荐", fill=lambda p: (
        p.fill("[name='f.opinion']", "运营规范，业绩突出"), p.fill("[name='f.scores.运营情况']", "90"),
        p.fill("[name='f.scores.服务业绩']", "88"), p.fill("[name='f.scores.用户满意度']", "93")))
    dep1.decide(case_id, "材料初审")
    scored = 0
    end = time.monotonic() + 120
    while scored < 3 and time.monotonic() < end:  # the three experts drawn for the case: each sees only its own task
        for n in range(1, 6):
            expert = Person(browser, base, f"expert{n}")
            expert.goto(f"/inbox?tab=mine&case_id={case_id}")
            mine = expert.page.locator("a.title", has_text="专家评审").count()
            expert.goto(f"/inbox?tab=available&case_id={case_id}")
            if mine or expert.page.locator("a.title", has_text="专家评审").count():
                expert.decide(case_id, "专家评审", fill=lambda p, n=n: (p.fill("[name='f.score']", str(80 + n)),
                                                                    p.fill("[name='f.opinion']", "材料齐全"), declare(p)))
                scored += 1
            expert.close()
        time.sleep(1)
    assert scored == 3
    dep1.decide(case_id, "实地", fill=lambda p: (p.check("[name='f.passed']"), p.fill("[name='f.report']", "场地设施齐全")))
    dep2.decide(case_id, "认定决定")
    org.goto("/home")
    until(org.page, lambda: "公示中" in org.page.content(), what="the public notice")
    admin = Person(browser, base, "admin")
    admin.goto("/admin")
    admin.page.fill("form[action='/admin/clock/advance'] input[name=days]", "12")
    admin.page.click("form[action='/admin/clock/advance'] button[type=submit]")
    org.goto("/home")
    until(org.page, lambda: "已认定" in org.page.locator(f"[data-case='{case_id}']").inner_text(), what="the title")
    for person in (op1, dep1, dep2, city, org, admin):
        person.close()
