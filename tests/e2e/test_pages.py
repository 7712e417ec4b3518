"""The HTML pages over plain HTTP against a running flow168 (no browser): redirects, CSRF, scope, forms."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import (
    DEMO_PASSWORD,
    PASSWORD,
    api_login_status,
    csrf_of,
    messages,
    new_uscc,
    page_client,
    page_login,
    register,
    wait_until,
)

pytestmark = pytest.mark.e2e


def test_anonymous_inbox_redirects_to_login(server: Server) -> None:
    r = httpx.get(f"{server.base}/inbox?tab=mine", follow_redirects=False, timeout=30)
    assert r.status_code in (302, 303, 307)
    assert r.headers["location"] == "/login?next=%2Finbox%3Ftab%3Dmine"
    login = httpx.get(f"{server.base}{r.headers['location']}", timeout=30)
    assert login.status_code == 200 and 'name="next" value="/inbox?tab=mine"' in login.text


def test_public_providers_lists_the_seeded_2019_providers(server: Server) -> None:
    r = httpx.get(f"{server.base}/public/providers", timeout=30)
    assert r.status_code == 200 and "宁夏向量信息技术有限公司" in r.text
    found = httpx.get(f"{server.base}/public/providers", params={"q": "向量"}, timeout=30)
    assert "宁夏向量信息技术有限公司" in found.text and found.text.count("<tr data-provider=") == 1  # one row
    for path in ("/public/notices", "/public/platforms", "/", "/login", "/register"):
        assert httpx.get(f"{server.base}{path}", timeout=30).status_code == 200, path


def test_a_post_without_the_csrf_token_is_refused(server: Server) -> None:
    anon = page_client(server.base)
    r = anon.post("/login", data={"username": "operator1", "password": DEMO_PASSWORD})
    assert r.status_code == 403 and "安全校验失败" in r.text
    assert anon.get("/inbox", follow_redirects=False).status_code == 303  # not logged in
    op = page_login(server.base, "operator1")
    for path in ("/tasks/anything/claim", "/tasks/anything/complete", "/logout", "/notifications/read"):
        r = op.post(path, data={"decision": "approve"})
        assert r.status_code == 403 and "安全校验失败" in r.text, path
        r = op.post(path, data={"csrf_token": "forged", "decision": "approve"})
        assert r.status_code == 403, path
    assert op.get("/inbox").status_code == 200  # still logged in: the refused logout did nothing


def test_a_city_bureau_sees_only_its_own_city(server: Server) -> None:
    mine = register(server.base, city="yinchuan")
    other = register(server.base, city="zhongwei")
    city = page_login(server.base, "city_yinchuan")
    for query in ({}, {"city": "zhongwei"}, {"q": other.name}, {"type": "registration"}):
        r = city.get("/cases", params=query)
        assert r.status_code == 200
        shown = re.findall(r'data-case="([^"]+)"', r.text)
        assert other.case_id not in shown and other.case_id not in r.text, query
    assert mine.case_id in re.findall(r'data-case="([^"]+)"', city.get("/cases").text)
    assert city.get(f"/cases/{other.case_id}").status_code == 404
    assert city.get(f"/cases/{mine.case_id}").status_code == 200
    staff = page_login(server.base, "operator2").get("/cases").text
    assert mine.case_id in staff and other.case_id in staff


def test_login_explains_in_chinese_why_it_failed(server: Server) -> None:
    pending = register(server.base)
    c = page_client(server.base)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"csrf_token": token, "username": pending.username, "password": pending.password})
    assert r.status_code == 403 and "账户正在等待运营单位审核" in r.text
    r = c.post("/login", data={"csrf_token": token, "username": "operator2", "password": "wrong-password"})
    assert r.status_code == 401 and "用户名或密码错误" in r.text and 'value="operator2"' in r.text


def test_registration_form_shows_errors_in_chinese_and_keeps_the_input(server: Server) -> None:
    c = page_client(server.base)
    token = csrf_of(c.get("/register").text)
    form = {"csrf_token": token, "kind": "provider", "username": "x", "password": "short", "password2": "other",
            "name": "宁夏表单测试有限公司", "uscc": "91640100ABC", "city": "beijing", "size": "large",
            "employees": "三十", "revenue": "12.345", "industry": "software"}
    r = c.post("/register", data=form)
    assert r.status_code == 422
    shown = " ".join(messages(r.text))
    for words in ("至少 3 个字符", "两次输入的密码不一致", "统一社会信用代码应为 18 位", "请选择宁夏的一个地级市",
                  "请输入整数", "请输入金额（元）"):
        assert words in shown, words
    assert 'value="宁夏表单测试有限公司"' in r.text and 'value="12.345"' in r.text
    good = {**form, "username": f"form_{new_uscc()[-8:].lower()}", "password": PASSWORD, "password2": PASSWORD,
            "uscc": new_uscc(), "city": "guyuan", "employees": "30", "revenue": "8000000", "categories": ["legal"]}
    r = c.post("/register", data=good)
    assert r.status_code == 422 and "申报的企业规模（大型）与从业人员、营业收入不符" in r.text
    r = c.post("/register", data={**good, "size": "small"})
    assert r.status_code == 200 and "注册申请已提交" in r.text
    assert api_login_status(server.base, good["username"], PASSWORD) == 403


def test_bad_input_never_gives_a_server_error(server: Server) -> None:
    op = page_login(server.base, "operator1")
    for path in ("/tasks/nope", "/cases/nope", "/inbox?p=abc", "/inbox?tab=%00&type=%27", "/cases?p=-5",
                 "/admin", "/admin/calendar/abc", "/apply/provider_admission", "/public/providers?q=%25"):
        r = op.get(path)
        assert r.status_code < 500, (path, r.status_code)
        assert r.headers["content-type"].startswith("text/html"), path
    assert op.get("/admin").status_code == 403 and "系统管理员" in op.get("/admin").text


def test_provider_registers_is_approved_and_applies_with_prices_in_yuan(server: Server) -> None:
    prov = register(server.base, kind="provider", city="wuzhong")
    op = page_login(server.base, "operator1")

    def review_task() -> str | None:
        html = op.get("/inbox", params={"type": "registration.review", "case_id": prov.case_id}).text
        ids = re.findall(r'data-task="([^"]+)"', html)
        return ids[0] if ids else None

    tid = wait_until(review_task, what="the registration review task")
    token = csrf_of(op.get(f"/tasks/{tid}").text)
    r = op.post(f"/tasks/{tid}/complete", data={"csrf_token": token, "decision": "reject", "comment": ""})
    assert r.status_code == 422 and "理由" in r.text
    r = op.post(f"/tasks/{tid}/complete", data={"csrf_token": token, "decision": "approve", "comment": "同意"},
                follow_redirects=True)
    assert "已办理「新用户注册审核」：同意" in r.text
    wait_until(lambda: api_login_status(server.base, prov.username, prov.password) == 200, what="the account")

    pv = page_login(server.base, prov.username, prov.password)
    html = pv.get("/apply/provider_admission").text
    token, idem = csrf_of(html), re.search(r'name="idem" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "idem": idem, "f.categories": ["cloud", "legal"],
            "f.service_items.0.name": "云主机托管", "f.service_items.0.price_fen": "1,200.50",
            "f.service_items.1.name": "", "f.service_items.1.price_fen": "",
            "f.service_items.2.name": "合同审查", "f.service_items.2.price_fen": "8.999",
            "f.description": "云服务与法律服务",
            # 000 四: the way in, declared on the page (the API's defaults are these)
            "f.basis": "ningxia_legal_person", "f.independent_legal_person": "on", "f.pays_tax_in_ningxia": "on"}
    r = pv.post("/apply/provider_admission", data=form)
    assert r.status_code == 422 and "请输入金额（元），最多两位小数" in r.text and 'value="8.999"' in r.text
    r = pv.post("/apply/provider_admission", data={**form, "f.service_items.2.price_fen": "800"}, follow_redirects=True)
    assert r.status_code == 422 and "律师事务所执业许可证" in r.text  # legal services need the licence (000 四)
    licence = {"files.licences": ("执业许可证.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    r = pv.post("/apply/provider_admission", data={**form, "f.service_items.2.price_fen": "800"}, files=licence,
                follow_redirects=True)
    assert r.status_code == 200 and "准入申请已提交" in r.text, messages(r.text)
    assert "1,200.50 元" in r.text and "800.00 元" in r.text
    case_id = str(r.url).rsplit("/", 1)[-1]
    again = pv.post("/apply/provider_admission", data={**form, "f.service_items.2.price_fen": "800"},
                    follow_redirects=True)
    assert str(again.url).endswith(case_id)  # the same idempotency key: the same case
    assert pv.get(f"/cases/{case_id}").status_code == 200
    assert page_login(server.base, "operator2").get(f"/cases/{case_id}").status_code == 200
    assert page_login(server.base, "city_yinchuan").get(f"/cases/{case_id}").status_code == 404
