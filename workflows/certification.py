"""Demonstration-platform certification (P3; seed 002): recommendation, review, public notice, a 3-year title.

city bureau recommends -> department prechecks -> experts score blind (in parallel) -> department inspects on site
-> department decides -> public notice of 5 working days -> granted. The title then lives one run per yearly cycle
(continue-as-new with `CertificationState` carried explicitly): annual summary -> city bureau's report -> annual
assessment; reminders before expiry; revocation at any time by an Update.

Changes to this workflow after the first deploy must be guarded with `workflow.patched` (recorded histories in
tests/replay/histories/CertificationWorkflow__*.json replay in CI), in particular the order of the steps in
`_apply`, the cycle in `_cycle` and the hand-over in `_life`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.human import run_activity
from workflows.public_notice import NoticeWorkflow

with workflow.unsafe.imports_passed_through():
    from rules.certification import PUBLIC_NOTICE_WORKING_DAYS, annual_rating_outcome, expert_panel_result
    from rules.panel import departs
    from workflows.certification_types import (
        DRAFT_BATCH_DOCUMENT,
        GRANT_CERTIFICATION,
        JOIN_LIST,
        LIST_SIGNAL,
        PREPARE_CERTIFICATION,
        BatchDoc,
        BatchDocInput,
        CertificationRun,
        CertificationState,
        Granted,
        GrantInput,
        ListInput,
        ListPublished,
        ListState,
        Prepared,
        PrepareInput,
        RevokeInput,
        RevokeResult,
    )
    from workflows.notice_types import NoticePeriod
    from workflows.types import (
        DecisionInput,
        StepSpec,
    )
    from workflows.yearly import cycle_years, report_due, summary_due, summary_opens

REVIEW = ["approve", "reject", "return"]
EXPIRY_REMINDER_DAYS = [180, 30]
RATING_ZH = {"excellent": "优秀", "qualified": "合格", "failed": "不合格"}
# Patched "certification-yearly-lists" (002 art. 10, 12, 13): the year's one 拟认定名单 notice, one certification
# notice and one city summary report per city, instead of one of each per case.
YEARLY_LISTS = "certification-yearly-lists"
LIST_RECHECK = timedelta(days=1)  # a waiting candidate asks again whether its list is out (a lost signal)


@workflow.defn
class CertificationWorkflow(NoticeWorkflow):
    """One platform's application and, once granted, its title until it expires or is revoked."""

    def __init__(self) -> None:
        super().__init__()
        self.state: CertificationState | None = None
        self._revoking = False
        self._revoked = False
        self._tasks: list[asyncio.Task[None]] = []
        self._cycle_task: asyncio.Task[None] | None = None
        self._yearly = False
        self._list: ListPublished | None = None

    @workflow.run
    async def run(self, case: CertificationRun) -> str:
        self.case, state = case, case.state
        if state is None:
            state = await self._apply()
            if state is None:
                return self.status

            async def granted(state: CertificationState = state) -> CertificationRun:
                return case.model_copy(update={"state": state})

            await self.hand_over(granted, ended=lambda: self._revoking)
            return self.status
        return await self._life(state)

    # --- messages ---------------------------------------------------------------------------------

    @workflow.signal(name=LIST_SIGNAL)
    def list_published(self, published: ListPublished) -> None:
        """The year's 拟认定名单 is published (by the batch's last decision, or the department's page)."""
        if self._list is None:
            self._list = published

    @workflow.update
    async def revoke(self, inp: RevokeInput) -> RevokeResult:
        """The department revokes the title for a violation (002 art. 17)."""
        await self._revoke(reason=inp.reason, actor=inp.actor, ground="violation")
        return RevokeResult(status=self.status)

    @revoke.validator
    def _validate_revoke(self, inp: RevokeInput) -> None:
        if self.status != "granted" or self._revoking:
            raise ApplicationError(f"this case holds no title that could be revoked (status {self.status})",
                                   type="NoTitle")
        if not inp.reason.strip():
            raise ApplicationError("give the reason of the revocation", type="InvalidDecision")

    # --- application -------------------------------------------------------------------------------

    async def _apply(self) -> CertificationState | None:
        case = self.case
        assert case is not None
        await self.set_status("in_review", "认定申请已提交，待市工信局测评推荐")
        prep: Prepared = await run_activity(PREPARE_CERTIFICATION, PrepareInput(case_id=case.case_id,
                                                                                at=workflow.now()), Prepared)
        rec = await self.human_step(StepSpec(
            step="city_recommendation", type="certification.city_recommendation", title="示范平台测评推荐",
            role="city_bureau", city=case.city, decisions=["recommend", "decline"],
            form="certification_recommendation"))
        await self.draft("recommendation_form", issuer=case.city or "department",
                          params={"recommended": rec.decision == "recommend", **rec.data})
        self._yearly = workflow.patched(YEARLY_LISTS)
        if rec.decision == "decline":
            return await self._rejected("市工信局不予推荐", rec)
        if self._yearly:  # the city's summary report of the year, redrawn with this platform in it (art. 9-10)
            await self._batch_document("city_summary")
        correction = StepSpec(step="correction", type="certification.correction", title="补正示范平台认定申请",
                              role="platform_org", org_id=case.applicant_org_id, decisions=["submit"],
                              form="certification")
        pre = await self.review(StepSpec(step="precheck", type="certification.precheck", title="示范平台申报材料初审",
                                         role="department", decisions=REVIEW, form="review"), correction)
        if pre.decision == "reject":
            return await self._rejected("初审未通过", pre)
        # Experts score independently and blind: one task each, assigned by name, all open at once.
        reviews = await asyncio.gather(*[
            self.human_step(StepSpec(step=f"expert_review_{i}", type="certification.expert_review",
                                     title="示范平台专家评审", role="expert", assignee=expert,
                                     decisions=["approve", "reject"], form="certification_expert_review"))
            for i, expert in enumerate(prep.experts, start=1)
        ])
        scores = [{"expert": d.actor, "decision": d.decision, "score": d.data.get("score"),
                   "opinion": d.data.get("opinion", "")} for d in reviews]
        # Patched "certification-panel-result": the panel's result by rule (002 art. 12), which the department's
        # decision may depart from only with a recorded reason; before, the verdicts bound nothing.
        panel = workflow.patched("certification-panel-result")
        if panel:
            result = expert_panel_result([d.decision for d in reviews], [d.data.get("score") for d in reviews])
            verdict = "同意" if result.decision == "approve" else "不同意"
            await self.update_result({"expert_reviews": scores, "panel_result": result.as_dict()},
                                     f"专家评审完成：{result.approvals}/{result.size}名专家同意，专家组结论为{verdict}")
        else:
            await self.update_result({"expert_reviews": scores}, "专家评审完成")
        onsite = await self.human_step(StepSpec(
            step="onsite_inspection", type="certification.onsite_inspection", title="示范平台实地考察",
            role="department", decisions=["approve", "reject"], form="certification_onsite"))
        if onsite.decision == "reject" or not onsite.data.get("passed", False):
            return await self._rejected("实地考察未通过", onsite)
        decision = await self.human_step(StepSpec(
            step="decision", type="certification.decision", title="示范平台认定决定", role="department",
            decisions=["approve", "reject"], form="certification_decision" if panel else "review",
            exclude_actors_of=["precheck"]))
        if panel and departs(result.decision, decision.decision):
            await self.update_result({"departs_from_panel": True,
                                      "departure_reason": str(decision.data.get("departure_reason", ""))},
                                     "认定决定与专家组评审结论不一致，已记录理由")
        if decision.decision == "reject":
            return await self._rejected("认定未通过", decision)
        if self._yearly:
            await self._await_list()
        await self.set_status("public_notice", f"拟认定名单公示{PUBLIC_NOTICE_WORKING_DAYS}个工作日")
        outcome = await self.public_notice(working_days=PUBLIC_NOTICE_WORKING_DAYS)
        if outcome.upheld is not None:
            await self.close_case("rejected", outcome.upheld, result={"reason": outcome.upheld},
                                  cancel_reason="公示异议成立", tell=("示范平台认定：未通过", outcome.upheld))
            if self._yearly:  # perhaps the last of the year's list out of its notice (art. 13)
                await self._batch_document("certification_notice")
            return None
        granted: Granted = await run_activity(GRANT_CERTIFICATION, GrantInput(case_id=case.case_id,
                                                                              at=workflow.now()), Granted)
        dates = {"notice_starts_on": outcome.period.starts_on.isoformat(),
                 "notice_ends_on": outcome.period.ends_on.isoformat(),
                 "valid_from": granted.granted_on.isoformat(), "valid_until": granted.valid_until.isoformat()}
        if not self._yearly:
            await self.draft("certification_notice", params=dates)
        await self.draft("certificate", params=dates)
        # The application is closed at the grant (the title lives on in this workflow): it is not an idle case,
        # and the holder may apply again in the year the title expires (002 art. 17).
        await self.set_status("granted", f"授予示范平台称号，有效期至{granted.valid_until.isoformat()}", closed=True,
                              result={"granted_on": granted.granted_on.isoformat(),
                                      "valid_until": granted.valid_until.isoformat()})
        if self._yearly:  # the year's certification notice, drafted by the last of the list out of its notice
            await self._batch_document("certification_notice")
        await self.notify_applicant("示范平台认定：已授予称号",
                                    f"有效期至{granted.valid_until.isoformat()}。", kind="result")
        return CertificationState(
            granted_on=granted.granted_on, valid_until=granted.valid_until, expires_at=granted.expires_at,
            cycle_years=cycle_years(granted_on=granted.granted_on, valid_until=granted.valid_until),
            counters=dict(self._counters), reminder_days=self._reminder_days(granted))

    @staticmethod
    def _reminder_days(granted: Granted) -> list[int]:
        """Patched "certification-call-reminders": the call's expiry reminders (before: always 180 and 30)."""
        if granted.reminder_days is not None and workflow.patched("certification-call-reminders"):
            return list(granted.reminder_days)
        return list(EXPIRY_REMINDER_DAYS)

    async def _rejected(self, what: str, decision: DecisionInput) -> None:
        reason = f"{what}：{decision.comment}".rstrip("：")
        await self.close_case("rejected", reason, result={"reason": reason}, tell=("示范平台认定：未通过", reason))
        if self._yearly:  # leaving the year's batch may make its list ready (the rest were waiting for this one)
            state: ListState = await run_activity(JOIN_LIST, ListInput(case_id=self._case_id, at=workflow.now(),
                                                                       candidate=False), ListState)
            await self._announce(state)
        return None

    # --- the year's lists (002 art. 10, 12, 13) -----------------------------------------------------------------

    async def _await_list(self) -> None:
        """Wait, as a candidate, for the year's 拟认定名单: published by the batch's last case to leave the review
        (this one, or another that then signals) or from the department's page."""
        await self.set_status("listed", "已列入拟认定名单，待本年度名单统一公示")
        state: ListState = await run_activity(JOIN_LIST, ListInput(case_id=self._case_id, at=workflow.now()),
                                              ListState)
        while not state.published and self._list is None:
            try:
                await workflow.wait_condition(lambda: self._list is not None, timeout=LIST_RECHECK)
            except TimeoutError:
                state = await run_activity(JOIN_LIST, ListInput(case_id=self._case_id, at=workflow.now()),
                                           ListState)
        if state.published:
            await self._announce(state)

    async def _announce(self, state: ListState) -> None:
        """The list is out: tell the other waiting candidates (a case already past it ignores the signal)."""
        if not state.published:
            return
        for other in state.case_ids:
            if other == self._case_id:
                continue
            try:
                await workflow.get_external_workflow_handle(other).signal(
                    LIST_SIGNAL, ListPublished(year=state.year, case_ids=state.case_ids))
            except Exception:  # a case ended meanwhile (terminated): nothing to tell
                workflow.logger.info("certification list: %s is not running", other)

    async def _batch_document(self, kind: str, params: dict[str, object] | None = None) -> BatchDoc:
        doc: BatchDoc = await run_activity(DRAFT_BATCH_DOCUMENT, BatchDocInput(
            case_id=self._case_id, kind=kind, at=workflow.now(), params=params or {}), BatchDoc)
        return doc

    async def draft_notice(self, name: str, period: NoticePeriod, working_days: int) -> None:
        """The year's one 拟认定名单 notice (art. 12) instead of the case's own; a case without a call year (none
        is found) drafts its own as before."""
        if not self._yearly:
            await super().draft_notice(name, period, working_days)
            return
        doc = await self._batch_document("public_notice", {
            "starts_on": period.starts_on.isoformat(), "ends_on": period.ends_on.isoformat(),
            "working_days": working_days})
        if doc.id is None:
            await super().draft_notice(name, period, working_days)

    # --- the title's life: one run per yearly cycle ---------------------------------------------------

    async def _life(self, state: CertificationState) -> str:
        self.state, self.status = state, "granted"
        self._counters = dict(state.counters)
        watch = asyncio.create_task(self._expiry_watch(state))
        self._tasks.append(watch)
        cycle: asyncio.Task[None] | None = None
        if state.cycle < len(state.cycle_years):
            cycle = asyncio.create_task(self._cycle(state, state.cycle_years[state.cycle]))
            self._tasks.append(cycle)
            self._cycle_task = cycle
        while True:
            current = cycle
            await self.watch_parts([watch, cycle], lambda c=current: self._revoking or watch.done()  # type: ignore[misc]
                                   or (c is not None and c.done()))
            if self._revoking:
                await workflow.wait_condition(lambda: self._revoked)
                await self.finish()
                return self.status
            if watch.done():
                return await self._expire(state)
            assert cycle is not None
            state.cycle += 1
            cycle = None
            if state.cycle < len(state.cycle_years):
                # The next yearly cycle runs in a fresh run; revoked meanwhile, this one ends here.
                state.counters = dict(self._counters)

                async def next_run(watch: asyncio.Task[None] = watch) -> CertificationRun:
                    watch.cancel()
                    assert self.case is not None
                    return CertificationRun(**{**self.case.model_dump(), "state": state})

                await self.hand_over(next_run, ended=lambda: self._revoking)
                return self.status

    async def _cycle(self, state: CertificationState, year: int) -> None:
        """Art. 16, 18, 19: the platform's summary, the city bureau's report, the department's rating."""
        case = self.case
        assert case is not None
        opens = summary_opens(year)
        if workflow.now() < opens:
            await self.pause(opens - workflow.now())
        await self.set_deadline("annual_summary", summary_due(year))
        await self.set_deadline("annual_report", report_due(year))
        await self.human_step(StepSpec(
            step=f"annual_summary_{year}", type="certification.annual_summary", title=f"{year}年度示范平台工作总结",
            role="platform_org", org_id=case.applicant_org_id, decisions=["submit"],
            form="certification_annual_summary", due_at=summary_due(year)))
        await self.human_step(StepSpec(
            step=f"city_annual_report_{year}", type="certification.city_annual_report",
            title=f"{year}年度示范平台检查情况报告", role="city_bureau", city=case.city, decisions=["approve", "reject"],
            form="certification_city_report", due_at=report_due(year)))
        rated = await self.human_step(StepSpec(
            step=f"annual_assessment_{year}", type="certification.annual_assessment",
            title=f"{year}年度示范平台服务绩效考核", role="department", decisions=["approve", "reject"],
            form="certification_assessment"))
        rating = str(rated.data.get("rating", "failed"))
        outcome = annual_rating_outcome(rating)  # type: ignore[arg-type]
        state.ratings[str(year)] = rating
        await self.draft("assessment_result_notice", key=f"assessment_result_notice.{year}",
                          params={"assessment_year": year, "rating": rating})
        result = {"annual_ratings": dict(state.ratings), "priority_support": outcome.action == "priority_support",
                  "recommend_national": outcome.recommend_national}
        await self.update_result(result, f"{year}年度服务绩效考核：{RATING_ZH.get(rating, rating)}")
        if not outcome.keeps_title:
            await self._revoke(reason=f"{year}年度服务绩效考核不合格：{rated.comment}".rstrip("："),
                               actor=rated.actor, ground="failed_assessment", keep=self._cycle_task)

    async def _expiry_watch(self, state: CertificationState) -> None:
        """Tell the holder before the title expires that it may re-apply this year (art. 17); return at expiry."""
        for days in state.reminder_days:
            if days in state.reminders_sent:
                continue
            at = state.expires_at - timedelta(days=days)
            if workflow.now() < at:
                await self.pause(at - workflow.now())
            if workflow.now() < state.expires_at:
                await self.notify_applicant(
                    f"示范平台称号将于{state.valid_until.isoformat()}到期",
                    f"称号有效期满当年可再次申报（第十七条）。距到期约{days}天。", kind=f"expiry_{days}")
            state.reminders_sent.append(days)
        if workflow.now() < state.expires_at:
            await self.pause(state.expires_at - workflow.now())

    async def _stop_tasks(self, keep: object = None) -> None:
        """Stop the title's running parts. Patched "certification-stop-reliably": cooperatively, each at its next
        step or pause (CaseWorkflow.stop_parts); before, an asyncio cancel that was lost when it came with an
        activity's result, and the part ran on (it could open its next task after the case had ended)."""
        parts = [t for t in self._tasks if t is not keep]
        if not workflow.patched("certification-stop-reliably"):
            for t in parts:
                t.cancel()
            return
        await self.stop_parts(parts)

    async def _expire(self, state: CertificationState) -> str:
        await self._stop_tasks()
        await self.cancel_open_tasks("称号有效期届满")
        await self.set_deadline("validity", state.expires_at, open=False)
        return await self.close_case("expired", f"示范平台称号有效期届满（{state.valid_until.isoformat()}），移出名录",
                                     tell=("示范平台称号已到期", "如需继续保持称号，请在本年度认定通知中再次申报。"),
                                     kind="expired")

    async def _revoke(self, *, reason: str, actor: str, ground: str, keep: object = None) -> None:
        """Cancel the cycle, draft the revocation decision, take the platform off the register."""
        if self._revoking:
            return
        self._revoking = True
        await self._stop_tasks(keep)
        await self.cancel_open_tasks(f"称号撤销：{reason}")
        await self.draft("revocation_decision", params={"reason": reason, "ground": ground})
        if self.state is not None:
            await self.set_deadline("validity", self.state.expires_at, open=False)
        await self.set_status("revoked", f"撤销示范平台称号：{reason}", closed=True,
                              result={"revoked_reason": reason, "revoked_by": actor, "revocation_ground": ground})
        await self.notify_applicant("示范平台称号已撤销", reason, kind="revoked")
        self._revoked = True

