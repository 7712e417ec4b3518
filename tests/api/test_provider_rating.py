"""The providers' star rating through the API and the real activities (003 art. 11(2): the operator rates from the
vouchers' satisfaction and its findings, proposes the ranking and adjustments, the bureau reviews, the result is
publicly noticed and takes effect after; 001 三(三)10 评星定级、准入淘汰)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session

from db.models import Bid, Case, Organization
from rules.calendar import SHANGHAI
from tests.conftest import Stack, own_stack_fixture
from tests.helpers import case_status, complete, leap, login, task_of, wait_for

pytestmark = pytest.mark.workflow
stack = own_stack_fixture()  # leaps past the notice's 5 working days


def _provider_with_vouchers(s: Session, now: object, ratings: list[str], *, void: bool = False) -> int:
    org = Organization(kind="provider", name=f"宁夏评级测试{uuid.uuid4().hex[:6]}有限公司", city="yinchuan",
                       categories=["credit"], signed=True, created_at=now)
    s.add(org)
    s.flush()
    for n, rating in enumerate(ratings):
        case = Case(id=f"VC-T-{uuid.uuid4().hex[:10]}", type="voucher", status="settled", title="服务券",
                    applicant="某企业", created_at=now, updated_at=now,
                    result={"voucher": {"satisfaction": rating, "status": "void" if void and n == 0 else "settled"}})
        s.add(case)
        s.flush()
        s.add(Bid(case_id=case.id, provider_org_id=org.id, provider_name=org.name, amount_fen=100_000,
                  status="chosen", created_at=now))
    s.commit()
    assert org.id is not None
    return org.id


async def test_rating_is_proposed_reviewed_noticed_then_takes_effect(stack: Stack) -> None:
    http = stack.http
    now = await stack.clock.now()
    year = now.astimezone(SHANGHAI).year
    with Session(stack.engine) as s:
        good = _provider_with_vouchers(s, now, ["satisfied"] * 9 + ["basic"])
        bad = _provider_with_vouchers(s, now, ["unsatisfied"] * 3)
        fraud = _provider_with_vouchers(s, now, ["satisfied"], void=True)
    op, dep = await login(http, "operator1"), await login(http, "department1")
    assert (await http.post("/api/provider-ratings", headers=dep, json={"year": year})).status_code == 403
    r = await http.post("/api/provider-ratings", headers=op, json={"year": year})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    again = await http.post("/api/provider-ratings", headers=op, json={"year": year})
    assert again.status_code == 409 and again.json()["code"] == "rating_year_open"
    task = await task_of(http, op, "provider_rating.proposal", case_id)
    proposal = {d["org_id"]: d for d in (await http.get(f"/api/cases/{case_id}", headers=op)).json()["result"]["proposal"]}
    assert (proposal[good]["stars"], proposal[good]["adjustment"]) == (5, "recommend")
    assert (proposal[bad]["stars"], proposal[bad]["adjustment"]) == (1, "remove")
    assert proposal[fraud]["adjustment"] == "remove"
    r = await complete(http, op, task, "submit", data={"changes": {str(bad): {"stars": 2, "adjustment": "rectify"}}})
    assert r.status_code == 422 and r.json()["code"] == "rating_reason_required", r.text
    r = await complete(http, op, task, "submit", data={"changes": {str(bad): {
        "stars": 2, "adjustment": "rectify", "reason": "不满意评价均已复核整改"}}})
    assert r.status_code == 200, r.text
    r = await complete(http, dep, await task_of(http, dep, "provider_rating.approval", case_id))
    assert r.status_code == 200, r.text
    await case_status(http, op, case_id, {"public_notice"})
    with Session(stack.engine) as s:
        assert s.get(Organization, fraud).signed is True  # type: ignore[union-attr]  # not before the notice
    async def published() -> bool | None:
        items = (await http.get("/api/public/notices")).json()["items"]
        return True if case_id in [n.get("case_id") for n in items] else None

    assert await wait_for(published, what="the 公示 published")
    await leap(stack, timedelta(days=12))
    done = await case_status(http, op, case_id, {"published"})
    ranking = done["result"]["ranking"]
    assert ranking[0]["org_id"] == good
    with Session(stack.engine) as s:
        g, b, f = (s.get(Organization, i) for i in (good, bad, fraud))
        assert g is not None and (g.star_rating, g.star_year) == (5, year)
        assert b is not None and b.star_rating == 2 and b.signed  # the operator's change, kept signed
        assert f is not None and not f.signed  # removed (淘汰) after the 公示


async def test_the_operator_opens_a_rating_on_its_page(stack: Stack) -> None:
    """The page (zh-CN) lists the years' ratings and lets the operator open one (003 art. 11(2))."""
    from tests.api.test_window_pages import csrf_of, page_login

    web = await page_login(stack, "operator2", "demo168")
    html = (await web.get("/provider-ratings")).text
    assert "签约服务机构评级排名和动态调整" in html and "开展评级" in html
    r = await web.post("/provider-ratings", data={"csrf_token": csrf_of(html), "year": "1999"})
    assert r.status_code == 422 and "评级年度" in r.text
    r = await web.post("/provider-ratings", data={"csrf_token": csrf_of(html), "year": "2099"}, follow_redirects=True)
    assert r.status_code == 200 and "2099年度签约服务机构评级排名" in r.text
    listed = (await web.get("/provider-ratings")).text
    assert "2099" in listed
    dep = await page_login(stack, "department2", "demo168")
    assert "开展评级" not in (await dep.get("/provider-ratings")).text
