"""Voucher paths besides the straight walk: waitlist, expiry, fraud void, a lowered settlement, role and scope."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from db.engine import session_scope
from db.models import BadCreditRecord
from rules.calendar import SHANGHAI
from tests.conftest import Stack, own_stack_fixture
from tests.helpers import activities_of, leap, login, register_approved, wait_for
from tests.voucher.factories import Voucher, budget, get_org, new_voucher, signed_provider

# Leaps months (expiry, year end, the monthly report): its own time-skipping server and database.
stack = own_stack_fixture()

pytestmark = [pytest.mark.pg, pytest.mark.workflow]


async def notes(stack: Stack, h: dict[str, str]) -> list[str]:
    r = await stack.http.get("/api/notifications", headers=h, params={"limit": 200})
    return [n["subject"] for n in r.json()["items"]]


async def told(stack: Stack, h: dict[str, str], words: str) -> None:
    """Wait for a notification whose subject has `words`: the parties are told right after the status is set."""
    async def found() -> bool:
        return any(words in s for s in await notes(stack, h))

    await wait_for(found, what=f"a notification about {words}")


class TestWaitlist:
    async def test_release_promotes_the_first_waiting_application(self, stack: Stack) -> None:
        """003 art. 11(3): first come first served; money released by a rejection moves the waitlist up."""
        a, b = await new_voucher(stack), await new_voucher(stack)
        await a.to_apply()
        await b.to_apply()
        admin = await login(stack.http, "department1")
        now_utc = datetime.fromisoformat((await stack.http.get("/api/clock")).json()["now"])
        year = now_utc.astimezone(SHANGHAI).year  # the fund year is the Shanghai year of the application
        now = await budget(stack, admin, year)
        committed = now["reserved_fen"] + now["settled_fen"]
        r = await stack.http.put(f"/api/admin/budget/{year}", headers=admin, json={"total_fen": committed + 400_000})
        assert r.status_code == 200, r.text
        try:
            await a.apply(600_000)
            assert (await a.status("in_review"))["voucher"]["status"] == "reserved"
            await b.apply(600_000)
            waiting = await b.status("waitlisted")
            assert waiting["voucher"]["status"] == "waitlisted"
            # Patch "voucher-reserve-projects" (issue 12): the reservation wrote the projection and the waitlisted
            # status itself; nothing ran after it while the case waits.
            history = await stack.client.get_workflow_handle(b.case_id).fetch_history()
            assert activities_of(history.events)[-1] == "voucher_reserve_fund"
            fund = await budget(stack, admin, year)
            assert [w["case_id"] for w in fund["waitlist"]] == [b.case_id]
            assert fund["reserved_fen"] + fund["settled_fen"] <= fund["total_fen"]
            assert (await budget(stack, a.ent, year))["waitlist"] == []  # others' applications are not shown
            await a.do("operator1", "voucher.first_review", "reject", comment="材料不实")
            assert (await a.status("rejected"))["voucher"]["status"] == "rejected"
            promoted = await b.status("in_review")
            assert promoted["voucher"]["status"] == "reserved"
            assert (await budget(stack, admin, year))["waitlist"] == []
        finally:
            await stack.http.put(f"/api/admin/budget/{year}", headers=admin, json={"total_fen": 500_000_000})

    async def test_only_the_department_sets_the_budget_and_never_below_what_is_committed(self, stack: Stack) -> None:
        """003 art. 3: the bureau (the department) sets the year's usable amount, not the operator nor the admin."""
        op, year = await login(stack.http, "operator1"), 2040 + uuid.uuid4().int % 150  # the API takes years up to 2200
        assert (await stack.http.put(f"/api/admin/budget/{year}", headers=op, json={"total_fen": 1})).status_code == 403
        sysadmin = await login(stack.http, "admin")
        r = await stack.http.put(f"/api/admin/budget/{year}", headers=sysadmin, json={"total_fen": 1})
        assert r.status_code == 403, r.text
        admin = await login(stack.http, "department1")
        r = await stack.http.put(f"/api/admin/budget/{year}", headers=admin, json={"total_fen": 123_400})
        assert r.status_code == 200 and r.json()["total_fen"] == 123_400 and r.json()["remaining_fen"] == 123_400


