"""A certification returned for correction: the corrected application is checked again by the rules of submission
(002 art. 6-7) before it reaches the workflow, and the reviewers see the eligibility of the corrected data."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from tests.api.test_certification import application, apply, ensure_call, materials
from tests.conftest import Stack
from tests.helpers import PASSWORD, case_status, complete, login, register_approved, task_of

pytestmark = pytest.mark.workflow


async def returned(stack: Stack, city: str = "yinchuan", **over: Any) -> tuple[dict[str, str], str, dict[str, Any]]:
    """An application recommended by its city and returned by the department's precheck: the correction task."""
    http = stack.http
    org, case = await apply(stack, city, **over)
    bureau, dep = await login(http, f"city_{city}"), await login(http, "department1")
    r = await complete(http, bureau, await task_of(http, bureau, "certification.city_recommendation", case["id"]),
                       "recommend", data={"opinion": "推荐", "scores": {}})
    assert r.status_code == 200, r.text
    r = await complete(http, dep, await task_of(http, dep, "certification.precheck", case["id"]), "return",
                       comment="请补充服务人员情况")
    assert r.status_code == 200, r.text
    return org, case["id"], await task_of(http, org, "certification.correction", case["id"])


class TestCorrection:
    async def test_a_correction_that_cannot_qualify_is_refused_naming_what_is_missing(self, stack: Stack) -> None:
        http = stack.http
        org, case_id, task = await returned(stack)
        before = (await http.get(f"/api/cases/{case_id}", headers=org)).json()
        bad = application(staff_serving_smes=4, functions={"training": {"trainee_times": 100}})
        r = await complete(http, org, task, "submit", data=bad, comment="")
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert detail.startswith("the corrected application cannot qualify (002 art. 6-7)")
        assert r.json()["code"] == "correction_cannot_qualify" and r.json()["params"]["missing"] in detail
        assert "服务的人员不少于10人：4人" in detail and "培训服务" in detail
        # Nothing moved: the task is still open, the case keeps its data and its eligibility.
        assert (await http.get(f"/api/tasks/{task['id']}", headers=org)).json()["status"] in ("open", "claimed")
        after = (await http.get(f"/api/cases/{case_id}", headers=org)).json()
        assert after["data"] == before["data"] and after["result"]["eligibility"]["eligible"] is True
        assert after["status"] == "returned"

    async def test_a_correction_may_not_move_the_platform_to_another_city(self, stack: Stack) -> None:
        http = stack.http
        org, _, task = await returned(stack)
        r = await complete(http, org, task, "submit", data=application("wuzhong"), comment="")
        assert r.status_code == 422 and "own city (yinchuan)" in r.json()["detail"], r.text

    async def test_a_correction_is_rechecked_and_the_reviewers_see_the_corrected_eligibility(self, stack: Stack) -> None:
        http = stack.http
        # Guyuan is a mountain area: 9 staff fall short of 10 but meet the relaxed figure (80 %: 8) and qualify.
        org, case_id, task = await returned(stack, "guyuan", mountain_area=True, staff_serving_smes=9)
        dep = await login(http, "department1")
        first = (await http.get(f"/api/cases/{case_id}", headers=dep)).json()["result"]["eligibility"]
        assert any("9人" in s for s in first["relaxed_shortfalls"])
        corrected = application("guyuan", mountain_area=True, staff_serving_smes=18,
                                platform_name="宁夏固原补正后示范平台")
        r = await complete(http, org, task, "submit", data=corrected, comment="已补充人员名单")
        assert r.status_code == 200, r.text
        await task_of(http, dep, "certification.precheck", case_id)  # back at the same step
        case = await case_status(http, dep, case_id, {"in_review"})
        assert case["data"]["staff_serving_smes"] == 18 and case["data"]["platform_name"] == "宁夏固原补正后示范平台"
        eligibility = case["result"]["eligibility"]
        assert eligibility["eligible"] is True and eligibility["relaxed_shortfalls"] == []
        staff = next(c for c in eligibility["conditions"] if c["code"] == "art6.5.staff")
        assert staff["passed"] is True and "18" in staff["detail"]

    async def test_the_task_page_says_why_in_chinese(self, stack: Stack) -> None:
        from api.error_messages import message

        said = message("correction_cannot_qualify", {"missing": "服务人员 4 人"},
                       "the corrected application cannot qualify (002 art. 6-7): 服务人员 4 人")
        assert said == "补正后的申请仍不符合示范平台申报条件（办法第六、七条）：服务人员 4 人"


