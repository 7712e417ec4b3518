"""The voucher and certification pages over plain HTTP against a running flow168: demands, bids, the fund,
public notices, the department's yearly call."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import (
    DEMO_PASSWORD,
    Registered,
    api_login_status,
    csrf_of,
    messages,
    page_login,
    register,
    wait_until,
)

pytestmark = pytest.mark.e2e


def _api(base: str, username: str, password: str = DEMO_PASSWORD) -> httpx.Client:
    r = httpx.post(f"{base}/api/auth/token", json={"username": username, "password": password}, timeout=60)
    assert r.status_code == 200, r.text
    return httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {r.json()['access_token']}"})


def _decide(base: str, username: str, case_id: str, task_type: str, decision: str = "approve",
            data: dict[str, Any] | None = None) -> None:
    """Complete the case's open task of that type as that user, through the JSON API."""
    api = _api(base, username)

    def task_id() -> str | None:
        items = api.get("/api/tasks", params={"type": task_type, "case_id": case_id}).json()["items"]
        return items[0]["id"] if items else None

    tid = wait_until(task_id, what=f"the task {task_type} of {case_id}")
    api.post(f"/api/tasks/{tid}/claim")
    r = api.post(f"/api/tasks/{tid}/complete", json={"decision": decision, "comment": "同意", "data": data or {}})
    assert r.status_code < 300, r.text


def _active(base: str, kind: str, **org: Any) -> Registered:
    """A registered organisation whose registration the operator approved."""
    reg = register(base, kind=kind, **org)
    _decide(base, "operator1", reg.case_id, "registration.review")
    wait_until(lambda: api_login_status(base, reg.username, reg.password) == 200, what="the account")
    return reg