class TestExpiry:
    async def test_reminders_then_void_and_money_back(self, stack: Stack) -> None:
        """An issued voucher not used within its validity is void and its money returns (003 art. 11(3))."""
        v = await new_voucher(stack)
        await v.to_issued()
        issued = await v.detail()
        year = issued["result"]["voucher"]["fund_year"]
        dep = await v.h("department1")
        before = await budget(stack, dep, year)
        await leap(stack, timedelta(days=160))
        assert any("30天后到期" in s for s in await notes(stack, v.ent))
        assert any("30天后到期" in s for s in await notes(stack, v.prov))
        await leap(stack, timedelta(days=25))
        done = await v.status("expired")
        assert done["voucher"]["status"] == "void" and done["result"]["voucher"]["void_reason"] == "expired"
        assert any("7天后到期" in s for s in await notes(stack, v.ent))
        await told(stack, v.ent, "过期作废")
        assert [t["status"] for t in done["tasks"] if t["type"] == "voucher.delivery"] == ["cancelled"]
        after = await budget(stack, dep, year)
        assert after["reserved_fen"] == before["reserved_fen"] - 300_000


class TestFraudVoid:
    async def test_the_operator_voids_at_any_stage_and_the_department_is_informed(self, stack: Stack) -> None:
        """003 art. 11(1): the operating unit voids; provider loses signed status and is recorded as bad credit, the
        enterprise and its responsible person each recorded apart, never applies again; the department is told."""
        v = await new_voucher(stack)
        await v.to_issued()
        year = (await v.detail())["result"]["voucher"]["fund_year"]
        dep = await v.h("department1")
        before = await budget(stack, dep, year)
        op = await v.h("operator1")
        assert (await stack.http.post(f"/api/cases/{v.case_id}/void", headers=v.prov,
                                      json={"reason": "串通"})).status_code == 403
        r = await stack.http.post(f"/api/cases/{v.case_id}/void", headers=op,
                                  json={"reason": "企业与服务机构恶意串通", "responsible_person": "王某"})
        assert r.status_code == 202, r.text
        done = await v.status("void")
        assert done["voucher"]["status"] == "void"
        assert any(e["action"] == "voucher_void" for e in done["timeline"])
        assert any(e["action"] == "blacklisted" for e in done["timeline"])
        assert all(t["status"] != "open" for t in done["tasks"])
        assert get_org(stack, v.ent_body["org"]["uscc"]).blacklisted
        provider = get_org(stack, v.prov_body["org"]["uscc"])
        assert not provider.signed and provider.blacklisted
        await told(stack, dep, "服务券作废告知")
        with session_scope(stack.engine) as s:
            records = s.exec(select(BadCreditRecord).where(BadCreditRecord.case_id == v.case_id)).all()
            assert sorted((r.subject, r.person_name) for r in records) == [
                ("enterprise", None), ("person", "王某"), ("provider", None)]
        after = await budget(stack, dep, year)
        assert after["reserved_fen"] == before["reserved_fen"] - 300_000
        decision = [d for d in done["documents"] if d["kind"] == "voucher_void_decision"]
        assert len(decision) == 1 and decision[0]["doc_number"].startswith("宁中小服发")  # the operator decides
        again = await stack.http.post("/api/cases", headers={**v.ent, "Idempotency-Key": uuid.uuid4().hex}, json={
            "type": "voucher", "data": {"category": "legal", "title": "法律顾问", "budget_fen": 100_000}})
        assert again.status_code == 403 and "bad credit" in again.json()["detail"]
        r = await stack.http.post(f"/api/cases/{v.case_id}/void", headers=dep, json={"reason": "再次"})
        assert r.status_code == 409

    async def test_void_during_bidding(self, stack: Stack) -> None:
        v = await new_voucher(stack)
        await v.to_bidding()
        dep = await v.h("department2")
        r = await stack.http.post(f"/api/cases/{v.case_id}/void", headers=dep, json={"reason": "虚假需求"})
        assert r.status_code == 202
        assert (await v.status("void"))["voucher"]["status"] == "void"


