"""Voucher priority (003 art. 11(3)): declared with proof, verified by the operator, applied only under the 2016
version; the 2017 version is first come first served (000 六(二)). The fund page says why a case is ahead."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from activities.fund import FundActivities
from db import fund
from db.engine import session_scope
from db.models import Case, FundReservation, Organization
from tests.conftest import Stack
from tests.helpers import complete, login, register_approved, task_of, wait_for
from tests.voucher.factories import get_org, upload
from workflows.voucher_types import ApplyInput

pytestmark = pytest.mark.pg


def _case(engine: Engine, *, policy: str, specialized: bool, rating: str | None) -> str:
    cid = f"VC-P-{uuid.uuid4().hex[:10]}"
    with session_scope(engine) as s:
        org = Organization(kind="enterprise", name=f"企业{cid}", size="small", specialized=specialized,
                           credit_rating=rating, created_at=datetime.now(UTC))
        s.add(org)
        s.flush()
        s.add(Case(id=cid, type="voucher", status="applying", applicant=org.name, applicant_org_id=org.id,
                   policy_version=policy, data={"category": "credit"}, created_at=datetime.now(UTC),
                   updated_at=datetime.now(UTC)))
    return cid


@pytest.mark.parametrize(("policy", "group"), [("2016", 0), ("2017", 1)])
def test_verified_flags_count_only_under_the_2016_version(engine: Engine, policy: str, group: int) -> None:
    """003 art. 11(3) 优先申领 under 2016; 000 六(二) 按申报的先后顺序 under 2017."""
    at = datetime(random.randint(3000, 9000), 3, 2, 2, 0, tzinfo=UTC)
    cid = _case(engine, policy=policy, specialized=True, rating="AA")
    got = FundActivities(engine=engine).reserve(ApplyInput(case_id=cid, contract_amount_fen=400_000, at=at))
    assert got.ok, got.reason
    with session_scope(engine) as s:
        row = s.get(FundReservation, cid)
        assert row is not None and row.priority_group == group
        assert (row.priority_reason is not None) == (group == 0)
        if group == 0:
            assert "专精特新" in row.priority_reason and "AA" in row.priority_reason  # type: ignore[operator]


def test_the_fund_page_says_why_a_case_is_ahead(engine: Engine) -> None:
    year = 2016  # the 2016 version is in force at its end: priority applies
    with session_scope(engine) as s:
        fund.set_total(s, year=year, total_fen=100, cap_fen=500_000, actor="department1", at=datetime.now(UTC))
    blocker, a, b = (_case(engine, policy="2016", specialized=False, rating=None) for _ in range(3))
    t0 = datetime(2016, 9, 1, 2, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        fund.reserve(s, year=year, case_id=blocker, enterprise_org_id=3, amount_fen=100, specialized=False,
                     credit_rating=None, submitted_at=t0, cap_fen=500_000, at=t0)
        fund.reserve(s, year=year, case_id=a, enterprise_org_id=1, amount_fen=100, specialized=False,
                     credit_rating=None, submitted_at=t0, cap_fen=500_000, at=t0)
        fund.reserve(s, year=year, case_id=b, enterprise_org_id=2, amount_fen=100, specialized=True,
                     credit_rating=None, submitted_at=t0 + timedelta(seconds=1), cap_fen=500_000, at=t0,
                     priority_reason="自治区“专精特新”中小企业（已核验）")
    with session_scope(engine) as s:
        out = fund.summary(s, year=year)
    ours = [w for w in out["waitlist"] if w["case_id"] in (a, b)]
    assert [w["case_id"] for w in ours] == [b, a]
    assert ours[0]["priority_reason"] == "自治区“专精特新”中小企业（已核验）" and ours[1]["priority_reason"] is None
    assert "优先申领" in out["order_rule"] and "2016" in out["order_rule"]
    with session_scope(engine) as s:
        assert "先后顺序" in fund.summary(s, year=2026)["order_rule"] and "优先" not in fund.summary(
            s, year=2026)["order_rule"]


async def test_declared_at_registration_is_not_verified_until_the_operator_checks_the_proof(stack: Stack) -> None:
    """003 art. 11(3): a declaration alone sets nothing; the operator verifies the proof in a task."""
    ent, body = await register_approved(stack.http, "enterprise", declared_specialized=True,
                                        declared_credit_rating="A")
    org = get_org(stack, body["org"]["uscc"])
    assert (org.specialized, org.credit_rating) == (False, None)
    r = await stack.http.post("/api/cases", headers=ent, json={"type": "priority_verification", "data": {
        "specialized": True, "specialized_proof": "0" * 32}})
    assert r.status_code == 422 and r.json()["code"] == "priority_proof_missing", r.text
    r = await stack.http.post("/api/cases", headers=ent, json={"type": "priority_verification", "data": {
        "credit_rating": "A"}})
    assert r.status_code == 422, r.text  # a claim without its proof
    proof = await upload(stack, ent, "信用评级报告.pdf")
    r = await stack.http.post("/api/cases", headers=ent, json={"type": "priority_verification", "data": {
        "credit_rating": "a", "credit_rating_proof": proof}})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    op = await login(stack.http, "operator1")
    task = await task_of(stack.http, op, "priority_verification.review", case_id)
    detail = (await stack.http.get(f"/api/cases/{case_id}", headers=op)).json()
    assert proof in str(detail)  # the evidence is on the case the operator reviews
    r = await complete(stack.http, op, task, "approve")
    assert r.status_code == 200, r.text

    async def verified() -> Organization | None:
        o = get_org(stack, body["org"]["uscc"])
        return o if o.priority_verified_by == "operator1" else None

    o = await wait_for(verified, what="the verified flags")
    assert (o.specialized, o.credit_rating) == (False, "A")


def test_seed_000_section_2_the_ratio_follows_the_confirmed_category(engine: Engine) -> None:
    """Filed as 管理咨询 (50 %), confirmed as 财务代理 by the operator: 25 % of the contract (000 二)."""
    from activities.voucher import VoucherActivities
    from workflows.voucher_types import ConfirmCategoryInput

    at = datetime(random.randint(3000, 9000), 3, 2, 2, 0, tzinfo=UTC)
    cid = _case(engine, policy="2017", specialized=False, rating=None)
    with session_scope(engine) as s:
        case = s.get(Case, cid)
        assert case is not None
        case.data = {"category": "management_consulting", "title": "代理记账"}
    acts = VoucherActivities(engine=engine)
    for _ in range(2):  # idempotent
        acts.confirm_category(ConfirmCategoryInput(case_id=cid, category="financial_agency", actor="operator1", at=at))
    with session_scope(engine) as s:
        case = s.get(Case, cid)
        assert case is not None
        assert (case.data["category"], case.data["declared_category"]) == ("financial_agency", "management_consulting")
        assert case.result["voucher"]["category_confirmed"] is True
    got = FundActivities(engine=engine).reserve(ApplyInput(case_id=cid, contract_amount_fen=1_000_000, at=at))
    assert got.ok and got.amount_fen == 250_000, got


def test_seed_003_art_11_4_the_monthly_report_counts_each_providers_service_and_satisfaction(engine: Engine) -> None:
    from activities.voucher_statistics import provider_service

    year = random.randint(3000, 9000)
    name = f"服务机构{uuid.uuid4().hex[:6]}"
    rows = [("settled", f"{year}-05-10", "satisfied", None), ("settled", f"{year}-05-20", "unsatisfied", "不满意"),
            ("settled", f"{year}-04-30", "satisfied", None), ("in_service", None, None, None)]
    with session_scope(engine) as s:
        for status, day, rating, why in rows:
            s.add(Case(id=f"VC-S-{uuid.uuid4().hex[:10]}", type="voucher", status=status, data={"category": "credit"},
                       result={"voucher": {"provider_name": name, "status": status, "settled_on": day,
                                           "settled_fen": 100_000, "satisfaction": rating,
                                           "adjustment_reason": why}},
                       created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
    with session_scope(engine) as s:
        got = provider_service(s, year=year, month=5)[name]
    assert got == [1, 2, 200_000, 1, 0, 1, 1]  # running, settled, amount, satisfied/basic/unsatisfied, lowered
