"""Voucher figures and ends (issue 11): the contract is the awarded bid's, the paid figure is at most the contract,
a corrected demand passes the checks of a new one, and an admin's termination gives the fund back (and refuses to
mark a case terminated while its workflow runs on)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, select
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.services import admin as admin_service
from api.services.admin import Reason
from db import fund as fund_repo
from db.engine import session_scope
from db.models import Case, User
from tests.conftest import Stack
from tests.helpers import complete, login, task_of
from tests.voucher.factories import MATERIALS, budget, new_voucher, upload

pytestmark = pytest.mark.workflow


class TestFigures:
    async def test_the_contract_amount_is_the_awarded_bid(self, stack: Stack) -> None:
        v = await new_voucher(stack)
        await v.to_apply()  # the bid was 6,000.00 元
        materials = {m: await upload(stack, v.ent) for m in MATERIALS}
        task = await task_of(stack.http, v.ent, "voucher.apply", v.case_id)
        r = await complete(stack.http, v.ent, task, "submit", {"contract_amount_fen": 900_000, "materials": materials})
        assert r.status_code == 422 and r.json()["code"] == "contract_not_awarded_bid", r.text
        r = await complete(stack.http, v.ent, task, "submit", {"contract_amount_fen": 600_000, "materials": materials})
        assert r.status_code == 200, r.text

    async def test_the_paid_figure_is_at_most_the_contract(self, stack: Stack) -> None:
        v = await new_voucher(stack)
        await v.to_issued()
        data = {"completion_proof": await upload(stack, v.prov), "invoice": await upload(stack, v.prov),
                "paid_fen": 600_001}
        task = await task_of(stack.http, v.prov, "voucher.delivery", v.case_id)
        r = await complete(stack.http, v.prov, task, "submit", data)
        assert r.status_code == 422 and r.json()["code"] == "paid_above_contract", r.text
        await v.deliver(paid_fen=300_000)
        task = await task_of(stack.http, v.ent, "voucher.confirm", v.case_id)
        assert "3000.00" in task["summary"]  # the enterprise sees what the provider says it paid
        r = await complete(stack.http, v.ent, task, "submit", {"satisfaction": "satisfied", "paid_fen": 700_000})
        assert r.status_code == 422 and r.json()["code"] == "paid_above_contract", r.text


class TestCorrection:
    async def test_a_corrected_demand_passes_the_create_checks(self, stack: Stack) -> None:
        v = await new_voucher(stack)
        await v.demand()  # an open case for "credit"
        other = await stack.http.post("/api/cases", headers={**v.ent, "Idempotency-Key": uuid.uuid4().hex}, json={
            "type": "voucher", "data": {"category": "ip", "title": "专利检索", "budget_fen": 300_000}})
        assert other.status_code == 201, other.text
        op = await login(stack.http, "operator1")
        r = await complete(stack.http, op, await task_of(stack.http, op, "voucher.demand_review", other.json()["id"]),
                           "return", comment="请补充需求")
        assert r.status_code == 200, r.text
        task = await task_of(stack.http, v.ent, "voucher.correction", other.json()["id"])
        r = await complete(stack.http, v.ent, task, "submit", {"category": "credit", "title": "信用评价", "budget_fen": 1})
        assert r.status_code == 409 and r.json()["code"] == "open_voucher_case", r.text
        r = await complete(stack.http, v.ent, task, "submit", {"category": "ip", "title": "专利检索（补充）",
                                                               "budget_fen": 300_000})
        assert r.status_code == 200, r.text


class TestTerminate:
    async def test_a_terminated_voucher_gives_its_reservation_back(self, stack: Stack) -> None:
        v = await new_voucher(stack)
        await v.to_apply()
        await v.apply(600_000)
        await v.status("in_review")
        with session_scope(stack.engine) as s:
            held = fund_repo.state_of(s, v.case_id)
            assert held is not None and held.state == "reserved"
            year, amount = held.year, held.amount_fen
        admin = await login(stack.http, "admin")
        before = await budget(stack, admin, year)
        r = await stack.http.post(f"/api/admin/cases/{v.case_id}/terminate", headers=admin, json={"reason": "重复申请"})
        assert r.status_code == 200 and r.json()["status"] == "terminated", r.text
        after = await budget(stack, admin, year)
        assert after["reserved_fen"] == before["reserved_fen"] - amount
        with session_scope(stack.engine) as s:
            assert fund_repo.state_of(s, v.case_id).state == "released"  # type: ignore[union-attr]
            assert s.get(Case, v.case_id).result["voucher"]["status"] == "terminated"  # type: ignore[union-attr]

    async def test_an_engine_error_leaves_the_case_as_it_was(self, stack: Stack) -> None:
        class Handle:
            async def terminate(self, **_: Any) -> None:
                raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")

        class Client:
            def get_workflow_handle(self, _id: str) -> Handle:
                return Handle()

        v = await new_voucher(stack)
        await v.demand()
        with Session(stack.engine) as s:
            admin = s.exec(select(User).where(User.username == "admin")).one()
            with pytest.raises(ApiError) as refused:
                await admin_service.terminate(s, Client(), admin, v.case_id,  # type: ignore[arg-type]
                                              Reason(reason="测试"), now=datetime.now(UTC))
            s.rollback()
        assert refused.value.status == 503 and refused.value.code == "engine_unavailable"
        with session_scope(stack.engine) as s:
            case = s.get(Case, v.case_id)
            assert case is not None and case.status != "terminated" and case.closed_at is None