@asynccontextmanager
async def one_reserved_one_waiting(stack: Stack) -> AsyncIterator[tuple[Voucher, Voucher, dict[str, str], int]]:
    """Two applications against this year's fund with room for one: a reserved, b waitlisted; the fund is put back
    to 5,000,000 CNY afterwards. Yields (a, b, the department's headers, the fund year)."""
    a, b = await new_voucher(stack), await new_voucher(stack)
    await a.to_apply()
    await b.to_apply()
    admin = await login(stack.http, "department1")
    year = datetime.fromisoformat((await stack.http.get("/api/clock")).json()["now"]).astimezone(SHANGHAI).year
    now = await budget(stack, admin, year)
    r = await stack.http.put(f"/api/admin/budget/{year}", headers=admin,
                             json={"total_fen": now["reserved_fen"] + now["settled_fen"] + 400_000})
    assert r.status_code == 200, r.text
    try:
        await a.apply(600_000)
        await a.status("in_review")
        await b.apply(600_000)
        await b.status("waitlisted")
        yield a, b, admin, year
    finally:
        await stack.http.put(f"/api/admin/budget/{year}", headers=admin, json={"total_fen": 500_000_000})


class TestWithdrawal:
    async def test_withdrawing_a_reserved_application_moves_the_waitlist_up(self, stack: Stack) -> None:
        """003 art. 11(3): money released by a withdrawal goes to the first waitlisted application."""
        async with one_reserved_one_waiting(stack) as (a, b, _, _):
            url = f"/api/cases/{a.case_id}/withdraw"
            assert (await stack.http.post(url, headers=b.ent, json={"reason": "不需要了"})).status_code == 404
            assert (await stack.http.post(url, headers=a.prov, json={"reason": "x"})).status_code == 403
            assert (await stack.http.post(url, headers=a.ent, json={"reason": ""})).status_code == 422
            r = await stack.http.post(url, headers=a.ent, json={"reason": "企业经营计划调整"})
            assert r.status_code == 202, r.text
            done = await a.status("withdrawn")
            assert done["voucher"]["status"] == "withdrawn" and done["closed_at"]
            assert all(t["status"] != "open" for t in done["tasks"])
            await told(stack, a.prov, "已撤回")
            assert (await b.status("in_review"))["voucher"]["status"] == "reserved"
            again = await stack.http.post(url, headers=a.ent, json={"reason": "再次"})
            assert again.status_code == 409

    async def test_withdraw_a_demand_but_not_a_delivered_service(self, stack: Stack) -> None:
        v = await new_voucher(stack)
        await v.demand()
        r = await stack.http.post(f"/api/cases/{v.case_id}/withdraw", headers=v.ent, json={"reason": "需求已解决"})
        assert r.status_code == 202, r.text
        assert (await v.status("withdrawn"))["status"] == "withdrawn"
        w = await new_voucher(stack)
        await w.to_issued()
        await w.deliver(paid_fen=300_000)
        await w.status("in_service")
        r = await stack.http.post(f"/api/cases/{w.case_id}/withdraw", headers=w.ent, json={"reason": "晚了"})
        assert r.status_code == 409 and "delivered" in r.json()["detail"]


class TestYearEnd:
    async def test_a_waitlisted_application_lapses_when_its_fund_year_ends(self, stack: Stack) -> None:
        """The year's fund closes at year end: an application still waitlisted then is closed, and told so."""
        async with one_reserved_one_waiting(stack) as (_, b, admin, year):
            now = datetime.fromisoformat((await stack.http.get("/api/clock")).json()["now"])
            await leap(stack, datetime(year + 1, 1, 1, tzinfo=SHANGHAI) - now + timedelta(hours=2))
            done = await b.status("closed")
            assert done["voucher"]["status"] == "lapsed"
            await told(stack, b.ent, "候补申请未获递补")
            assert b.case_id not in [w["case_id"] for w in (await budget(stack, admin, year))["waitlist"]]


