"""The voucher's paths on fake activities (tests/workflows/harness.py): the demand review (reject, return and
correction), the withdrawal, no bids, the fraud void, a waitlisted application moved up, and the whole walk to the
settlement with both four-eyes steps. The fund, the bids and the policy are fakes: their rules have their own tests."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.worker import Replayer

from payloads import DATA_CONVERTER
from processes.registry import workflows
from rules.calendar import SHANGHAI
from tests.workflows.harness import FakeActivities, Harness
from workflows.types import CaseInput
from workflows.voucher import VoucherWorkflow
from workflows.voucher_statistics import STATISTICS_ID
from workflows.voucher_types import (
    ApplyInput,
    BidsClosed,
    FundChanged,
    FundResult,
    VoidRequest,
    VoucherStarted,
    WithdrawRequest,
    WithdrawResult,
)

pytestmark = pytest.mark.workflow

# The 2016 version's own order (003 art. 9-10): contract first, the operator alone, the deposit.
POLICY_2016 = VoucherStarted(policy="2016", policy_title="宁非公经发〔2016〕73号", bidding_working_days=5,
                             expiry_reminder_days=[30, 7], supervision_fee_bp=300, department_reviews=False,
                             contract_before_application=True, deposit=True)
BIDDING_OVER = timedelta(days=8)  # the fake bidding closes 7 days after it opens
CONTRACT = 1_000_000  # fen; the fake fund reserves half of it


async def _start(h: Harness) -> str:
    case_id = f"V-FAST-{uuid.uuid4().hex[:8]}"
    await h.start(VoucherWorkflow.run, CaseInput(case_id=case_id, case_type="voucher", applicant_username="ent_a",
                                                 applicant_org_id=5), id=case_id)
    # A voucher case may start the monthly statistics (an abandoned child, tested in test_voucher_statistics.py;
    # issue 8 moves the start to the worker). End it: its report timer would fire whenever simulated time skips.
    await h.fakes.task("voucher.demand_review", case_id)
    await h.end(STATISTICS_ID)
    return case_id



async def _to_first_review(h: Harness, case_id: str) -> None:
    """Demand approved, bidding over, a bid chosen and awarded, the application submitted and the fund reserved."""
    await h.step("voucher.demand_review", "approve", "operator1", case_id=case_id)
    await h.fakes.call("set_case_status", case_id, lambda i: i.status == "bidding")
    await h.env.sleep(BIDDING_OVER)
    await h.step("voucher.choose_bid", "submit", "ent_a", case_id=case_id, data={"bid_id": 1})
    await h.step("voucher.award_review", "approve", "operator1", case_id=case_id)
    await h.step("voucher.apply", "submit", "ent_a", case_id=case_id, data={"contract_amount_fen": CONTRACT})


async def _waitlisted_by_the_reservation(h: Harness, case_id: str) -> None:
    """Patch "voucher-reserve-projects" (issue 12): the reservation is asked to write the projection and, waitlisted,
    the case's status itself; no `voucher_project` or `set_case_status` follows it."""
    inp = await h.fakes.call("voucher_reserve_fund", case_id)
    assert inp.voucher is not None and inp.voucher.get("provider_org_id") == 7, inp
    assert inp.waitlisted_message and "候补" in inp.waitlisted_message
    await h.idle(case_id)
    assert h.fakes.names(case_id)[-1] == "voucher_reserve_fund", h.fakes.names(case_id)


def _waitlisted(inp: ApplyInput) -> FundResult:
    """Waitlisted in the fund of the application's year (a waitlisted application lapses when that year ends)."""
    return FundResult(state="waitlisted", amount_fen=500_000, year=inp.at.astimezone(SHANGHAI).year)


async def _replays_and_is_kept(h: Harness, case_id: str, name: str) -> None:
    """The case's history (with its patch markers) replays; FLOW168_RECORD_HISTORIES=1 keeps it in tests/replay."""
    history = await h.handle(case_id).fetch_history()
    await Replayer(workflows=workflows(), data_converter=DATA_CONVERTER).replay_workflow(history)
    path = Path(__file__).parents[1] / "replay" / "histories" / f"VoucherWorkflow__{name}.json"
    if os.environ.get("FLOW168_RECORD_HISTORIES") and not path.exists():
        path.write_text(history.to_json())


