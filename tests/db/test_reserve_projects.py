"""Patch "voucher-reserve-projects" (issue 12): the fund reservation writes the voucher's projection, and a waitlisted
case's status, in its own transaction, once, on SQLite and PostgreSQL; a run from before the patch (no `voucher` in
its input) gets the reservation alone, as before."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from activities.fund import FundActivities
from db import fund
from db.engine import session_scope
from db.models import Case, Organization, TimelineEvent
from workflows.voucher_types import ApplyInput

pytestmark = pytest.mark.pg
MESSAGE = "本年度服务券资金暂不足，申请已进入候补名单，资金释放后按顺序递补"


def _case(engine: Engine, *, result: dict | None = None) -> str:
    cid = f"VC-R-{uuid.uuid4().hex[:10]}"
    with session_scope(engine) as s:
        org = Organization(kind="enterprise", name=f"企业{cid}", size="small", created_at=datetime.now(UTC))
        s.add(org)
        s.flush()
        s.add(Case(id=cid, type="voucher", status="applying", applicant=org.name, applicant_org_id=org.id,
                   policy_version="2017", data={"category": "credit"}, result=result or {},
                   created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
    return cid


def _year(engine: Engine, total_fen: int) -> datetime:
    year = random.randint(3000, 9000)
    with session_scope(engine) as s:
        fund.set_total(s, year=year, total_fen=total_fen, cap_fen=1_000_000, actor="department1", at=datetime.now(UTC))
    return datetime(year, 3, 2, 2, 0, tzinfo=UTC)


def _statuses(engine: Engine, cid: str) -> tuple[Case, list[TimelineEvent]]:
    with session_scope(engine) as s:
        case = s.get(Case, cid)
        assert case is not None
        events = list(s.exec(select(TimelineEvent).where(TimelineEvent.case_id == cid,
                                                         TimelineEvent.action == "status")))
        s.expunge_all()
    return case, events


def test_a_reservation_writes_the_projection_with_its_outcome_once(engine: Engine) -> None:
    at = _year(engine, 500_000)
    cid = _case(engine, result={"voucher": {"bid_id": 7, "status": "applying"}, "other": 1})
    acts = FundActivities(engine=engine)
    inp = ApplyInput(case_id=cid, contract_amount_fen=600_000, at=at, voucher={"bid_id": 7, "provider": "甲"},
                     waitlisted_message=MESSAGE)
    got = acts.reserve(inp)
    assert got.ok and got.state == "reserved" and got.amount_fen == 300_000
    case, events = _statuses(engine, cid)
    assert case.result["other"] == 1
    assert case.result["voucher"] == {"bid_id": 7, "provider": "甲", "status": "reserved", "amount_fen": 300_000,
                                      "computed_fen": 300_000, "contract_amount_fen": 600_000,
                                      "fund_year": at.year, "limited_by": got.limited_by}
    assert case.status == "applying" and events == []  # reserved: the first review's step writes the next status
    again = acts.reserve(inp)  # a retry after the commit: the same answer, nothing written twice
    assert (again.state, again.amount_fen, again.limited_by) == (got.state, got.amount_fen, got.limited_by)


def test_a_waitlisted_reservation_writes_the_status_too(engine: Engine) -> None:
    at = _year(engine, 300_000)
    first, second = _case(engine), _case(engine)
    acts = FundActivities(engine=engine)
    assert acts.reserve(ApplyInput(case_id=first, contract_amount_fen=600_000, at=at, voucher={},
                                   waitlisted_message=MESSAGE)).state == "reserved"
    inp = ApplyInput(case_id=second, contract_amount_fen=600_000, at=at, voucher={}, waitlisted_message=MESSAGE)
    assert acts.reserve(inp).state == "waitlisted"
    assert acts.reserve(inp).state == "waitlisted"  # retried
    case, events = _statuses(engine, second)
    assert case.status == "waitlisted" and case.result["voucher"]["status"] == "waitlisted"
    assert [(e.message, e.before, e.after) for e in events] == [
        (MESSAGE, {"status": "applying"}, {"status": "waitlisted"})]


def test_a_run_from_before_the_patch_gets_the_reservation_alone(engine: Engine) -> None:
    at = _year(engine, 300_000)  # one voucher: the second waits
    acts = FundActivities(engine=engine)
    assert acts.reserve(ApplyInput(case_id=_case(engine), contract_amount_fen=600_000, at=at)).state == "reserved"
    cid = _case(engine, result={"voucher": {"status": "applying"}})
    got = acts.reserve(ApplyInput(case_id=cid, contract_amount_fen=600_000, at=at))
    assert got.state == "waitlisted", got
    case, events = _statuses(engine, cid)
    assert case.result == {"voucher": {"status": "applying"}} and case.status == "applying" and events == []
