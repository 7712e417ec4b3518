"""The service voucher (P1; seed 000 五, seed 003 art. 9-11): demand, bidding, award, application with the fund
reserved first come first served, two reviews, the named voucher, delivery, confirmation and settlement.

The operator (the operating unit, 003 art. 11(1); the department may too) voids the voucher for fraud at any stage
(signal `void`): the running step is cancelled,
the money goes back to the fund, the provider loses its signed status, the enterprise is blacklisted and the
void decision is drafted. The enterprise may withdraw (Update `withdraw`) until the provider reports delivery;
its money goes back to the fund and the first waitlisted application moves up. An issued voucher not used before
its validity ends is void too (reminders before, per the policy version). An application still waitlisted when
its fund year ends lapses (the year's fund is closed), and the enterprise is told it may apply again.

Changes that touch running cases are guarded with `workflow.patched`:
- "voucher-void-decision": a fraud void drafts the decision document (before: the timeline only).
- "voucher-waitlist-lapses": a waitlisted application lapses at the end of its fund year (before: it waited on).
- "voucher-stop-reliably": a void (or withdrawal) stops the process cooperatively at its next step or wait
  (before: an asyncio cancel, lost when it came with an activity's result, and the case hung in its next step).
- "voucher-payout-reconciled": the enterprise confirms what it paid at voucher.confirm (its task shows the
  provider's figure) and the settlement counts that figure, capped by the contract (before: the provider's figure
  alone, and one above the contract looped the settlement review forever with the money reserved).
- "voucher-policy-order": each version runs its own order, read from the version the case started under (003 art.
  9-10 for 2016: the three-party contract before the application, the operator alone reviews, issues and settles,
  the rest of the fee paid to the operator as a deposit; 000 五-七 for 2017). Before: the 2019 order for both.
- "voucher-void-informs-department": a fraud void (the operator's power, 003 art. 11(1)) informs the department.
- "voucher-category-confirmed": the operator confirms or corrects the demand's category at its review; the ratio
  follows the confirmed category (000 二).
- "voucher-reserve-tells-promoted": a reservation that promotes a later waiter (003 art. 11(3); 000 六(二): an
  earlier application of the same enterprise no longer fits its yearly cap and stops holding up the queue) signals
  that case (before: its fund row said reserved but its workflow waited on).
- "voucher-deposit-settled": a 2016 deposit is paid over to the provider with the settlement, and refunded to the
  enterprise when the voucher expires or is voided (003 art. 9(二); before: only a withdrawal refunded it).
- "voucher-reserved-projected-once": an application reserved at once writes its projection once (before: twice).
- "status-with-step" (workflows/human.py): the status a step opens with (choosing, the award review, applying, the
  first review, the settlement review) is written by its `open_task` (before: a `set_case_status` first).
- "voucher-reserve-projects": the reservation writes the projection and a waitlisted case's status in its own
  transaction (before: a `voucher_project` and a `set_case_status` after it).
The `withdraw` Update is new and acts only when it arrives, so it needs no patch.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows.human import CaseWorkflow, run_activity
from workflows.voucher_statistics import STATISTICS_ID, VoucherStatisticsWorkflow

with workflow.unsafe.imports_passed_through():
    from rules.calendar import SHANGHAI
    from rules.errors import RuleViolation
    from rules.voucher import POLICIES, settlement_amount, supervision_fee, validate_lowered_amount
    from workflows.types import (
        NOTIFY,
        CaseInput,
        DecisionInput,
        NotifyInput,
        StepSpec,
    )
    from workflows.voucher_types import (
        CHOOSE_BID,
        CLOSE_BIDDING,
        CONFIRM_CATEGORY,
        FUND_OP,
        ISSUE_VOUCHER,
        OPEN_BIDDING,
        PROJECT_VOUCHER,
        RESERVE_FUND,
        VOID_CASE,
        VOUCHER_START,
        ApplyInput,
        BiddingInput,
        BiddingOpened,
        BidsClosed,
        ChooseBidInput,
        ChosenBid,
        ConfirmCategoryInput,
        FundChanged,
        FundOpInput,
        FundResult,
        IssuedVoucher,
        IssueInput,
        StatisticsInput,
        VoidCaseInput,
        VoidRequest,
        VoucherProjection,
        VoucherStarted,
        VoucherStartInput,
        WithdrawRequest,
        WithdrawResult,
        reservation_view,
    )

REVIEW = ["approve", "reject", "return"]
APPROVE = ["approve", "reject"]
SUBMIT = ["submit"]
ENDED = ("settled", "void", "expired", "rejected", "closed", "withdrawn")
WAITLISTED = "本年度服务券资金暂不足，申请已进入候补名单，资金释放后按顺序递补"


class _Closed(Exception):
    """The process ended early (rejected, no bids, fund could not cover it); the status is already set."""


SATISFACTION_ZH = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}


@workflow.defn
class VoucherWorkflow(CaseWorkflow):
    """One voucher case, from the enterprise's demand to the provider's settlement."""

    def __init__(self) -> None:
        super().__init__()
        self.voucher: dict[str, Any] = {}
        self.provider_org_id: int | None = None
        self.policy: VoucherStarted | None = None
        self._void: VoidRequest | None = None
        self._withdraw: WithdrawRequest | None = None
        self._delivered = False
        self._fund_changed = False
        self._own_order = False  # patch "voucher-policy-order" (set when the case starts)

    # --- messages ---------------------------------------------------------------------------------

    @workflow.signal
    def void(self, req: VoidRequest) -> None:
        """The operator (or the department) voids the voucher for fraud (003 art. 11(1)); the first request wins."""
        if self._void is None:
            self._void = req

    @workflow.update
    async def withdraw(self, req: WithdrawRequest) -> WithdrawResult:
        """The enterprise withdraws before delivery. No seed provides for a withdrawal (003 art. 11(3) is the order of
        issue and the expiry); the platform allows it so that unused money returns to the fund for the next in line."""
        self._withdraw = req
        return WithdrawResult(status="withdrawing")

    @withdraw.validator
    def _validate_withdraw(self, req: WithdrawRequest) -> None:
        if self._void is not None or self._withdraw is not None or self.status in ENDED:
            raise ApplicationError(f"this voucher case is already {self.status}", type="Closed")
        if self._delivered:
            raise ApplicationError("the provider has reported the service as delivered; the case can no longer be "
                                   "withdrawn", type="Delivered")
        if not req.reason.strip():
            raise ApplicationError("give the reason of the withdrawal", type="InvalidDecision")

    @workflow.signal
    def fund_changed(self, _change: FundChanged) -> None:
        """The fund promoted (or dropped) this waitlisted application; the workflow re-reads its state."""
        self._fund_changed = True

    @workflow.query
    def voucher_state(self) -> dict[str, Any]:
        return dict(self.voucher)

    # --- the process --------------------------------------------------------------------------------

    @workflow.run
    async def run(self, case: CaseInput) -> str:
        self.case = case
        process = asyncio.ensure_future(self._process())
        await workflow.wait_condition(lambda: process.done() or self._void is not None or self._withdraw is not None)
        if not process.done():
            await self._stop(process)
            try:
                await process
            except (asyncio.CancelledError, _Closed):
                pass
            self._pending.clear()
            if self._void is not None:
                await self._voided()
            else:
                await self._withdrawn()
        else:
            try:
                process.result()
            except _Closed:
                pass
        await self.finish()
        return self.status

    async def _stop(self, process: asyncio.Future[None]) -> None:
        """End the running process for a void or a withdrawal (patched: cooperatively, see CaseWorkflow.stop_parts;
        before, an asyncio cancel that could be lost and leave the case hanging in its next step)."""
        if not workflow.patched("voucher-stop-reliably"):
            process.cancel()
            return
        await self.stop_parts([process])

    async def _process(self) -> None:
        case = self.case
        assert case is not None
        if not workflow.patched("statistics-started-by-worker"):
            await self._ensure_statistics()  # before: every case started it; now the worker does, once
        self.policy = await run_activity(VOUCHER_START, VoucherStartInput(case_id=case.case_id, at=workflow.now()),
                                         VoucherStarted)
        self._own_order = workflow.patched("voucher-policy-order")
        await self.set_status("in_review", "服务需求已提交，等待运营单位审核")
        enterprise = {"role": "enterprise", "org_id": case.applicant_org_id}
        correction = StepSpec(step="correction", type="voucher.correction", title="修改服务需求", decisions=SUBMIT,
                              form="voucher", **enterprise)
        # Patched "voucher-category-confirmed" (issue 13, fidelity1): the operator confirms or corrects the category
        # at the demand review and the ratio follows it (000 二); before, the enterprise's category stood unchecked.
        confirm_category = workflow.patched("voucher-category-confirmed")
        demand = await self.review(StepSpec(
            step="demand_review", type="voucher.demand_review", title="服务需求审核", role="operator", decisions=REVIEW,
            form="voucher_demand_review" if confirm_category else "review",
            summary="请核定服务类别：补贴比例按核定的类别计算（财务代理、财务信息化为合同金额的25%）"
            if confirm_category else ""), correction)
        await self._refuse_if(demand, "服务需求审核")
        if confirm_category:
            category = demand.data.get("category")
            await run_activity(CONFIRM_CATEGORY, ConfirmCategoryInput(
                case_id=case.case_id, category=category if isinstance(category, str) and category else None,
                actor=demand.actor, at=workflow.now()))
        await self._bidding()
        chosen = await self._choose_and_award()
        self.provider_org_id = chosen.provider_org_id
        await self._project(status="applying", provider_name=chosen.provider_name, bid_amount_fen=chosen.amount_fen,
                            provider_org_id=chosen.provider_org_id)
        if self._order("contract_before_application"):
            await self._contract_first(chosen)
        await self._apply()
        await self._reviews()
        await self._issue()
        if self._order("deposit"):
            await self._deposit()
        await self._deliver_before_expiry()
        await self._settle()

    async def _refuse_if(self, decision: DecisionInput, what: str, *, release: bool = False) -> None:
        if decision.decision != "reject":
            return
        if release:
            await self._fund("release")
            await self._project(status="rejected")
        await self.set_status("rejected", f"{what}未通过：{decision.comment}", closed=True)
        await self.notify_applicant(f"服务券：{what}未通过", f"理由：{decision.comment}", kind="result")
        raise _Closed

    async def _close(self, status: str, message: str) -> None:
        await self.set_status(status, message, closed=True)
        await self.notify_applicant(f"服务券：{message}", message, kind="result")
        raise _Closed

    async def _bidding(self) -> None:
        """Bidding stays open for the policy's working days; with no bid the case closes (000 五.3)."""
        assert self.case is not None and self.policy is not None
        opened: BiddingOpened = await run_activity(
            OPEN_BIDDING, BiddingInput(case_id=self.case.case_id, working_days=self.policy.bidding_working_days,
                                       at=workflow.now()), BiddingOpened)
        await self.set_status("bidding", f"需求已发布，报价截止于{opened.closes_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}")
        if opened.closes_at > workflow.now():
            await self.pause(opened.closes_at - workflow.now())
        closed: BidsClosed = await run_activity(CLOSE_BIDDING, BiddingInput(case_id=self.case.case_id,
                                                                            at=workflow.now()), BidsClosed)
        if not closed.bid_ids:
            await self._close("closed", "报价期内没有签约服务机构报价，需求已关闭")

    async def _choose_and_award(self) -> ChosenBid:
        """The enterprise chooses a bid; the operator confirms the award (审核定标) or sends it back."""
        assert self.case is not None
        note = ""
        while True:
            decision = await self.human_step(StepSpec(
                step="choose_bid", type="voucher.choose_bid", title="选择服务机构报价", role="enterprise",
                org_id=self.case.applicant_org_id, decisions=SUBMIT, form="voucher_choose_bid", summary=note),
                status=("choosing", note or "报价已截止，请企业选择服务机构"))
            chosen: ChosenBid = await run_activity(
                CHOOSE_BID, ChooseBidInput(case_id=self.case.case_id, bid_id=int(decision.data.get("bid_id", 0)),
                                           at=workflow.now()), ChosenBid)
            if not chosen.ok:
                note = chosen.reason
                continue
            award = await self.human_step(StepSpec(
                step="award_review", type="voucher.award_review", title="审核定标", role="operator", decisions=REVIEW,
                form="review", summary=f"中标服务机构：{chosen.provider_name}，报价{chosen.amount_fen / 100:.2f}元"),
                status=("in_review", f"企业选定{chosen.provider_name}，等待审核定标"))
            if award.decision == "return":
                note = f"定标被退回：{award.comment}"
                continue
            await self._refuse_if(award, "审核定标")
            return chosen

    async def _apply(self) -> None:
        """voucher.apply: amount by rules, fund reserved at once; waitlisted until the fund can cover it."""
        assert self.case is not None
        decision = await self.human_step(StepSpec(
            step="apply", type="voucher.apply", title="申领服务券", role="enterprise", org_id=self.case.applicant_org_id,
            decisions=SUBMIT, form="voucher_apply"), status=("applying", "定标完成，请企业提交服务券申领材料"))
        contract = int(decision.data["contract_amount_fen"])
        # Patched "voucher-fund-signal-kept": a promotion signalled while the status was being written was lost
        # (the flag was cleared after that activity); now it is cleared only before the fund is read.
        signal_kept = workflow.patched("voucher-fund-signal-kept")
        if signal_kept:
            self._fund_changed = False
        # Patched "voucher-reserve-projects" (issue 12): the reservation writes the projection (and a waitlisted
        # case's status) in its own transaction; before, two more activities followed it.
        merged = workflow.patched("voucher-reserve-projects")
        got: FundResult = await run_activity(
            RESERVE_FUND, ApplyInput(case_id=self.case.case_id, contract_amount_fen=contract, at=workflow.now(),
                                     voucher=dict(self.voucher) if merged else None,
                                     waitlisted_message=WAITLISTED if merged else None),
            FundResult)
        # Patched "voucher-reserve-tells-promoted": a reservation can promote a later waiter (an earlier one of this
        # enterprise no longer fits its yearly cap and stops holding up the queue); before, that case was not told.
        if got.promoted and workflow.patched("voucher-reserve-tells-promoted"):
            await self._tell_fund_moves(got)
        if not got.ok:
            await self._project(status="rejected", contract_amount_fen=contract)
            await self._close("rejected", f"服务券申领未通过：{got.reason}")
        if merged:
            self.voucher.update(reservation_view(got, contract))
        else:
            await self._project(**reservation_view(got, contract))
        lapses = workflow.patched("voucher-waitlist-lapses")
        year_end = datetime(got.year + 1, 1, 1, tzinfo=SHANGHAI) if got.year else None
        waited = got.state == "waitlisted"
        written = merged  # the first waitlisted status is already in the database
        while got.state == "waitlisted":
            if written:
                self.status = "waitlisted"
            else:
                await self.set_status("waitlisted", WAITLISTED)
            written = False
            if not signal_kept:
                self._fund_changed = False
            if not lapses or year_end is None:
                await workflow.wait_condition(lambda: self._fund_changed or self._stopping)
                self._raise_if_stopping()
                if signal_kept:
                    self._fund_changed = False
                got = await self._fund("state")
                continue
            try:
                await workflow.wait_condition(lambda: self._fund_changed or self._stopping, timeout=max(
                    year_end - workflow.now(), timedelta(seconds=1)))
                self._raise_if_stopping()
                if signal_kept:
                    self._fund_changed = False
                got = await self._fund("state")
            except TimeoutError:
                got = await self._fund("lapse")  # leaves a reservation promoted at the last moment alone
                if got.state == "released":
                    await self._project(status="lapsed")
                    await self._close("closed", f"{got.year}年度服务券资金已结束，候补申请未获递补，已关闭；"
                                      "可在新年度重新申领")
        if got.state != "reserved":
            await self._project(status="rejected")
            await self._close("rejected", "服务券资金已无法满足本申请，申请已关闭")
        # Patched "voucher-reserved-projected-once" (issue 12): reserved at once, the projection above already says so;
        # before, the same projection was written a second time (one more turn at the write lock per application).
        if waited or not workflow.patched("voucher-reserved-projected-once"):
            await self._project(status="reserved")

    # --- the 2016 order (patch "voucher-policy-order"; 003 art. 9-10) ------------------------------------------------

    def _order(self, what: str) -> bool:
        """Whether the case's version has this part of the 2016 order (only on runs started with the patch)."""
        if not self._own_order or self.policy is None:
            return False
        if what == "operator_alone":
            return not self.policy.department_reviews
        return bool(getattr(self.policy, what))

    async def _contract_first(self, chosen: ChosenBid) -> None:
        """003 art. 9(一): 与签约服务机构达成服务意向，签订服务合同后…在线申请服务券: the three-party contract is drafted
        on the chosen bid and signed before the application."""
        assert self.case is not None
        await self._project(contract_no=f"{self.case.case_id}-HT", contract_amount_fen=chosen.amount_fen)
        await self.draft("three_party_contract", issuer="operator")
        await self.set_status("contracting", f"三方服务合同已起草（合同金额{chosen.amount_fen / 100:.2f}元），"
                              "签订后请企业在线申请服务券")

    async def _deposit(self) -> None:
        """003 art. 9(二): 企业将剩余服务费以保证金的方式暂付给运营单位; the operator records it on receipt."""
        assert self.case is not None
        own_share = int(self.voucher["contract_amount_fen"]) - int(self.voucher["amount_fen"])
        await self.set_status("awaiting_deposit", f"请企业将剩余服务费{own_share / 100:.2f}元以保证金方式交付运营单位")
        await self.notify_applicant("请交付服务费保证金", f"服务券已发放。请将剩余服务费{own_share / 100:.2f}元以保证金方式"
                                    "暂付给运营单位（2016年办法第九条第（二）项）。", kind="deposit")
        got = await self.human_step(StepSpec(
            step="deposit", type="voucher.deposit", title="保证金到账确认", role="operator", decisions=SUBMIT,
            form="voucher_deposit", summary=f"应交保证金{own_share / 100:.2f}元（合同金额扣除服务券面值）"))
        await self._project(deposit_fen=int(got.data.get("deposit_fen") or 0), status="issued")
        await self.set_status("issued", f"保证金已到账，服务券{self.voucher['voucher_no']}可以使用")

    def _raise_if_stopping(self) -> None:
        if self._stopping:
            raise asyncio.CancelledError("the case is being stopped")

    async def _reviews(self) -> None:
        """Operator first review (may lower, never raise), then the department's final review, four-eyes."""
        assert self.case is not None
        note = ""
        status: tuple[str, str] | None = ("in_review", "已预留服务券资金，等待初审")  # as the first review first opens
        while True:
            first = await self.human_step(StepSpec(
                step="first_review", type="voucher.first_review", title="服务券初审", role="operator", decisions=APPROVE,
                form="voucher_first_review", summary=note or f"计算金额{self.voucher['amount_fen'] / 100:.2f}元"),
                status=status)
            status = None
            await self._refuse_if(first, "服务券初审", release=True)
            lowered = first.data.get("amount_fen")
            if lowered is None or lowered == self.voucher["amount_fen"]:
                break
            try:
                amount = validate_lowered_amount(computed_fen=self.voucher["computed_fen"], requested_fen=int(lowered))
            except RuleViolation as exc:
                note = f"初审金额无效：{exc.message}"
                continue
            got = await self._fund("lower", amount)
            if got.ok:
                await self._project(amount_fen=amount)
                break
            note = f"初审金额无效：{got.reason}"
        if self._order("operator_alone"):
            return  # 003 art. 9(二): 运营单位…初审，确定可使用服务券额度…记名发放 (no department review)
        final = await self.human_step(StepSpec(
            step="final_review", type="voucher.final_review", title="服务券复审", role="department", decisions=APPROVE,
            form="review", exclude_actors_of=["first_review"],
            summary=f"服务券金额{self.voucher['amount_fen'] / 100:.2f}元"))
        await self._refuse_if(final, "服务券复审", release=True)

    async def _issue(self) -> None:
        """The named voucher and the three-party contract (003 art. 9(二)-(三))."""
        assert self.case is not None
        issued: IssuedVoucher = await run_activity(ISSUE_VOUCHER, IssueInput(case_id=self.case.case_id,
                                                                              at=workflow.now()), IssuedVoucher)
        self.voucher.update(voucher_no=issued.voucher_no, valid_until=issued.valid_until.isoformat(), status="issued")
        contract_drafted = self._order("contract_before_application")
        for kind in ("voucher_certificate",) if contract_drafted else ("voucher_certificate", "three_party_contract"):
            await self.draft(kind, issuer="operator")
        await self.set_status("issued", f"服务券{issued.voucher_no}已发放，有效期至{issued.valid_until.isoformat()}")
        await self.notify_applicant("服务券已发放", f"服务券{issued.voucher_no}，面值{issued.amount_fen / 100:.2f}元，"
                                    f"有效期至{issued.valid_until.isoformat()}。", kind="result")

    async def _deliver_before_expiry(self) -> None:
        """The provider reports delivery before the voucher expires; reminders before, void at expiry."""
        assert self.case is not None and self.policy is not None
        valid_until = datetime.fromisoformat(self.voucher["valid_until"]).date()
        expires_at = datetime.combine(valid_until + timedelta(days=1), time(0), tzinfo=SHANGHAI)
        reminders = sorted((datetime.combine(valid_until - timedelta(days=d), time(9), tzinfo=SHANGHAI), d)
                           for d in self.policy.expiry_reminder_days)
        step = asyncio.ensure_future(self.human_step(StepSpec(
            step="delivery", type="voucher.delivery", title="服务完成情况报送", role="provider",
            org_id=self.provider_org_id, decisions=SUBMIT, form="voucher_delivery",
            summary=f"服务券{self.voucher['voucher_no']}，有效期至{valid_until.isoformat()}")))
        try:
            for at, days in [*reminders, (expires_at, 0)]:
                if at > workflow.now():
                    try:
                        await workflow.wait_condition(step.done, timeout=at - workflow.now())
                    except TimeoutError:
                        pass
                if step.done():
                    break
                if days:
                    await self._tell_parties(f"服务券将于{days}天后到期", f"服务券{self.voucher['voucher_no']}有效期至"
                                             f"{valid_until.isoformat()}，请在有效期内完成服务。", kind=f"expiry_{days}")
        except asyncio.CancelledError:
            step.cancel()  # voided meanwhile: the delivery step goes with it
            raise
        if not step.done():
            step.cancel()
            self._pending.clear()
            await self.cancel_open_tasks("服务券已过期")
            await self._fund("void")
            # Patched "voucher-deposit-settled": an expired 2016 voucher's deposit goes back (before: kept).
            if self.voucher.get("deposit_fen") and workflow.patched("voucher-deposit-settled"):
                await self._refund_deposit("服务券有效期届满未使用、已作废")
            await self._project(status="void", void_reason="expired")
            await self.set_status("expired", "服务券有效期届满未使用，已作废，资金退回", closed=True)
            await self._tell_parties("服务券已过期作废", f"服务券{self.voucher['voucher_no']}有效期届满未使用，已作废。",
                                     kind="expired")
            raise _Closed
        delivery = step.result()
        self._delivered = True
        self.voucher.update(paid_fen=int(delivery.data["paid_fen"]))
        await self._project(status="in_service", paid_fen=int(delivery.data["paid_fen"]))
        await self.set_status("in_service", "服务机构已报送服务完成情况，等待企业确认")

    async def _settle(self) -> None:
        """Enterprise confirms and rates; operator reviews the settlement, department approves (003 art. 10-11)."""
        assert self.case is not None and self.policy is not None
        reconciled = workflow.patched("voucher-payout-reconciled")
        declared = int(self.voucher.get("paid_fen", 0))
        confirm = await self.human_step(StepSpec(
            step="confirm", type="voucher.confirm", title="服务确认与评价", role="enterprise",
            org_id=self.case.applicant_org_id, decisions=SUBMIT, form="voucher_confirm",
            summary=f"服务机构报送企业已支付{declared / 100:.2f}元，如不符请填写实际支付金额" if reconciled else ""))
        satisfaction = confirm.data["satisfaction"]
        await self._project(satisfaction=satisfaction)
        if reconciled:
            await self._reconcile_paid(confirm.data.get("paid_fen"))
        policy = POLICIES[self.policy.policy]
        note = ""
        status: tuple[str, str] | None = ("settling", "企业已确认服务，进入结算审核")  # as the review first opens
        while True:
            review = await self.human_step(StepSpec(
                step="settlement_review", type="voucher.settlement_review", title="结算审核", role="operator",
                decisions=["approve"], form="voucher_settlement_review",
                summary=note or f"企业评价：{SATISFACTION_ZH.get(satisfaction, satisfaction)}"), status=status)
            status = None
            data = review.data
            try:
                result = settlement_amount(
                    voucher_fen=self.voucher["amount_fen"], paid_fen=self.voucher["paid_fen"],
                    contract_amount_fen=self.voucher["contract_amount_fen"], satisfaction=satisfaction,
                    lowered_to_fen=data.get("settled_fen"), fully_performed=bool(data.get("fully_performed", True)),
                    reason=review.comment or None)
                fee = supervision_fee(contract_amount_fen=self.voucher["contract_amount_fen"],
                                      rate_bp=int(data.get("supervision_fee_bp") or self.policy.supervision_fee_bp),
                                      policy=policy)
            except RuleViolation as exc:
                note = f"结算金额无效：{exc.message}"
                continue
            reason = review.comment if result.lowered else ("企业自付部分未足额支付，按实际支付比例结算"
                                                           if result.amount_fen < self.voucher["amount_fen"] else "")
            await self._project(settled_fen=result.amount_fen, supervision_fee_fen=fee, adjustment_reason=reason)
            if self._order("operator_alone"):
                break  # 003 art. 10: 运营单位按要求审核后与签约服务机构进行结算 (no department approval)
            approval = await self.human_step(StepSpec(
                step="settlement_approval", type="voucher.settlement_approval", title="结算核准", role="department",
                decisions=["approve", "return"], form="review", exclude_actors_of=["settlement_review"],
                summary=f"核定结算{result.amount_fen / 100:.2f}元，监理服务费{fee / 100:.2f}元"))
            if approval.decision == "approve":
                break
            note = f"结算核准退回：{approval.comment}"
        await self._fund("settle", result.amount_fen)
        if self.voucher.get("deposit_fen") and workflow.patched("voucher-deposit-settled"):
            # 003 art. 9(二) and the 2016 contract: the operator pays the deposit over to the provider with the
            # settlement (before: the deposit was recorded and never accounted for again).
            deposit = int(self.voucher["deposit_fen"])
            await self._project(deposit_paid_over_fen=deposit)
            await run_activity(NOTIFY, NotifyInput(
                key=f"{self.case.case_id}.deposit_paid_over", subject="请将服务费保证金一并支付给服务机构",
                body=f"服务券{self.voucher.get('voucher_no', '')}已结算{result.amount_fen / 100:.2f}元，请将企业交付的保证金"
                     f"{deposit / 100:.2f}元在结算时一并支付给签约服务机构（2016年办法第九条第（二）项、第十条）。",
                kind="deposit_paid_over", case_id=self.case.case_id, roles=["operator"], at=workflow.now()))
        await self.draft("settlement_statement", issuer="operator")
        await self._project(status="settled", settled_on=workflow.now().astimezone(SHANGHAI).date().isoformat())
        await self.set_status("settled", f"已结算{result.amount_fen / 100:.2f}元", closed=True)
        await self._tell_parties("服务券已结算", f"服务券{self.voucher['voucher_no']}已结算{result.amount_fen / 100:.2f}元。",
                                 kind="settled")

    async def _reconcile_paid(self, confirmed: Any) -> None:
        """Patched "voucher-payout-reconciled": the settlement counts what the enterprise confirms it paid (the
        provider's figure when it confirms without one), never more than the contract (before: the provider's own
        figure, and one above the contract made the settlement review refuse every decision, forever, with the money
        still reserved)."""
        paid = int(confirmed) if confirmed is not None else int(self.voucher.get("paid_fen", 0))
        contract = int(self.voucher.get("contract_amount_fen", 0))
        fields: dict[str, Any] = {"paid_declared_fen": int(self.voucher.get("paid_fen", 0))}
        if contract > 0 and paid > contract:
            paid, fields["paid_capped"] = contract, True
        await self._project(paid_fen=paid, paid_confirmed_fen=paid, **fields)

    async def _refund_deposit(self, why: str) -> None:
        """A 2016 voucher ends unsettled: the operator returns the deposit to the enterprise (003 art. 9(二); only runs
        of patch "voucher-policy-order" hold one)."""
        assert self.case is not None
        if not self.voucher.get("deposit_fen"):
            return
        await self._project(deposit_refund_due_fen=int(self.voucher["deposit_fen"]))
        await run_activity(NOTIFY, NotifyInput(
            key=f"{self.case.case_id}.deposit_refund", subject="请退还服务费保证金",
            body=f"服务券案件{self.case.case_id}{why}，请将其交付的保证金"
                 f"{int(self.voucher['deposit_fen']) / 100:.2f}元退还企业（2016年办法第九条第（二）项）。",
            kind="deposit_refund", case_id=self.case.case_id, roles=["operator"], at=workflow.now()))

    async def _voided(self) -> None:
        """Fraud void at any stage: cancel the open step, return the money, sanction both parties."""
        assert self.case is not None and self._void is not None
        reason = self._void.reason
        await self.cancel_open_tasks(f"服务券作废：{reason}")
        await self._fund("void")
        await run_activity(VOID_CASE, VoidCaseInput(case_id=self.case.case_id, reason=reason, actor=self._void.actor,
                                                    provider_org_id=self.provider_org_id, at=workflow.now(),
                                                    responsible_person=self._void.responsible_person))
        await self._project(status="void", void_reason=reason)
        if self.voucher.get("deposit_fen") and workflow.patched("voucher-deposit-settled"):
            await self._refund_deposit("服务券已作废")
        if workflow.patched("voucher-void-decision"):
            by = self._void.role  # the operator issues its own decision (003 art. 11(1)); else the department's
            await self.draft("voucher_void_decision", params={"reason": reason, "by": by},
                             issuer="operator" if by == "operator" else "department")
        await self.set_status("void", f"服务券作废：{reason}", closed=True)
        await self._tell_parties("服务券已作废", f"因{reason}，服务券作废，相关企业及责任人记入不良信用档案。", kind="void")
        # Patched "voucher-void-informs-department" (issue 13, fidelity1): the operating unit voids under 003 art.
        # 11(1) and the department is informed (before: a department user voided and nobody else was told).
        if workflow.patched("voucher-void-informs-department"):
            basis = "2016年办法第十一条第（一）项"
            # Patched "voucher-void-notice-policy" (issue 15): the notice cites the policy the voucher runs under
            # (a 2017 voucher: 2017年办法“六、使用规定”); before, 2016 for every voucher.
            if workflow.patched("voucher-void-notice-policy") and self.policy is not None \
                    and self.policy.policy == "2017":
                basis = "2017年办法“六、使用规定”"
            await run_activity(NOTIFY, NotifyInput(
                key=f"{self.case.case_id}.void.department", subject="服务券作废告知",
                body=f"运营单位已依据{basis}作废服务券案件{self.case.case_id}：{reason}", kind="void",
                case_id=self.case.case_id, roles=["department"], at=workflow.now()))

    async def _withdrawn(self) -> None:
        """The enterprise withdrew: cancel the open step, return any money to the fund (the waitlist moves up)."""
        assert self.case is not None and self._withdraw is not None
        reason = self._withdraw.reason
        await self.cancel_open_tasks(f"企业撤回：{reason}")
        await self._fund("release")  # a case that holds nothing is told so and nothing changes
        await self._refund_deposit("已由企业撤回")
        await self._project(status="withdrawn", withdraw_reason=reason)
        await self.set_status("withdrawn", f"企业已撤回：{reason}", closed=True)
        await self._tell_parties("服务券申请已撤回", f"企业已撤回服务券案件（{reason}），相关资金已退回年度服务券资金。",
                                 kind="withdrawn")

    # --- helpers ------------------------------------------------------------------------------------

    async def _ensure_statistics(self) -> None:
        """Start the monthly statistics workflow unless it runs already (see workflows/voucher_statistics.py)."""
        now = workflow.now().astimezone(SHANGHAI)
        try:
            await workflow.start_child_workflow(
                VoucherStatisticsWorkflow.run, StatisticsInput(year=now.year, month=now.month), id=STATISTICS_ID,
                parent_close_policy=ParentClosePolicy.ABANDON)
        except WorkflowAlreadyStartedError:
            pass

    async def _fund(self, op: str, amount_fen: int | None = None) -> FundResult:
        """One fund operation; the applications it promoted or dropped are told by signal."""
        assert self.case is not None
        got: FundResult = await run_activity(FUND_OP, FundOpInput(case_id=self.case.case_id, op=op,
                                                                  amount_fen=amount_fen, at=workflow.now()), FundResult)
        await self._tell_fund_moves(got)
        return got

    async def _tell_fund_moves(self, got: FundResult) -> None:
        """Signal the applications a fund operation promoted or dropped."""
        for cid, state in [*((c, "reserved") for c in got.promoted), *((c, "dropped") for c in got.dropped)]:
            try:
                await workflow.get_external_workflow_handle(cid).signal("fund_changed", FundChanged(state=state))
            except Exception:  # the other case has ended meanwhile; its fund row already says what happened
                workflow.logger.warning("could not tell %s about the fund", cid)

    async def _project(self, **fields: Any) -> None:
        assert self.case is not None
        self.voucher.update(fields)
        await run_activity(PROJECT_VOUCHER, VoucherProjection(case_id=self.case.case_id, voucher=dict(self.voucher),
                                                              at=workflow.now()))

    async def _tell_parties(self, subject: str, body: str, *, kind: str) -> None:
        """The enterprise, and the provider once there is one."""
        assert self.case is not None
        await self.notify_applicant(subject, body, kind=kind)
        if self.provider_org_id is not None:
            await run_activity(NOTIFY, NotifyInput(
                key=f"{self.case.case_id}.provider.{kind}", subject=subject, body=body, kind=kind,
                case_id=self.case.case_id, roles=["provider"], org_id=self.provider_org_id, at=workflow.now()))
