"""Certification works in yearly lists (seed 002 art. 9-10, 12, 13; issue 13): a candidate waits for the year's one
拟认定名单, objections stay per platform, one certification notice lists the granted platforms, and each city bureau
has one summary report of the platforms it recommended that year. Each case keeps its own view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx
import pytest
from sqlmodel import Session

from db.models import Document
from tests.api.test_certification import apply, deadline, publish_year_list, sleep_past, walk_to_decision
from tests.api.test_pages_flow import page_login
from tests.conftest import Stack
from tests.helpers import case_status, complete, login, task_of, wait_for

pytestmark = pytest.mark.workflow


def _text(stack: Stack, doc_id: str) -> str:
    with Session(stack.engine) as s:
        d = s.get(Document, doc_id)
        assert d is not None
        body = docx.Document(str(Path(d.path)))
    cells = [c.text for t in body.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in body.paragraphs] + cells)


async def _docs(stack: Stack, h: dict[str, str], case_id: str) -> dict[str, dict[str, Any]]:
    case = (await stack.http.get(f"/api/cases/{case_id}", headers=h)).json()
    return {d["kind"]: d for d in case["documents"]}


async def test_002_art_10_12_13_one_list_one_certification_notice_one_city_summary(stack: Stack) -> None:
    http = stack.http
    dep = await login(http, "department1")
    _, created = await apply(stack, "zhongwei")
    a = await _case(stack, dep, created["id"])
    org_b, created = await apply(stack, "zhongwei")
    b = await _case(stack, dep, created["id"])
    name_a, name_b = a["data"]["platform_name"], b["data"]["platform_name"]
    year = a["result"]["call_year"]

    # A is approved first: it waits, listed, for the year's list (B of the same call is still in review).
    await walk_to_decision(stack, a["id"], "zhongwei")
    await case_status(http, dep, a["id"], {"listed"})
    view = (await http.get(f"/api/certification/years/{year}", headers=dep)).json()
    assert a["id"] in view["candidates"] and b["id"] in view["pending"]
    assert deadline_names(await _case(stack, dep, a["id"])) == set()  # no notice period yet
    r = await http.post(f"/api/cases/{a['id']}/objections", json={"name": "张三", "contact": "139", "reason": "不实"})
    assert r.status_code == 409 and r.json()["code"] == "not_in_notice", r.text

    # 002 art. 9-10: the city bureau's one summary report, redrawn with each platform it recommends.
    await walk_to_decision(stack, b["id"], "zhongwei")
    await publish_year_list(stack, b["id"])  # by itself when no other case of the year is in review
    for case_id in (a["id"], b["id"]):
        await case_status(http, dep, case_id, {"public_notice"})
    view = (await http.get(f"/api/certification/years/{year}", headers=dep)).json()
    rounds = [r for r in view["rounds"] if a["id"] in r]
    assert rounds and b["id"] in rounds[0], view["rounds"]  # one list with both
    page = await (await page_login(stack, "department1", "demo168")).get(f"/certification/years/{year}")
    assert page.status_code == 200 and name_a in page.text and name_b in page.text and "拟认定名单公示" in page.text
    summary = next(s for s in view["city_summaries"] if s["city"] == "zhongwei")
    assert summary["platforms"] >= 2 and {name_a, name_b} <= set(_text(stack, summary["id"]).split("\n"))

    # 002 art. 12: one notice for the year's list; each case's view shows the same one.
    async def notice_of(case_id: str) -> dict[str, Any] | None:
        return (await _docs(stack, dep, case_id)).get("public_notice")

    na = await wait_for(lambda: notice_of(a["id"]), what="a's notice")
    nb = await wait_for(lambda: notice_of(b["id"]), what="b's notice")
    assert na["id"] == nb["id"]
    text = _text(stack, na["id"])
    assert name_a in text and name_b in text and "拟认定名单" in na["title"]
    public = (await http.get("/api/public/notices")).json()["items"]
    assert na["id"] in [n["id"] for n in public]

    # Objections stay per platform: one against B is investigated (and upheld) on B alone. The list is one document
    # for both, and each case opens its own period as it joins the list: wait for B's before objecting.
    async def in_notice(case_id: str) -> bool:
        return deadline_names(await _case(stack, dep, case_id)) == {"public_notice"}

    await wait_for(lambda: in_notice(b["id"]), what="b's notice period")
    r = await http.post(f"/api/cases/{b['id']}/objections",
                        json={"name": "李四", "contact": "13900000000", "reason": "服务人员数量不实"})
    assert r.status_code == 201, r.text
    review = await task_of(http, dep, "notice.objection_review", b["id"])
    assert (await complete(http, dep, review, "uphold", comment="经核实属实")).status_code == 200
    await case_status(http, org_b, b["id"], {"rejected"})
    assert (await _case(stack, dep, a["id"]))["status"] == "public_notice"

    # 002 art. 13: once every listed platform is out of its notice, one certification notice lists the granted.
    await sleep_past(stack, deadline(await _case(stack, dep, a["id"]), "public_notice")["closes_at"])
    await case_status(http, dep, a["id"], {"granted"})
    cert = await wait_for(lambda: _kind(stack, dep, a["id"], "certification_notice"), what="the certification notice")
    text = _text(stack, cert["id"])
    assert name_a in text and name_b not in text and f"{year}年度" in cert["title"]
    view = (await http.get(f"/api/certification/years/{year}", headers=dep)).json()
    assert [d["id"] for d in view["certification_notices"]][-1:] == [cert["id"]] or \
        cert["id"] in [d["id"] for d in view["certification_notices"]]
    assert "certification_notice" not in await _docs(stack, dep, b["id"])  # B was not granted
    published = (await http.get("/api/public/certification/documents", params={"kind": "certification_notice"})).json()
    assert cert["id"] in [d["id"] for d in published["items"]]
    assert (await http.get(cert["url"])).status_code == 200  # anyone may download it

    # 002 art. 17: a revocation cites the year's certification notice that granted the title.
    r = await http.post(f"/api/cases/{a['id']}/revoke", headers=await login(http, "department2"),
                        json={"reason": "虚报服务业绩"})
    assert r.status_code == 200, r.text
    revocation = await wait_for(lambda: _kind(stack, dep, a["id"], "revocation_decision"), what="the revocation")
    assert cert["doc_number"] and cert["doc_number"] in _text(stack, revocation["id"])


async def test_002_art_10_a_city_bureau_sees_its_own_citys_part(stack: Stack) -> None:
    http = stack.http
    _, created = await apply(stack, "guyuan")
    case = await _case(stack, await login(http, "department1"), created["id"])
    bureau = await login(http, "city_guyuan")
    r = await complete(http, bureau, await task_of(http, bureau, "certification.city_recommendation", case["id"]),
                       "recommend", data={"opinion": "同意推荐", "scores": {"运营情况": 90}})
    assert r.status_code == 200, r.text
    year = case["result"]["call_year"]

    async def summary() -> dict[str, Any] | None:
        view = (await http.get(f"/api/certification/years/{year}", headers=bureau)).json()
        return next((s for s in view["city_summaries"] if s["city"] == "guyuan"), None)

    own = await wait_for(summary, what="guyuan's summary report")
    view = (await http.get(f"/api/certification/years/{year}", headers=bureau)).json()
    assert {c["city"] for c in view["cases"]} == {"guyuan"}
    assert {s["city"] for s in view["city_summaries"]} == {"guyuan"}
    assert (await http.get(own["url"], headers=bureau)).status_code == 200
    other = await login(http, "city_wuzhong")
    assert (await http.get(own["url"], headers=other)).status_code == 404
    assert (await http.get(own["url"], headers=await login(http, "department1"))).status_code == 200
    platform = (await http.get(f"/api/certification/years/{year}", headers=await login(http, "expert1")))
    assert platform.status_code == 403


async def _case(stack: Stack, h: dict[str, str], case_id: str) -> dict[str, Any]:
    return (await stack.http.get(f"/api/cases/{case_id}", headers=h)).json()


async def _kind(stack: Stack, h: dict[str, str], case_id: str, kind: str) -> dict[str, Any] | None:
    return (await _docs(stack, h, case_id)).get(kind)


def deadline_names(case: dict[str, Any]) -> set[str]:
    return {d["name"] for d in case["deadlines"] if d["name"] == "public_notice"}