async def _deposited(h: Harness, policy: VoucherStarted) -> str:
    """A 2016 voucher issued and its deposit paid (003 art. 9(二)); the provider's delivery step is open."""
    h.fakes.returns("voucher_start", policy)
    case_id = await _start(h)
    await _to_first_review(h, case_id)
    await h.step("voucher.first_review", "approve", "operator1", case_id=case_id)
    await h.step("voucher.deposit", "submit", "operator2", case_id=case_id, data={"deposit_fen": 500_000})
    await h.fakes.task("voucher.delivery", case_id)
    return case_id


def _fund_ops(f: FakeActivities, case_id: str) -> list[str]:
    return [i.op for i in f.inputs("voucher_fund_op", case_id)]


class TestDemandReview:
    async def test_reject_closes_the_case(self, harness: Harness) -> None:
        case_id = await _start(harness)
        task = await harness.step("voucher.demand_review", "reject", "operator1", case_id=case_id, comment="需求不明确")
        assert (task.spec.role, task.spec.decisions) == ("operator", ["approve", "reject", "return"])
        assert await harness.result(case_id) == "rejected"
        f = harness.fakes
        assert f.statuses(case_id) == ["in_review", "rejected"]
        final = f.inputs("set_case_status", case_id)[-1]
        assert final.closed and "需求不明确" in final.message
        assert "voucher_open_bidding" not in f.names(case_id) and _fund_ops(f, case_id) == []
        assert f.notified(case_id) == ["result"]

    async def test_return_sends_the_demand_back_and_resumes_the_review(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await harness.step("voucher.demand_review", "return", "operator1", case_id=case_id, comment="请补充预算")
        correction = await harness.fakes.task("voucher.correction", case_id)
        assert (correction.spec.role, correction.spec.org_id) == ("enterprise", 5)
        await harness.decide(correction, "submit", "ent_a", data={"budget_fen": 300_000})
        again = await harness.step("voucher.demand_review", "approve", "operator2", case_id=case_id)
        assert again.id == f"{case_id}.demand_review.2"
        f = harness.fakes
        await f.call("set_case_status", case_id, lambda i: i.status == "bidding")
        assert f.statuses(case_id) == ["in_review", "returned", "in_review", "bidding"]
        assert f.inputs("voucher_open_bidding", case_id)[0].working_days == 5  # the policy's, from voucher_start


class TestEndingEarly:
    async def test_the_enterprise_withdraws_during_the_demand_review(self, harness: Harness) -> None:
        case_id = await _start(harness)
        task = await harness.fakes.task("voucher.demand_review", case_id)
        handle = harness.handle(case_id)
        got = await handle.execute_update(VoucherWorkflow.withdraw, WithdrawRequest(reason="已自行解决", actor="ent_a"))
        assert got == WithdrawResult(status="withdrawing")
        assert await harness.result(case_id) == "withdrawn"
        f = harness.fakes
        assert task.status == "cancelled" and "close_task" not in f.names(case_id)
        assert _fund_ops(f, case_id) == ["release"]
        assert f.inputs("voucher_project", case_id)[-1].voucher["status"] == "withdrawn"
        final = f.inputs("set_case_status", case_id)[-1]
        assert (final.status, final.closed) == ("withdrawn", True) and "已自行解决" in final.message
        assert f.notified(case_id) == ["withdrawn"]  # no provider yet: the enterprise only
        with pytest.raises(RPCError, match="not found"):  # an Update to a finished case (the API answers 409)
            await handle.execute_update(VoucherWorkflow.withdraw, WithdrawRequest(reason="再次撤回", actor="ent_a"))

    async def test_no_bid_before_the_close_closes_the_demand(self, harness: Harness) -> None:
        harness.fakes.returns("voucher_close_bidding", BidsClosed(bid_ids=[]))
        case_id = await _start(harness)
        await harness.step("voucher.demand_review", "approve", "operator1", case_id=case_id)
        assert await harness.result(case_id) == "closed"  # waiting on the result lets the bidding period pass
        f = harness.fakes
        assert f.statuses(case_id) == ["in_review", "bidding", "closed"]
        assert f.open_tasks(case_id=case_id) == [] and "voucher_choose_bid" not in f.names(case_id)

    async def test_a_fraud_void_during_the_first_review_returns_the_money_and_sanctions_both(
            self, harness: Harness) -> None:
        case_id = await _start(harness)
        await _to_first_review(harness, case_id)
        first = await harness.fakes.task("voucher.first_review", case_id)
        handle = harness.handle(case_id)
        await handle.signal(VoucherWorkflow.void, VoidRequest(reason="虚假合同", actor="operator1",
                                                              responsible_person="张三"))
        assert await harness.result(case_id) == "void"
        f = harness.fakes
        assert first.status == "cancelled"
        assert _fund_ops(f, case_id) == ["void"]
        voided = f.inputs("voucher_void_case", case_id)[0]
        assert (voided.reason, voided.actor, voided.provider_org_id) == ("虚假合同", "operator1", 7)
        assert voided.responsible_person == "张三"  # recorded apart from the enterprise (003 art. 11(1))
        assert f.drafted(case_id) == ["voucher_void_decision"]
        assert f.statuses(case_id)[-1] == "void"
        told = [(i.kind, i.usernames, i.roles, i.org_id) for i in f.inputs("notify", case_id)]
        # the enterprise, the provider, and the department informed (003 art. 11(1); patch
        # "voucher-void-informs-department")
        assert told[-3:] == [("void", ["ent_a"], [], None), ("void", [], ["provider"], 7),
                             ("void", [], ["department"], None)]


class TestFund:
    async def test_a_waitlisted_application_is_reviewed_once_the_fund_moves_it_up(self, harness: Harness) -> None:
        f = harness.fakes
        f.returns("voucher_reserve_fund", _waitlisted)
        case_id = await _start(harness)
        await _to_first_review(harness, case_id)
        await _waitlisted_by_the_reservation(harness, case_id)
        await harness.idle(case_id)  # waiting for the fund (see the test below for why this matters)
        assert f.open_tasks("voucher.first_review", case_id) == []
        f.returns("voucher_fund_op", FundResult(state="reserved", amount_fen=500_000))
        await harness.handle(case_id).signal(VoucherWorkflow.fund_changed, FundChanged(state="reserved"))
        first = await f.task("voucher.first_review", case_id)
        assert "5000.00" in first.spec.summary
        assert _fund_ops(f, case_id) == ["state"]


    async def test_a_reservation_that_promotes_a_waiter_tells_it(self, harness: Harness) -> None:
        """003 art. 11(3) / 000 六(二): a reservation can promote an earlier waiter (patch
        "voucher-reserve-tells-promoted"); the promoted case is signalled and goes on to its first review."""
        f = harness.fakes
        # waitlisted in next year's fund, so its year-end lapse is a year away whatever the shared test clock says
        # (other tests leap it by months; the later case's bidding leaps 8 more days)
        f.returns("voucher_reserve_fund", lambda inp: FundResult(state="waitlisted", amount_fen=500_000,
                                                                 year=inp.at.astimezone(SHANGHAI).year + 1))
        waiter = await _start(harness)
        await _to_first_review(harness, waiter)
        await _waitlisted_by_the_reservation(harness, waiter)
        await harness.idle(waiter)
        f.returns("voucher_reserve_fund", lambda inp: FundResult(state="reserved", amount_fen=500_000, year=inp.at.year,
                                                                  promoted=[waiter]))
        f.returns("voucher_fund_op", FundResult(state="reserved", amount_fen=500_000))
        later = await _start(harness)
        await _to_first_review(harness, later)
        await f.task("voucher.first_review", later)
        await f.task("voucher.first_review", waiter)
        assert _fund_ops(f, waiter) == ["state"]
        await _replays_and_is_kept(harness, later, "reserve_promotes_v9")

    async def test_a_promotion_signalled_while_the_waitlisted_status_is_written_is_not_lost(
            self, harness: Harness) -> None:
        """The status is written by the reservation (patch "voucher-reserve-projects"): a promotion signalled while it
        runs is not lost (patch "voucher-fund-signal-kept")."""
        f = harness.fakes
        signalled = asyncio.Event()

        async def waitlisted_after_the_signal(inp: ApplyInput) -> FundResult:
            await signalled.wait()
            return _waitlisted(inp)

        f.returns("voucher_reserve_fund", waitlisted_after_the_signal)
        case_id = await _start(harness)
        await _to_first_review(harness, case_id)
        await f.call("voucher_reserve_fund", case_id)
        f.returns("voucher_fund_op", FundResult(state="reserved", amount_fen=500_000))
        handle = harness.handle(case_id)
        await handle.signal(VoucherWorkflow.fund_changed, FundChanged(state="reserved"))

        # The server has the signal (`signal` returned) while the status write still runs. With regular activities
        # its own workflow task ran meanwhile; with local ones (patch "local-activities") the server keeps it until
        # the workflow task that runs the write completes, and hands it over next.
        signalled.set()
        await f.task("voucher.first_review", case_id, timeout=3)


class TestSettlement:
    async def test_the_whole_walk_to_the_settlement(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await _to_first_review(harness, case_id)
        await harness.step("voucher.first_review", "approve", "operator1", case_id=case_id)
        final = await harness.fakes.task("voucher.final_review", case_id)
        assert final.excluded_users == ["operator1"]
        await harness.decide(final, "approve", "department1")
        await harness.step("voucher.delivery", "submit", "prov_a", case_id=case_id, data={"paid_fen": 500_000})
        await harness.step("voucher.confirm", "submit", "ent_a", case_id=case_id, data={"satisfaction": "satisfied"})
        await harness.step("voucher.settlement_review", "approve", "operator2", case_id=case_id,
                           data={"supervision_fee_bp": 400})
        approval = await harness.fakes.task("voucher.settlement_approval", case_id)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await harness.decide(approval, "approve", "operator2")
        assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "FourEyes"
        await harness.decide(approval, "approve", "department2")
        assert await harness.result(case_id) == "settled"
        f = harness.fakes
        assert f.statuses(case_id) == ["in_review", "bidding", "choosing", "in_review", "applying", "in_review",
                                       "issued", "in_service", "settling", "settled"]
        assert f.inputs("voucher_reserve_fund", case_id)[0].contract_amount_fen == CONTRACT
        assert _fund_ops(f, case_id) == ["settle"] and f.inputs("voucher_fund_op", case_id)[0].amount_fen == 500_000
        assert f.drafted(case_id) == ["voucher_certificate", "three_party_contract", "settlement_statement"]
        voucher = f.inputs("voucher_project", case_id)[-1].voucher
        assert (voucher["status"], voucher["settled_fen"], voucher["supervision_fee_fen"], voucher["voucher_no"]) == (
            "settled", 500_000, 40_000, "NXV-TEST-0001")
        assert f.notified(case_id)[-2:] == ["settled", "settled"]  # the enterprise and the provider


class TestCategoryConfirmedAtTheDemandReview:
    """000 二: 财务代理 / 财务信息化 are subsidised at 25 %; the operator confirms or corrects the filed category at the
    demand review (patch "voucher-category-confirmed") and the ratio follows the confirmed one."""

    async def test_the_operator_corrects_the_category(self, harness: Harness) -> None:
        case_id = await _start(harness)
        task = await harness.step("voucher.demand_review", "approve", "operator1", case_id=case_id,
                                  data={"category": "financial_agency"})
        assert task.spec.form == "voucher_demand_review" and "25%" in task.spec.summary
        f = harness.fakes
        await f.call("set_case_status", case_id, lambda i: i.status == "bidding")
        confirmed = f.inputs("voucher_confirm_category", case_id)
        assert [(c.category, c.actor) for c in confirmed] == [("financial_agency", "operator1")]
        names = f.names(case_id)
        assert names.index("voucher_confirm_category") < names.index("voucher_open_bidding")

    async def test_approving_without_a_category_confirms_the_filed_one(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await harness.step("voucher.demand_review", "approve", "operator1", case_id=case_id)
        await harness.fakes.call("set_case_status", case_id, lambda i: i.status == "bidding")
        assert [c.category for c in harness.fakes.inputs("voucher_confirm_category", case_id)] == [None]


class TestEachVersionRunsItsOwnOrder:
    """003 art. 9-10 (the 2016 version): the three-party contract is signed before the application; the operator
    alone reviews, issues and settles (no department step); the rest of the fee is paid to the operator as a
    deposit. The 2017 version keeps 000 五-七 (test_the_whole_walk_to_the_settlement). Patch "voucher-policy-order"."""

    async def test_the_2016_order(self, harness: Harness) -> None:
        harness.fakes.returns("voucher_start", POLICY_2016)
        case_id = await _start(harness)
        await _to_first_review(harness, case_id)
        f = harness.fakes
        await f.task("voucher.first_review", case_id)
        # the contract was drafted on the chosen bid before the application
        assert f.drafted(case_id) == ["three_party_contract"]
        names = f.names(case_id)
        assert names.index("draft_document") < names.index("voucher_reserve_fund")
        await harness.step("voucher.first_review", "approve", "operator1", case_id=case_id)
        deposit = await f.task("voucher.deposit", case_id)
        assert deposit.spec.role == "operator" and "5000.00元" in deposit.spec.summary  # contract − voucher
        await harness.decide(deposit, "submit", "operator2", data={"deposit_fen": 500_000})
        await harness.step("voucher.delivery", "submit", "prov_a", case_id=case_id, data={"paid_fen": 500_000})
        await harness.step("voucher.confirm", "submit", "ent_a", case_id=case_id, data={"satisfaction": "satisfied"})
        await harness.step("voucher.settlement_review", "approve", "operator1", case_id=case_id)
        assert await harness.result(case_id) == "settled"
        types = [t.spec.type for t in f.tasks.values() if t.case_id == case_id]
        assert "voucher.final_review" not in types and "voucher.settlement_approval" not in types
        assert all(t.spec.role != "department" for t in f.tasks.values() if t.case_id == case_id)
        assert f.drafted(case_id) == ["three_party_contract", "voucher_certificate", "settlement_statement"]
        assert f.statuses(case_id) == ["in_review", "bidding", "choosing", "in_review", "contracting", "applying",
                                       "in_review", "issued", "awaiting_deposit", "issued", "in_service", "settling",
                                       "settled"]
        voucher = f.inputs("voucher_project", case_id)[-1].voucher
        assert (voucher["deposit_fen"], voucher["contract_no"]) == (500_000, f"{case_id}-HT")
        # 003 art. 9(二), 10 and the 2016 contract: the deposit is paid over to the provider with the settlement
        # (patch "voucher-deposit-settled")
        assert voucher["deposit_paid_over_fen"] == 500_000 and "deposit_refund_due_fen" not in voucher
        over = [i for i in f.inputs("notify", case_id) if i.kind == "deposit_paid_over"]
        assert len(over) == 1 and over[0].roles == ["operator"] and "5000.00元" in over[0].body
        await _replays_and_is_kept(harness, case_id, "deposit_settled_v8")

    async def test_a_2016_voucher_that_expires_after_the_deposit_refunds_it(self, harness: Harness) -> None:
        """003 art. 9(二): the deposit is the enterprise's money held for the provider; unused, it goes back."""
        case_id = await _deposited(harness, POLICY_2016.model_copy(update={"expiry_reminder_days": []}))
        await harness.env.sleep(timedelta(days=183))
        assert await harness.result(case_id) == "expired"
        refund = [i for i in harness.fakes.inputs("notify", case_id) if i.kind == "deposit_refund"]
        assert len(refund) == 1 and "有效期届满" in refund[0].body and "5000.00元" in refund[0].body
        assert harness.fakes.inputs("voucher_project", case_id)[-1].voucher["deposit_refund_due_fen"] == 500_000

    async def test_a_2016_voucher_voided_after_the_deposit_refunds_it(self, harness: Harness) -> None:
        """003 art. 9(二), 11(一): a fraud void ends the voucher unsettled; the operator is asked to return the deposit."""
        case_id = await _deposited(harness, POLICY_2016)
        await harness.handle(case_id).signal(VoucherWorkflow.void, VoidRequest(reason="虚假合同", actor="operator1"))
        assert await harness.result(case_id) == "void"
        refund = [i for i in harness.fakes.inputs("notify", case_id) if i.kind == "deposit_refund"]
        assert len(refund) == 1 and "已作废" in refund[0].body and "5000.00元" in refund[0].body

    async def test_a_2016_withdrawal_after_the_deposit_asks_the_operator_to_refund_it(self, harness: Harness) -> None:
        case_id = await _deposited(harness, POLICY_2016)
        await harness.handle(case_id).execute_update(VoucherWorkflow.withdraw,
                                                     WithdrawRequest(reason="不再需要", actor="ent_a"))
        assert await harness.result(case_id) == "withdrawn"
        refund = [i for i in harness.fakes.inputs("notify", case_id) if i.kind == "deposit_refund"]
        assert len(refund) == 1 and refund[0].roles == ["operator"] and "5000.00元" in refund[0].body