class _Form(HTMLParser):
    """The inputs of the page's completion form as a browser would post them (text, hidden, number, checked boxes,
    selected options, text areas), and the names of its text areas and file pickers."""

    def __init__(self) -> None:
        super().__init__()
        self.inside, self.fields, self.textareas, self.files = False, [], [], []  # type: ignore[var-annotated]
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == "complete-form"
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "file":
                self.files.append(a["name"])
            elif kind not in ("checkbox", "radio") or "checked" in a:
                self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.textareas.append(a.get("name"))
            self.fields.append((a.get("name"), ""))

    def handle_data(self, data: str) -> None:
        if self._textarea:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


async def test_the_correction_page_asks_functions_and_materials_by_name_and_submits(stack: Stack) -> None:
    """Issue 15: the correction form showed `functions`/`materials` as JSON text areas. Now one fieldset per service
    function (art. 7) and one file picker per material (art. 11), filled from the application; the applicant changes
    a figure on the page and submits, the case carries the corrected data."""
    http = stack.http
    await ensure_call(stack)
    org, body = await register_approved(http, "platform_org", city="yinchuan")
    data = application("yinchuan")
    data["materials"] = await materials(http, org)
    r = await http.post("/api/cases", headers={**org, "Idempotency-Key": uuid.uuid4().hex},
                        json={"type": "certification", "data": data})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    bureau, dep = await login(http, "city_yinchuan"), await login(http, "department1")
    await complete(http, bureau, await task_of(http, bureau, "certification.city_recommendation", case_id),
                   "recommend", data={"opinion": "推荐", "scores": {}})
    await complete(http, dep, await task_of(http, dep, "certification.precheck", case_id), "return",
                   comment="请补充线下服务企业数量")
    task = await task_of(http, org, "certification.correction", case_id)
    browser = httpx.AsyncClient(transport=http._transport, base_url="http://flow168.test", timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', (await browser.get("/login")).text)[1]  # type: ignore[index]
    r = await browser.post("/login", data={"csrf_token": token, "username": body["username"], "password": PASSWORD})
    assert r.status_code == 303
    page = await browser.get(f"/tasks/{task['id']}")
    assert page.status_code == 200
    form = _Form()
    form.feed(page.text)
    assert not [n for n in form.textareas if n.startswith(("f.functions", "f.materials"))], form.textareas
    assert "files.materials.application_report" in form.files and "files.materials.licence" in form.files
    assert "信息服务" in page.text and "线下年服务企业数量" in page.text and "示范平台申请报告" in page.text
    assert 'href="/public/guide/certification"' in page.text  # the task page links its process's 办事指南
    posted = dict(form.fields)
    assert posted["f.functions.information.smes_served_offline"] == "60"
    assert posted["f.materials.application_report"] == data["materials"]["application_report"]
    posted["f.functions.information.smes_served_offline"] = "80"
    posted["f.functions.training.trainee_times"] = "600"
    posted["decision"] = "submit"
    done = await browser.post(f"/tasks/{task['id']}/complete", data=posted)
    assert done.status_code == 303, done.text[:2000]
    case = await case_status(http, dep, case_id, {"in_review"})
    assert case["data"]["functions"] == {"information": {"smes_served_offline": 80, "events": 6},
                                         "training": {"trainee_times": 600}}
    assert case["data"]["materials"] == data["materials"]
