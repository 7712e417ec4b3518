"""Window-platform onboarding (P4; seed 004 art. 8-10): 申报 -> 审核 -> 接入, then the connected window's reporting life.

hub review (return for correction) -> expert panel, blind and in parallel -> the panel's verdict by rule ->
bureau approval (批复 drafted) -> public notice (objections as everywhere) -> adaptation <-> connection check ->
`connected` (cooperation agreement drafted). The connected window then lives one run per calendar year
(continue-as-new with `WindowState`): its yearly service plan, quarterly service data and yearly service summary
(art. 9(6)), each a task of its own, counted sent/overdue per year in the case's result for the annual assessment
(art. 12). The signal `disconnect` (the bureau revokes, P5; or the builder withdraws) ends it as `disconnected`.

Changes after the first deploy must be guarded with `workflow.patched` (recorded histories in
tests/replay/histories/WindowOnboardingWorkflow__*.json replay in CI).
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

from workflows.human import run_activity
from workflows.public_notice import NoticeWorkflow

with workflow.unsafe.imports_passed_through():
    from rules.window import ExpertScore, aggregate_panel, connection_passed, count_report, handover_at
    from workflows.types import (
        DecisionInput,
        StepSpec,
    )
    from workflows.window_types import (
        ADAPTATION,
        AGREEMENT,
        BUREAU_APPROVAL,
        CONNECT_WINDOW,
        CONNECTION_CHECK,
        CORRECTION,
        DECIDE_AGREEMENT,
        END_AGREEMENTS,
        EXPERT_ASSESSMENT,
        HUB_REVIEW,
        PREPARE_WINDOW,
        WINDOW_REPORTS,
        AgreementProposal,
        Connected,
        ConnectInput,
        DecideAgreementInput,
        DisconnectInput,
        EndAgreementsInput,
        PrepareWindowInput,
        ReportItem,
        ReportsInput,
        ReportsPlan,
        WindowPrepared,
        WindowRun,
        WindowState,
    )

REVIEW = ["approve", "reject", "return"]
GROUND_ZH = {"revoked": "撤销窗口平台资格", "withdrawn": "建设单位申请退出"}


def _agreement_step(p: AgreementProposal) -> str:
    return f"agreement_{p.agreement_id}"


@workflow.defn
class WindowOnboardingWorkflow(NoticeWorkflow):
    """One window platform: its application and, once connected, its reporting life until it is disconnected."""

    def __init__(self) -> None:
        super().__init__()
        self.state: WindowState | None = None
        self._disconnect: DisconnectInput | None = None
        self._result_lock = asyncio.Lock()
        self._done: set[str] = set()
        self._proposals: list[AgreementProposal] = []

    @workflow.run
    async def run(self, case: WindowRun) -> str:
        self.case = case
        if case.state is None:
            state = await self._apply()
            if state is None:
                return self.status

            async def connected(state: WindowState = state) -> WindowRun:
                # Patched "window-carry-early-proposals" (issue 12): a partner may propose an agreement as soon as the
                # case row says connected, before this run hands over; the proposal goes on to the first connected
                # year (before, it was lost with this run and its task never opened).
                if workflow.patched("window-carry-early-proposals"):
                    state.agreements = list(self._proposals)
                return case.model_copy(update={"state": state})

            await self.hand_over(connected, ended=lambda: self._disconnect is not None)
            self.state = state  # revoked or withdrawn while it was being connected
            return await self._end([])
        return await self._life(case.state)

    # --- messages ---------------------------------------------------------------------------------

    @workflow.signal
    def disconnect(self, inp: DisconnectInput) -> None:
        """The window leaves the network (the bureau revokes it, or the builder withdraws); honoured once connected."""
        if self._disconnect is None:
            self._disconnect = inp

    @workflow.signal
    def propose_agreement(self, p: AgreementProposal) -> None:
        """Another connected window proposes a cooperation agreement; it opens a task in this window's inbox."""
        if all(x.agreement_id != p.agreement_id for x in self._proposals):
            self._proposals.append(p)

    @workflow.query
    def reports(self) -> dict[str, dict[str, int]]:
        return dict(self.state.reports) if self.state is not None else {}

    # --- the application: 申报, 审核 (art. 10) -------------------------------------------------------

    async def _apply(self) -> WindowState | None:
        case = self.case
        assert case is not None
        await self.set_status("in_review", "窗口平台接入申请已提交，待枢纽平台审核")
        prep: WindowPrepared = await run_activity(PREPARE_WINDOW, PrepareWindowInput(case_id=case.case_id,
                                                                                     at=workflow.now()), WindowPrepared)
        correction = StepSpec(step="correction", type=CORRECTION, title="补正窗口平台接入申请", role="platform_org",
                              org_id=case.applicant_org_id, decisions=["submit"], form="window_onboarding")
        hub = await self.review(StepSpec(step="hub_review", type=HUB_REVIEW, title="窗口平台申报材料审核",
                                         role="operator", decisions=REVIEW, form="review"), correction)
        if hub.decision == "reject":
            return await self._rejected("枢纽平台审核未通过", hub)
        # The experts assess independently and blind: one task each, assigned by name, all open at once.
        reviews = await asyncio.gather(*[
            self.human_step(StepSpec(step=f"expert_assessment_{i}", type=EXPERT_ASSESSMENT, title="窗口平台专家评估",
                                     role="expert", assignee=expert, decisions=["approve", "reject"],
                                     form="window_onboarding_expert_score"))
            for i, expert in enumerate(prep.experts, start=1)
        ])
        scores = [ExpertScore(expert=expert, score=max(0, min(100, int(d.data.get("score", 0) or 0))),
                              approve=d.decision == "approve", opinion=str(d.data.get("opinion", "")))
                  for expert, d in zip(prep.experts, reviews, strict=True)]
        verdict = aggregate_panel(scores, pass_mean=prep.settings.pass_mean, majority=prep.settings.majority)
        panel = {"scores": [{"expert": s.expert, "decision": "approve" if s.approve else "reject", "score": s.score,
                             "opinion": s.opinion} for s in scores],
                 "mean": verdict.mean_text, "approvals": verdict.approvals, "size": verdict.size,
                 "passed": verdict.passed, "reasons": list(verdict.reasons), "pass_mean": prep.settings.pass_mean}
        await self.update_result({"expert_panel": panel},
                           f"专家评估完成：平均分{verdict.mean_text}，{verdict.approvals}/{verdict.size}名同意")
        if not verdict.passed:
            return await self._refused("专家评估未通过：" + "；".join(verdict.reasons))
        bureau = await self.human_step(StepSpec(
            step="bureau_approval", type=BUREAU_APPROVAL, title="窗口平台接入审批", role="department",
            decisions=["approve", "reject"], form="review",
            summary=f"{prep.platform_name}：专家平均分{verdict.mean_text}，{verdict.approvals}/{verdict.size}名专家同意"))
        if bureau.decision == "reject":
            return await self._rejected("自治区非公经济局未予批准", bureau)
        await self.draft("onboarding_approval", params={"expert_mean": verdict.mean_text})
        days = prep.settings.notice_working_days
        await self.set_status("public_notice", f"拟接入窗口平台公示{days}个工作日")
        outcome = await self.public_notice(working_days=days)
        if outcome.upheld is not None:
            await self.cancel_open_tasks("公示异议成立")
            return await self._refused(outcome.upheld)
        # 接入: the builder adapts its software and hardware; the hub verifies the connection (art. 10).
        await self.set_status("adapting", "公示无异议，窗口平台进行软硬件改造")
        # Patched "window-one-notice-per-step" (issue 15): the adaptation step's own notice is the builder's one
        # notification (轮到您办理 with what it must do); before, a notice and the 轮到您办理 of the step.
        one_notice = workflow.patched("window-one-notice-per-step")
        notice = "窗口平台接入公示无异议：请按要求进行软硬件改造，并提交改造情况报告。"
        if not one_notice:
            await self.notify_applicant("窗口平台接入：公示无异议", "请按要求进行软硬件改造，并提交改造情况报告。",
                                        kind="adaptation")
        reason = ""
        while True:
            await self.human_step(StepSpec(
                step="adaptation", type=ADAPTATION, title="窗口平台软硬件改造", role="platform_org",
                org_id=case.applicant_org_id, decisions=["submit"], form="window_onboarding_adaptation",
                summary=f"上次接入验证未通过：{reason}" if reason else "", notice=notice if one_notice else ""))
            check = await self.human_step(StepSpec(
                step="connection_check", type=CONNECTION_CHECK, title="窗口平台接入验证", role="operator",
                decisions=["approve", "reject"], form="window_onboarding_connection_check"))
            if connection_passed(decision=check.decision, passed=check.data.get("passed")):
                break
            reason = str(check.data.get("report") or check.comment or "未说明")
            notice = f"窗口平台接入验证未通过：{reason}。请完成改造后重新提交。"
            if not one_notice:
                await self.notify_applicant("窗口平台接入验证未通过", f"{reason}。请完成改造后重新提交。",
                                            kind="connection_failed")
        connected: Connected = await run_activity(CONNECT_WINDOW, ConnectInput(case_id=case.case_id,
                                                                               at=workflow.now()), Connected)
        await self.draft("cooperation_agreement", params={"connected_on": connected.connected_on.isoformat()})
        # The application is closed at the connection (the window lives on in this workflow): not an idle case.
        await self.set_status("connected", "窗口平台已接入平台网络", closed=True,
                              result={"connected_at": connected.connected_at.isoformat(), "reports": {}})
        await self.notify_applicant("窗口平台已接入平台网络", "请按服务合作协议定期报送服务计划、服务数据和服务总结。",
                                    kind="connected")
        return WindowState(connected_at=connected.connected_at, connected_on=connected.connected_on,
                           year=connected.connected_on.year, counters=dict(self._counters))

    async def _rejected(self, what: str, decision: DecisionInput) -> None:
        return await self._refused(f"{what}：{decision.comment}".rstrip("："))

    async def _refused(self, reason: str) -> None:
        await self.set_status("rejected", reason, closed=True, result={"reason": reason})
        await self.notify_applicant("窗口平台接入：未通过", reason, kind="result")
        await self.finish()
        return None

    # --- the connected life: one run per calendar year (art. 9(6)) ---------------------------------------

    async def _life(self, state: WindowState) -> str:
        self.state, self.status = state, "connected"
        self._counters = dict(state.counters)
        case = self.case
        assert case is not None
        known = {p.agreement_id for p in state.agreements}
        self._proposals = [*state.agreements, *[p for p in self._proposals if p.agreement_id not in known]]
        plan: ReportsPlan = await run_activity(WINDOW_REPORTS, ReportsInput(
            case_id=case.case_id, year=state.year, connected_on=state.connected_on, at=workflow.now()), ReportsPlan)
        carried = {r.step for r in state.carried}
        items = [*state.carried, *[r for r in plan.reports if r.step not in carried]]
        parts = [asyncio.create_task(self._report(r)) for r in items]
        spawned = 0
        boundary = handover_at(state.year + 1)
        while self._disconnect is None and workflow.now() < boundary:
            while spawned < len(self._proposals):
                parts.append(asyncio.create_task(self._agreement(self._proposals[spawned])))
                spawned += 1
            await self.watch_parts(parts, lambda n=spawned: self._disconnect is not None  # type: ignore[misc]
                                   or len(self._proposals) > n, until=boundary)
        if self._disconnect is not None:
            return await self._end(parts)
        # The year turned: hand over to a fresh run. Reports and proposals still open stay open (same task ids).
        await self.stop_parts(parts)
        await self.hand_over(lambda: self._next_year(state, items), ended=lambda: self._disconnect is not None)
        return await self._end([])

    async def _next_year(self, state: WindowState, items: list[ReportItem]) -> WindowRun:
        """The next calendar year's input: the reports still open are carried (counted overdue if past due)."""
        case = self.case
        assert case is not None
        now = workflow.now()
        still_open = [r for r in items if r.step not in self._done]
        for r in still_open:
            if r.due_at <= now and r.step not in state.overdue:
                await self._count(r, overdue=1)
        state.year += 1
        state.carried = still_open
        state.overdue = [s for s in state.overdue if s in {r.step for r in still_open}]
        state.agreements = [p for p in self._proposals if _agreement_step(p) not in self._done]
        # A carried step keeps its task id: its counter is not carried, so the next run reopens task 1.
        keep_open = {r.step for r in still_open} | {_agreement_step(p) for p in state.agreements}
        state.counters = {k: v for k, v in self._counters.items() if k not in keep_open}
        return WindowRun(**{**case.model_dump(), "state": state})

    async def _agreement(self, p: AgreementProposal) -> None:
        """The partner window accepts or declines another window's proposed cooperation agreement (art. 9(6))."""
        case = self.case
        assert case is not None
        step = _agreement_step(p)
        decision = await self.human_step(StepSpec(
            step=step, type=AGREEMENT, title="窗口平台间服务合作协议", role="platform_org", org_id=case.applicant_org_id,
            decisions=["accept", "reject"], form="window_onboarding_agreement",
            summary=f"{p.proposer_name}提议签订服务合作协议：{p.scope}"))
        document_id = None
        if decision.decision == "accept":
            ref = await self.draft("mutual_agreement", key=f"mutual_agreement.{p.agreement_id}", issuer="operator",
                                   params={"agreement_id": p.agreement_id})
            document_id = ref.id
        await run_activity(DECIDE_AGREEMENT, DecideAgreementInput(
            agreement_id=p.agreement_id, decision=decision.decision, actor=decision.actor, comment=decision.comment,
            document_id=document_id, at=workflow.now()))
        self._done.add(step)

    async def _report(self, r: ReportItem) -> None:
        """One report: open its task on its day, count it overdue at its due time if not sent, count it sent."""
        case, state = self.case, self.state
        assert case is not None and state is not None
        if workflow.now() < r.opens_at:
            await self.pause(r.opens_at - workflow.now())
        step = asyncio.create_task(self.human_step(StepSpec(
            step=r.step, type=f"window_onboarding.{r.kind}", title=r.title, role="platform_org",
            org_id=case.applicant_org_id, decisions=["submit"], form="window_onboarding_report", due_at=r.due_at)))
        if r.step not in state.overdue:
            if workflow.now() < r.due_at:
                try:
                    await workflow.wait_condition(lambda: step.done(), timeout=r.due_at - workflow.now())
                except TimeoutError:
                    pass
            if not step.done():
                await self._count(r, overdue=1)
        await step
        self._done.add(r.step)
        await self._count(r, sent=1)

    async def _count(self, r: ReportItem, *, sent: int = 0, overdue: int = 0) -> None:
        """Count a report sent or overdue for the year it is about (result["reports"][year], for P5)."""
        state = self.state
        assert state is not None
        async with self._result_lock:
            state.reports = count_report(state.reports, year=r.year, sent=sent, overdue=overdue)
            if overdue:
                state.overdue.append(r.step)
            await self.update_result({"reports": state.reports}, f"{r.title}：{'已报送' if sent else '逾期未报送'}")

    async def _end(self, parts: list[asyncio.Task[None]]) -> str:
        """Disconnect: stop the reports, cancel their tasks, draft the notice, leave the public list."""
        inp = self._disconnect
        assert inp is not None
        await self.stop_parts(parts)
        ground = GROUND_ZH.get(inp.ground, inp.ground)
        await self.cancel_open_tasks(f"窗口平台退出平台网络：{ground}")
        await run_activity(END_AGREEMENTS, EndAgreementsInput(case_id=self._case_id, reason=f"{ground}：{inp.reason}",
                                                              at=workflow.now()))
        await self.draft("disconnection_notice", params={"reason": inp.reason, "ground": inp.ground})
        return await self.close_case(
            "disconnected", f"窗口平台退出平台网络（{ground}）：{inp.reason}",
            result={"disconnected_at": workflow.now().isoformat(), "disconnection_reason": inp.reason,
                    "disconnection_ground": inp.ground, "disconnected_by": inp.actor},
            tell=("窗口平台已退出平台网络", inp.reason), kind="disconnected")