def _signed_provider(base: str, category: str) -> Registered:
    prov = _active(base, "provider", categories=[category])
    api = _api(base, prov.username, prov.password)
    up = api.post("/api/uploads", files={"file": ("执业许可证.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert up.status_code == 201, up.text
    r = api.post("/api/cases", json={"type": "provider_admission", "data": {
        "categories": [category], "service_items": [{"name": "专利申请代理", "price_fen": 300_000}],
        "description": "知识产权服务", "licences": [up.json()["id"]]}})  # IP agency: licensed (000 四)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    _decide(base, "operator1", case_id, "provider_admission.operator_review")
    # The blind panel of 000 四 (3 named experts): each decides its own task.
    op = _api(base, "operator1")
    experts = wait_until(lambda: op.get(f"/api/cases/{case_id}").json()["result"].get("experts"), what="the panel")
    for expert in experts:  # each panel task is assigned by name: it is in the expert's own inbox ("mine")
        ex = _api(base, expert)
        tid = wait_until(lambda ex=ex: next(iter(ex.get("/api/tasks", params={
            "scope": "mine", "type": "provider_admission.expert_review", "case_id": case_id}).json()["items"]),
            {}).get("id"), what=f"{expert}'s panel task")
        r = ex.post(f"/api/tasks/{tid}/complete", json={"decision": "approve", "comment": "同意",
                                                        "data": {"score": 90, "opinion": "同意", "no_conflict": True}})
        assert r.status_code < 300, r.text
    _decide(base, "department1", case_id, "provider_admission.department_filing")
    wait_until(lambda: api.get(f"/api/cases/{case_id}").json()["status"] == "filed", what="the filing")
    return prov


def test_enterprise_publishes_a_demand_and_a_provider_of_its_category_sees_it(server: Server) -> None:
    ent = _active(server.base, "enterprise")
    web = page_login(server.base, ent.username, ent.password)
    html = web.get("/voucher").text
    assert "发布服务需求" in html and 'href="/voucher"' in html
    token = csrf_of(html)
    idem = re.search(r'name="idem" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "idem": idem, "category": "ip", "title": "专利申请代理服务",
            "description": "申请两项发明专利", "budget": "abc"}
    r = web.post("/voucher/demands", data=form)
    assert r.status_code == 422 and "请输入预算金额" in r.text and 'value="专利申请代理服务"' in r.text
    r = web.post("/voucher/demands", data={**form, "budget": "12,000.50"}, follow_redirects=True)
    assert r.status_code == 200 and "服务需求已提交" in r.text, messages(r.text)
    case_id = re.findall(r'data-case="([^"]+)"', r.text)[0]
    row = r.text[r.text.index(f'data-case="{case_id}"'):].split("</tr>")[0]
    assert "专利申请代理服务" in row and "12,000.50 元" in row and ("审核中" in row or "已提交" in row), row
    again = web.post("/voucher/demands", data={**form, "budget": "12,000.50"}, follow_redirects=True)
    assert re.findall(r'data-case="([^"]+)"', again.text) == [case_id]  # the same idempotency key: the same case
    r = web.post("/voucher/demands", data={**form, "idem": "another-key", "budget": "800"})
    assert r.status_code == 409 and "同一服务项目只能有一个" in r.text
    assert web.post("/voucher/demands", data={**form, "csrf_token": "forged"}).status_code == 403

    prov = _signed_provider(server.base, "ip")
    pv = page_login(server.base, prov.username, prov.password)
    assert case_id not in pv.get("/voucher/demands").text  # not published before the operator's review
    _decide(server.base, "operator1", case_id, "voucher.demand_review")

    def demands() -> str | None:
        text = pv.get("/voucher/demands").text
        return text if case_id in text else None

    html = wait_until(demands, what="the demand open for bidding")
    assert "专利申请代理服务" in html and "12,000.50 元" in html and "提交报价" in html
    token = csrf_of(html)
    r = pv.post(f"/voucher/demands/{case_id}/bid", data={"csrf_token": token, "amount": "-3", "plan": ""},
                follow_redirects=True)
    assert "请输入报价金额" in r.text
    r = pv.post(f"/voucher/demands/{case_id}/bid", data={"csrf_token": token, "amount": "9,800", "plan": "两项专利"},
                follow_redirects=True)
    assert r.status_code == 200 and str(r.url).endswith("/voucher/my-bids"), messages(r.text)
    assert case_id in r.text and "9,800.00 元" in r.text and "已报价" in r.text
    r = pv.post(f"/voucher/demands/{case_id}/bid", data={"csrf_token": token, "amount": "9,000"},
                follow_redirects=True)
    assert "每个机构只能报价一次" in r.text
    assert "竞标中" in web.get("/voucher").text
    assert web.get("/voucher/demands").status_code == 403  # an enterprise bids on nothing
    other = page_login(server.base, _active(server.base, "provider", categories=["legal"]).username,
                       "S3cure-pass-168")
    assert case_id not in other.get("/voucher/demands").text  # neither signed nor of the category


def test_fund_page_for_staff_only(server: Server) -> None:
    op = page_login(server.base, "operator1")
    r = op.get("/voucher/fund", params={"year": "2091"})
    assert r.status_code == 200 and "服务券资金 · 2091年度" in r.text
    for label in ("资金总额", "已预留", "已结算", "可用余额", "候补", "月度统计报表"):
        assert label in r.text, label
    assert re.search(r"[\d,]+\.\d\d 元", r.text)
    assert 'action="/voucher/fund/2091"' not in r.text  # only the department sets the total (003 art. 3)
    assert op.get("/voucher/fund", params={"year": "abc"}).status_code == 200
    assert 'action="/voucher/fund/2091"' not in page_login(server.base, "admin").get("/voucher/fund?year=2091").text

    admin = page_login(server.base, "department1")
    html = admin.get("/voucher/fund?year=2091").text
    token = csrf_of(html)
    r = admin.post("/voucher/fund/2091", data={"csrf_token": token, "total": "x"}, follow_redirects=True)
    assert "请输入资金总额" in r.text
    r = admin.post("/voucher/fund/2091", data={"csrf_token": token, "total": "1,234,567.89"}, follow_redirects=True)
    assert r.status_code == 200 and "已将 2091 年服务券资金总额设为 1,234,567.89 元" in r.text, messages(r.text)
    assert "1,234,567.89 元" in op.get("/voucher/fund?year=2091").text
    assert op.post("/voucher/fund/2091", data={"csrf_token": csrf_of(html), "total": "1"}).status_code == 403

    ent = page_login(server.base, _active(server.base, "enterprise").username, "S3cure-pass-168")
    r = ent.get("/voucher/fund", follow_redirects=False)
    assert r.status_code == 403 and "1,234,567.89" not in r.text
    anon = httpx.get(f"{server.base}/voucher/fund", follow_redirects=False, timeout=30)
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login")


def test_public_notices_page_renders(server: Server) -> None:
    r = httpx.get(f"{server.base}/public/notices", timeout=30)
    assert r.status_code == 200 and "公示" in r.text
    anon = httpx.Client(base_url=server.base, timeout=30)
    token = csrf_of(anon.get("/login").text)  # no notice is open here, so no objection form to read it from
    r = anon.post("/public/notices/NO-SUCH-CASE/objection",
                  data={"csrf_token": token, "name": "", "contact": "", "reason": "不实"}, follow_redirects=True)
    assert r.status_code == 200 and "异议未提交" in r.text, messages(r.text)


def test_department_opens_a_yearly_call(server: Server) -> None:
    dep = page_login(server.base, "department1")
    html = dep.get("/certification/calls").text
    assert "发布申报通知" in html
    token = csrf_of(html)
    r = dep.post("/certification/calls", data={"csrf_token": token, "year": "2090", "deadline": "not-a-date"})
    assert r.status_code == 422 and "截止日期" in r.text
    r = dep.post("/certification/calls", data={"csrf_token": token, "year": "2090", "deadline": "2090-03-31",
                                               "experts": "3", "title": ""}, follow_redirects=True)
    assert r.status_code == 200 and "已发布「2090年度自治区中小企业公共服务示范平台申报」" in r.text, messages(r.text)
    assert 'data-call="2090"' in r.text and "受理中" in r.text
    r = dep.post("/certification/calls", data={"csrf_token": token, "year": "2090", "deadline": "2090-04-30"})
    assert r.status_code == 409 and "每年只发布一次" in r.text
    assert dep.post("/certification/calls", data={"year": "2090", "deadline": "2090-04-30"}).status_code == 403
    assert page_login(server.base, "operator1").get("/certification/calls").status_code == 200
    ent = page_login(server.base, _active(server.base, "enterprise").username, "S3cure-pass-168")
    assert ent.get("/certification/calls").status_code == 403


def test_platform_applies_and_an_unmet_condition_is_explained_in_chinese(server: Server) -> None:
    dep = page_login(server.base, "department1")
    token = csrf_of(dep.get("/certification/calls").text)
    dep.post("/certification/calls", data={"csrf_token": token, "year": "2090", "deadline": "2090-03-31"})
    org = _active(server.base, "platform_org", city="yinchuan")
    web = page_login(server.base, org.username, org.password)
    html = web.get("/apply/certification").text
    assert "示范平台申报" in html and "服务功能" in html and "files.materials.licence" in html
    token, idem = csrf_of(html), re.search(r'name="idem" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "idem": idem, "f.platform_name": "银川端到端服务平台", "f.city": "yinchuan",
            "f.org_type": "enterprise", "f.years_operating": "1", "f.total_assets_fen": "100",
            "f.smes_served_last_year": "10", "f.smes_served_prev_year": "10", "f.satisfaction_pct": "90",
            "f.service_orgs_aggregated": "3", "f.public_benefit_share_pct": "30", "f.staff_serving_smes": "12",
            "f.qualified_staff_share_pct": "70"}
    r = web.post("/apply/certification", data=form)
    assert r.status_code == 422 and "请至少勾选并填写一项服务功能" in r.text, messages(r.text)
    r = web.post("/apply/certification", data={**form, "fn.technology": "on", "fn.technology.events": "1"})
    assert r.status_code == 422 and "不符合示范平台申报条件" in r.text, messages(r.text)
    assert 'value="银川端到端服务平台"' in r.text
    assert web.post("/apply/certification", data={**form, "csrf_token": "x"}).status_code == 403
    assert page_login(server.base, "operator1").get("/apply/certification").status_code == 403


def test_department_sets_a_policy_versions_numbers_on_the_fund_page(server: Server) -> None:
    admin = page_login(server.base, "department1")  # 003 art. 3: the department sets the voucher standards
    html = admin.get("/voucher/fund").text
    assert "政策版本参数" in html and 'action="/voucher/policies/2017"' in html
    token = csrf_of(html)
    form = {"csrf_token": token, "bidding_working_days": "7", "voucher_validity_days": "20",
            "expiry_reminder_days": "30，7", "supervision_fee_pct": "4.5"}
    r = admin.post("/voucher/policies/2017", data=form, follow_redirects=True)
    assert "有效期应为30至730之间的整数" in r.text, messages(r.text)
    r = admin.post("/voucher/policies/2017", data={**form, "voucher_validity_days": "200", "supervision_fee_pct": "7"},
                   follow_redirects=True)
    assert "监理服务费率应在3%至6%之间" in r.text, messages(r.text)
    r = admin.post("/voucher/policies/2017", data={**form, "voucher_validity_days": "200"}, follow_redirects=True)
    assert "已保存2017年版服务券政策参数" in r.text, messages(r.text)
    api = _api(server.base, "operator1")
    try:
        got = {p["code"]: p for p in api.get("/api/admin/voucher-policies").json()["items"]}["2017"]
        assert (got["bidding_working_days"], got["voucher_validity_days"], got["expiry_reminder_days"],
                got["supervision_fee_bp"]) == (7, 200, [30, 7], 450)
        op = page_login(server.base, "operator1")
        row = op.get("/voucher/fund").text.split('data-policy="2017"')[1].split("</tr>")[0]
        assert "200" in row and "4.5%" in row and "<input" not in row  # staff see them; only the department edits
        assert op.post("/voucher/policies/2017", data=form).status_code == 403
    finally:
        assert _api(server.base, "department1").put("/api/admin/voucher-policies/2017", json={}).status_code == 200


def test_enterprise_withdraws_and_operator_voids_from_the_case_page(server: Server) -> None:
    ent = _active(server.base, "enterprise")
    api = _api(server.base, ent.username, ent.password)
    ids = []
    for title in ("信用评价服务", "法律顾问服务"):
        r = api.post("/api/cases", headers={"Idempotency-Key": f"{ent.username}-{len(ids)}"}, json={"type": "voucher", "data": {
            "category": "credit" if title.startswith("信用") else "legal", "title": title, "budget_fen": 500_000}})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    web = page_login(server.base, ent.username, ent.password)
    html = web.get(f"/cases/{ids[0]}").text
    assert "撤回服务券案件" in html and "作废服务券" not in html
    r = web.post(f"/cases/{ids[0]}/withdraw", data={"csrf_token": csrf_of(html), "reason": ""}, follow_redirects=True)
    assert "请填写撤回理由" in r.text
    r = web.post(f"/cases/{ids[0]}/withdraw", data={"csrf_token": csrf_of(html), "reason": "需求已解决"},
                 follow_redirects=True)
    assert "已撤回该服务券案件" in r.text, messages(r.text)
    wait_until(lambda: api.get(f"/api/cases/{ids[0]}").json()["status"] == "withdrawn", what="the withdrawal")
    assert "已撤回" in web.get("/voucher").text

    dep = page_login(server.base, "operator1")  # 003 art. 11(1): the operating unit voids
    html = dep.get(f"/cases/{ids[1]}").text
    assert "作废服务券" in html and "撤回服务券案件" not in html and 'name="responsible_person"' in html
    r = dep.post(f"/cases/{ids[1]}/void", data={"csrf_token": csrf_of(html), "reason": "虚构服务需求",
                                                 "responsible_person": "赵某"}, follow_redirects=True)
    assert "已作废该服务券" in r.text, messages(r.text)
    wait_until(lambda: api.get(f"/api/cases/{ids[1]}").json()["status"] == "void", what="the void")
    html = dep.get(f"/cases/{ids[1]}").text
    assert "关于作废" in html and "作废服务券</h2>" not in html  # the decision is listed; the form is gone
    r = web.post(f"/cases/{ids[1]}/withdraw", data={"csrf_token": csrf_of(web.get('/voucher').text),
                                                     "reason": "晚了"}, follow_redirects=True)
    assert "不能再办理" in r.text or "流程已结束" in r.text, messages(r.text)


def test_enterprise_declares_its_priority_with_proof_on_the_voucher_page(server: Server) -> None:
    """003 art. 11(3): the declaration with its proof opens the operator's verification task; nothing counts before."""
    ent = _active(server.base, "enterprise")
    web = page_login(server.base, ent.username, ent.password)
    html = web.get("/voucher").text
    assert "优先申领资格" in html and "尚未核验" in html
    r = web.post("/voucher/priority", data={"csrf_token": csrf_of(html), "credit_rating": "AA"},
                 files={"files.materials.credit_rating_proof": ("评级报告.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
                 follow_redirects=True)
    assert "优先申领资格申报已提交" in r.text, messages(r.text)
    r = web.post("/voucher/priority", data={"csrf_token": csrf_of(r.text), "specialized": "1"}, follow_redirects=True)
    assert "未提交" in r.text, messages(r.text)  # a claim without its proof
    op = _api(server.base, "operator1")
    wait_until(lambda: any(t["type"] == "priority_verification.review" and t["title"]
                           for t in op.get("/api/tasks", params={"limit": 200}).json()["items"]),
               what="the verification task")