class TestSettlement:
    async def test_lowered_for_an_unsatisfied_enterprise(self, stack: Stack) -> None:
        """003 art. 11(1): for an unsatisfied enterprise the operator may lower the settlement, with a reason."""
        v = await new_voucher(stack)
        await v.to_issued()
        year = (await v.detail())["result"]["voucher"]["fund_year"]
        await v.deliver(paid_fen=300_000)
        await v.do(v.ent, "voucher.confirm", "submit", {"satisfaction": "unsatisfied"})
        dep = await v.h("department1")
        before = await budget(stack, dep, year)
        first = await v.do("operator1", "voucher.settlement_review", data={"settled_fen": 400_000}, comment="不满意")
        assert first["id"].endswith("settlement_review.1")  # above the voucher: refused, the step reopens
        await v.do("operator1", "voucher.settlement_review", data={"settled_fen": 200_000},
                   comment="企业不满意，服务未达合同约定效果")
        await v.do("department1", "voucher.settlement_approval")
        done = await v.status("settled")
        got = done["result"]["voucher"]
        assert got["settled_fen"] == 200_000 and got["adjustment_reason"].startswith("企业不满意")
        assert got["supervision_fee_fen"] == 18_000  # 3 % of 600,000 by default (003 art. 11(4))
        after = await budget(stack, dep, year)
        assert after["settled_fen"] == before["settled_fen"] + 200_000
        assert after["reserved_fen"] == before["reserved_fen"] - 300_000
        assert "settlement_statement" in {d["kind"] for d in done["documents"]}


class TestScope:
    async def test_other_category_provider_and_other_enterprise_see_nothing(self, stack: Stack) -> None:
        v = await new_voucher(stack)
        await v.to_bidding()
        http = stack.http
        legal, _ = await signed_provider(stack, "legal")
        unsigned, _ = await register_approved(http, "provider", categories=["credit"])
        for h, code in ((legal, 404), (unsigned, 403)):
            ids = [d["id"] for d in (await http.get("/api/voucher/demands", headers=h)).json()["items"]]
            assert v.case_id not in ids
            assert (await v.bid(h)).status_code == code
            assert (await http.get(f"/api/cases/{v.case_id}", headers=h)).status_code == 404
            assert (await http.get(f"/api/voucher/demands/{v.case_id}", headers=h)).status_code == 404
        other, _ = await register_approved(http, "enterprise")
        assert (await http.get(f"/api/cases/{v.case_id}", headers=other)).status_code == 404
        assert (await http.get(f"/api/cases/{v.case_id}/bids", headers=other)).status_code == 404
        assert v.case_id not in [c["id"] for c in (await http.get("/api/cases", headers=other)).json()["items"]]
        assert (await v.bid(v.ent)).status_code == 403
        assert (await http.get(f"/api/voucher/contracts/{v.case_id}", headers=legal)).status_code == 404

    async def test_only_micro_and_small_enterprises_one_open_voucher_per_item(self, stack: Stack) -> None:
        http = stack.http
        medium, _ = await register_approved(http, "enterprise", size="medium", employees=200,
                                            revenue_fen=5_000_000_000)
        data = {"category": "credit", "title": "信用评价", "budget_fen": 100_000}
        r = await http.post("/api/cases", headers={**medium, "Idempotency-Key": uuid.uuid4().hex},
                            json={"type": "voucher", "data": data})
        assert r.status_code == 403 and "micro or small" in r.json()["detail"]
        v = await new_voucher(stack)
        await v.demand()
        r = await http.post("/api/cases", headers={**v.ent, "Idempotency-Key": uuid.uuid4().hex},
                            json={"type": "voucher", "data": data})
        assert r.status_code == 409 and "one voucher per service item" in r.json()["detail"]
        r = await http.post("/api/cases", headers={**v.ent, "Idempotency-Key": uuid.uuid4().hex},
                            json={"type": "voucher", "data": {**data, "category": "legal"}})
        assert r.status_code == 201
        bad = await http.post("/api/cases", headers={**v.ent, "Idempotency-Key": uuid.uuid4().hex},
                              json={"type": "voucher", "data": {**data, "category": "lottery"}})
        assert bad.status_code == 422 and "data.category" in bad.json()["detail"]

    async def test_no_bids_closes_the_demand(self, stack: Stack) -> None:
        v = await new_voucher(stack)
        await v.to_bidding()
        await v.close_bidding()
        done = await v.status("closed")
        assert any("没有签约服务机构报价" in e["message"] for e in done["timeline"])
