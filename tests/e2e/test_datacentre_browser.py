"""In a real browser: the data centre's dashboards (charts drawn server-side, their tables and exports), the service
levels, the national platform's reporting page, and the operations console (bulk actions, workflow-task failures, a
case's engine history). With FLOW168_SCREENSHOTS=1 the screenshots are written to docs/img/ for the README."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.e2e.conftest import Server
from tests.e2e.helpers import register, wait_until
from tests.e2e.test_inbox_browser import browser  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
CITIES = ["yinchuan", "shizuishan", "wuzhong", "guyuan", "zhongwei"]
CATS = ["cloud", "credit", "informatization", "financial_informatization"]
SATS = ["satisfied", "satisfied", "basic", "unsatisfied"]


def _shot(page, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if os.environ.get("FLOW168_SCREENSHOTS") == "1":
        IMG.mkdir(parents=True, exist_ok=True)
        (IMG / f"{name}.png").write_bytes(path.read_bytes())


def _login(browser, server: Server, username: str):  # type: ignore[no-untyped-def]  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.set_default_timeout(30_000)
    page.goto(f"{server.base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo168")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.fixture(scope="module")
def programme(server: Server) -> int:
    """A year of the programme written straight into the server's database: vouchers over the months and cities with
    their fund rows, certifications and windows, assessment results (the demo data has no history)."""
    eng = sa.create_engine(f"sqlite:///{server.data_dir / 'flow168.db'}")
    now = datetime.now(UTC)
    year = now.year
    md = sa.MetaData()
    md.reflect(eng, only=["case", "fundreservation", "organization", "task"])
    case_t, fund_t, org_t, task_t = (md.tables[n] for n in ("case", "fundreservation", "organization", "task"))
    tag = uuid.uuid4().hex[:4]
    with eng.begin() as c:
        org_id = c.execute(org_t.insert().values(kind="enterprise", name=f"演示企业{tag}", city="yinchuan",
                                                 categories=[], signed=False, blacklisted=False, specialized=False,
                                                 created_at=now)).inserted_primary_key[0]
        n = 0
        for month in range(1, now.month + 1):
            for k in range(3 + month % 4):
                n += 1
                city, cat = CITIES[(n * 7 + k) % 5], CATS[(n + k) % 4]
                at = datetime(year, month, min(3 + 2 * k, 28), 3, tzinfo=UTC)
                amount = 50_000_00 + (n % 5) * 20_000_00
                settled = month < now.month or k % 2 == 0
                v = {"issued_on": at.date().isoformat(), "amount_fen": amount,
                     "provider_name": f"宁夏{'甲乙丙丁戊'[n % 5]}科技服务公司", "satisfaction": SATS[n % 4]}
                if settled:
                    v.update(settled_on=(at + timedelta(days=10)).date().isoformat(), settled_fen=amount - 5_000_00)
                cid = f"VC-DEMO-{tag}-{n}"
                c.execute(case_t.insert().values(id=cid, type="voucher", status="settled" if settled else "reserved",
                                                 title="服务券", applicant="演示企业", city=city, policy_version="",
                                                 data={"category": cat}, result={"voucher": v}, created_at=at, updated_at=at,
                                                 closed_at=at if settled else None))
                c.execute(fund_t.insert().values(case_id=cid, year=year, enterprise_org_id=org_id, amount_fen=amount,
                                                 settled_fen=amount - 5_000_00 if settled else 0,
                                                 state="settled" if settled else ("waitlisted" if k == 3 else "reserved"),
                                                 priority_group=1, submitted_at=at, seq=n, updated_at=at + timedelta(days=10)))
        steps = [("voucher.first_review", "operator", 6), ("voucher.settlement_review", "operator", 20),
                 ("voucher.delivery", "provider", 70), ("registration.review", "operator", 3)]
        for i in range(40):  # tasks of the last four weeks, some late, a few still open
            typ, role, hours = steps[i % 4]
            opened = now - timedelta(days=28 - (i * 7) % 27, hours=i % 5)
            done = opened + timedelta(hours=hours * (0.5 + (i % 7) / 4))
            open_now = i % 9 == 0
            c.execute(task_t.insert().values(
                id=f"VC-DEMO-{tag}-1.t{i}", case_id=f"VC-DEMO-{tag}-1", type=typ, title=typ, summary="", role=role,
                status="claimed" if open_now else "completed", decisions=["approve"], form="", excluded_users=[],
                opened_at=opened, due_working_days=3, due_at=opened + timedelta(hours=hours * 1.2),
                due_confirmed=True, due_fixed=False, data={}, assignee=f"operator{1 + i % 2}",
                completed_at=None if open_now else done, completed_by=None if open_now else f"operator{1 + i % 2}"))
        for i in range(14):
            typ = "certification" if i % 2 else "window_onboarding"
            st = ["approved", "in_review", "rejected", "approved"][i % 4]
            c.execute(case_t.insert().values(id=f"CT-DEMO-{tag}-{i}", type=typ, status=st, title="认定", applicant="",
                                             city=CITIES[i % 5], policy_version="", data={}, result={}, created_at=now,
                                             updated_at=now))
        for y in (year - 2, year - 1, year):
            for i in range(9):
                rating = ["excellent", "qualified", "qualified", "failed"][(i + y) % 4]
                c.execute(case_t.insert().values(id=f"AS-DEMO-{tag}-{y}-{i}", type="assessment", status="rated", title="考核",
                                                 applicant="", city=CITIES[i % 5], policy_version="", data={"year": y},
                                                 result={"rating": rating}, created_at=now, updated_at=now, closed_at=now))
    eng.dispose()
    return year


def test_dashboard_shows_charts_tables_and_exports(server: Server, browser, programme: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _login(browser, server, "department1")
    page.click("nav.mainnav >> text=数据中心")
    page.wait_for_url(re.compile(r"/datacentre"))
    imgs = page.locator("section.chart-card figure img")
    assert imgs.count() == 7
    page.wait_for_function("Array.from(document.querySelectorAll('figure img')).every(i => i.complete && i.naturalWidth > 0)")
    assert "年服务券资金使用进度" in page.locator("#chart-fund h2").inner_text()
    assert page.locator("#chart-fund table tbody tr").count() >= 1
    _shot(page, tmp_path, "datacentre-dashboard")
    page.locator("#chart-fund figure").screenshot(path=str(tmp_path / "fund.png"))
    if os.environ.get("FLOW168_SCREENSHOTS") == "1":
        for name in ("fund", "vouchers_by_city", "providers", "processing", "certifications", "assessments"):
            page.locator(f"#chart-{name} figure").screenshot(path=str(IMG / f"chart-{name}.png"))
    with page.expect_download() as dl:
        page.click("#chart-vouchers_by_city >> text=XLSX")
    assert dl.value.suggested_filename.endswith(".xlsx")
    with page.expect_download() as dl:
        page.click("text=月报告（Word）")
    assert dl.value.suggested_filename.endswith(".docx")
    page.close()


def test_city_bureau_sees_its_slice(server: Server, browser, programme: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _login(browser, server, "city_guyuan")
    page.goto(f"{server.base}/datacentre")
    assert "您看到的是固原市的数据" in page.content()
    rows = page.locator("#chart-vouchers_by_city table tbody tr td:first-child").all_text_contents()
    assert set(rows) <= {"固原市", "暂无数据"}
    assert page.locator("text=国家平台数据报送").count() == 0
    page.close()


def test_service_levels_page(server: Server, browser, programme: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ent = register(server.base, city="wuzhong")
    page = _login(browser, server, "department1")
    page.goto(f"{server.base}/datacentre/service-levels")
    page.select_option("select[name=by]", "type")
    with page.expect_navigation():  # the form's own navigation ends before the page is reloaded (a reload during it
        page.click("button:has-text('统计')")  # failed once with "Not attached to an active page")
    wait_until(lambda: (page.reload(), page.locator("tr[data-group='registration.review']").count())[1], what="a row")
    assert page.locator("tr[data-group='registration.review']").count() == 1
    _shot(page, tmp_path, "datacentre-service-levels")
    assert ent.case_id
    page.close()


def test_reporting_page_sends_and_records(server: Server, browser, programme: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _login(browser, server, "department1")
    page.goto(f"{server.base}/datacentre/reporting")
    page.fill("#send-form input[name=year]", str(programme))
    page.fill("#send-form input[name=month]", "3")
    page.click("#send-form button")
    page.wait_for_selector(f"#exports td:has-text('{programme}-03')")
    assert "已生成并记录" in page.content()
    _shot(page, tmp_path, "datacentre-reporting")
    page.close()


def test_operations_console_batch_extend(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ent = register(server.base, city="shizuishan")
    token = httpx.post(f"{server.base}/api/auth/token", json={"username": "admin", "password": "demo168"},
                       timeout=60).json()["access_token"]
    wait_until(lambda: httpx.get(f"{server.base}/api/tasks", params={"case_id": ent.case_id},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=60).json()["items"],
               what="the registration review")
    page = _login(browser, server, "admin")
    page.goto(f"{server.base}/admin")
    page.click("text=批量处理案件")
    page.select_option("select[name=city]", "shizuishan")
    page.click("form.filters button")
    row = page.locator(f"#case-list tr[data-case='{ent.case_id}']")
    row.locator("input[name=case_ids]").check()
    page.select_option("select[name=action]", "extend")
    page.fill("input[name=working_days]", "3")
    page.fill("input[name=reason]", "企业申请补正材料")
    page.on("dialog", lambda d: d.accept())
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#batch-results")
    assert page.locator(f"#batch-results tr[data-case='{ent.case_id}']").inner_text().count("成功") == 1
    _shot(page, tmp_path, "ops-batch")
    page.close()


def test_case_history_beside_the_temporal_link(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ent = register(server.base, city="zhongwei")
    page = _login(browser, server, "admin")
    page.goto(f"{server.base}/cases/{ent.case_id}")
    page.click("text=流程历史（与 Temporal 对照）")
    page.wait_for_selector("#engine-timeline li")
    assert "流程启动" in page.locator("#engine-timeline").inner_text()
    assert page.locator("#case-timeline li").count() >= 1
    _shot(page, tmp_path, "ops-history")
    page.close()


def test_workflow_problems_page(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _login(browser, server, "admin")
    page.goto(f"{server.base}/admin/workflow-problems")
    assert "已检查" in page.locator("main").inner_text()
    page.close()
