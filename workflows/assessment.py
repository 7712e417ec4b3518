"""Yearly assessment of one subject (P5; seed 004 art. 11-13, 001 三(五)2-3): self-report, scoring, outcomes.

self_report (the subject, figures pre-filled) -> scoring (the hub; the bureau for the hub) -> weighted total and
rating by the campaign's indicator version -> result notice, subject told -> outcomes (004 art. 13):
qualified -> done; excellent (window, partner) -> the bureau's support decision; failed -> rectification notice with
a deadline in working days -> the subject's rectification report -> reassessment -> fail -> the bureau's revocation
decision -> revoked: a window is disconnected (signal `disconnect` to its onboarding case), a partner loses its
signed status, the revocation decision is drafted.

The schedule (`AssessmentScheduleWorkflow`) opens the campaigns of `window` and `partner` on the first working day of
December by itself: a durable timer under any clock, or one firing of a Temporal Schedule in real mode (`once`).
Changes after the first deploy must be guarded with `workflow.patched` (tests/replay/histories/Assessment*).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows.human import CaseWorkflow, run_activity

with workflow.unsafe.imports_passed_through():
    from rules.assessment import (
        ASSESSOR_ROLE,
        KIND_LABELS,
        SELF_ROLE,
        SUBJECT_OF_KIND,
        AssessmentError,
        Indicator,
        IndicatorSet,
        assess,
        score,
    )
    from workflows.assessment_types import (
        OPEN_SCHEDULED,
        OPENING_AT,
        PREPARE_ASSESSMENT,
        RECTIFICATION_DUE,
        REVOKE_SUBJECT,
        DisconnectInput,
        OpenedCampaigns,
        Opening,
        OpeningInput,
        OpenScheduledInput,
        Prepared,
        PrepareInput,
        RectificationDue,
        RectificationInput,
        RevokeSubjectInput,
        ScheduleInput,
    )
    from workflows.types import (
        NOTIFY,
        CaseInput,
        NotifyInput,
        StepSpec,
    )

RATING_ZH = {"excellent": "优秀", "qualified": "合格", "failed": "不合格"}


def indicator_set(kind: str, data: dict[str, Any]) -> IndicatorSet:
    """The campaign's indicator set from its stored JSON (checked when it was saved)."""
    return IndicatorSet(kind=kind, indicators=tuple(Indicator(str(i["key"]), str(i["name"]), float(i["weight"]))
                                                    for i in data["indicators"]),
                        excellent_min=float(data["excellent_min"]), qualified_min=float(data["qualified_min"]),
                        provisional=bool(data.get("provisional", False)))


FIGURE_LABELS = {"reports_sent": "已报送服务数据", "reports_overdue": "逾期报送", "vouchers_settled": "已结算服务券",
                 "settled_fen": "结算金额", "satisfaction": "企业评价"}
SATISFACTION_ZH = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}


def _figure(key: str, value: Any) -> str:
    """A known figure in words: money in 元, ratings by their Chinese names."""
    if isinstance(value, dict):
        return "、".join(f"{SATISFACTION_ZH.get(str(k), str(k))}{v}" for k, v in value.items()) or "无"
    if key.endswith("_fen") and isinstance(value, int):
        return f"{value / 100:,.2f}元"
    return str(value)


def _weights(ind: IndicatorSet) -> str:
    total = sum(i.weight for i in ind.indicators) or 1
    return "；".join(f"{i.name} {i.weight * 100 / total:.0f}%" for i in ind.indicators)


def self_report_summary(prep: Prepared, ind: IndicatorSet) -> str:
    """What the subject reports on (figures as {"key": "情况"}) and what the system already knows (pre-filled)."""
    known = "，".join(f"{FIGURE_LABELS.get(k, k)}{_figure(k, v)}" for k, v in prep.figures.items()) or "无"
    return f"{prep.subject_name}：请逐项填报指标情况——{_weights(ind)}。系统已知数据：{known}。"


def scoring_summary(prep: Prepared, ind: IndicatorSet) -> str:
    """The indicator set of the campaign's version, its weights and thresholds, as the assessor scores."""
    return (f"{prep.subject_name}：按第{prep.indicator_version}版指标逐项打分（0-100）——"
            f"{_weights(ind)}。优秀≥{ind.excellent_min:g}，合格≥{ind.qualified_min:g}。")


@workflow.defn
class AssessmentWorkflow(CaseWorkflow):
    """One subject's yearly assessment and its consequences (004 art. 13)."""

    def __init__(self) -> None:
        super().__init__()
        self.prep: Prepared | None = None
        self.result: dict[str, Any] = {}

    @workflow.run
    async def run(self, case: CaseInput) -> str:
        self.case = case
        prep: Prepared = await run_activity(PREPARE_ASSESSMENT, PrepareInput(case_id=case.case_id, at=workflow.now()),
                                            Prepared)
        self.prep = prep
        ind = indicator_set(prep.kind, prep.indicators)
        label = f"{prep.year}年度{KIND_LABELS[prep.kind]}绩效考核"
        await self.set_status("self_report", f"{label}：待考核对象自评")
        ask = "请在待办中填报各项指标的情况和自评总结，系统已知的数据已预填。"
        # Patched "assessment-one-notice-per-step" (issue 15): the step's own notice is its one notification (the
        # subject was told twice: this notice and the task's 轮到您办理).
        one_notice = workflow.patched("assessment-one-notice-per-step")
        if not one_notice:
            await self._tell(f"{label}：请填报自评", ask, kind="self_report")
        own = {"role": SELF_ROLE[prep.kind], "org_id": prep.subject_org_id}
        notice = {"notice_subject": f"{label}：请填报自评", "notice": f"{label}：{ask}"} if one_notice else {}
        report = await self.human_step(StepSpec(
            step="self_report", type="assessment.self_report", title=f"{label}自评", decisions=["submit"],
            form="assessment_self_report", summary=self_report_summary(prep, ind),
            due_at=prep.self_report_due, prefill={"figures": {**dict.fromkeys(ind.keys(), ""), **prep.figures}},
            **own, **notice))
        await self.update_result({"self_report": {"figures": report.data.get("figures", {}),
                                            "summary": report.data.get("summary", "")}}, "考核对象已提交自评")
        await self.set_status("scoring", f"{label}：待评分")
        while True:
            scored = await self.human_step(StepSpec(
                step="scoring", type="assessment.scoring", title=f"{label}评分", role=ASSESSOR_ROLE[prep.kind],
                decisions=["submit"], form="assessment_scoring", summary=scoring_summary(prep, ind),
                prefill={"scores": dict.fromkeys(ind.keys())}))
            try:
                scores, total, rating = score(ind, scored.data.get("scores"))
                break
            except AssessmentError as exc:  # the API checks this first; a stale client is asked again
                await self.update_result({"scoring_error": exc.message}, f"评分无效，重新评分：{exc.message}")
        outcome = assess(subject=SUBJECT_OF_KIND[prep.kind], standing="active", rating=rating,
                         rectification_working_days=prep.rectification_working_days)
        self.result = {"scores": scores, "total": total, "rating": rating, "opinion": scored.data.get("opinion", ""),
                       "indicator_version": prep.indicator_version, "action": outcome.action, "supported": False,
                       "revoked": False}
        await self.update_result(self.result, f"考核得分{total}，{RATING_ZH[rating]}")
        await self._draft("assessment_result", params={"total": total, "rating": rating})
        await self._tell(f"{label}结果：{RATING_ZH[rating]}", f"综合得分{total}分。{scored.data.get('opinion', '')}",
                         kind="result")
        if outcome.action == "priority_support":
            return await self._support(label)
        if outcome.action == "rectify":
            return await self._rectify(label, outcome.rectification_working_days or prep.rectification_working_days)
        # qualified (an operating unit keeps its entrustment, 004 art. 13) or the hub's record (art. 11)
        status = "rated" if outcome.action == "record" else rating
        await self.set_status(status, f"{label}：{RATING_ZH[rating]}", closed=True)
        await self.finish()
        return self.status

    # --- outcomes (004 art. 13) ---------------------------------------------------------------------------------

    async def _support(self, label: str) -> str:
        """优秀: the hub proposes priority support, the bureau decides."""
        await self.set_status("support_review", f"{label}优秀：枢纽平台提请优先给予支持")
        decided = await self.human_step(StepSpec(
            step="support_decision", type="assessment.support_decision", title=f"{label}：优先支持决定",
            role="department", decisions=["approve", "reject"], form="review"))
        supported = decided.decision == "approve"
        await self.update_result({"supported": supported, "support_comment": decided.comment},
                           "同意优先给予支持" if supported else f"不予优先支持：{decided.comment}")
        await self.set_status("supported" if supported else "excellent",
                              f"{label}：{'列入优先支持名单' if supported else '优秀（未列入优先支持）'}", closed=True)
        if supported:
            await self._tell(f"{label}：已列入优先支持名单", decided.comment, kind="supported")
        await self.finish()
        return self.status

    async def _rectify(self, label: str, working_days: int) -> str:
        """不合格: a rectification notice with a deadline; the report; the reassessment; then maybe revocation."""
        prep = self.prep
        assert prep is not None
        due: RectificationDue = await run_activity(RECTIFICATION_DUE, RectificationInput(
            case_id=self._case_id, working_days=working_days, at=workflow.now()), RectificationDue)
        await self._draft("assessment_rectification_notice",
                          params={"deadline": due.due_on, "problems": [self.result.get("opinion") or "考核得分未达到合格标准"]})
        await self.update_result({"rectification_due": due.due_on}, f"限期整改，{working_days}个工作日内（至{due.due_on}）")
        await self.set_status("rectifying", f"{label}不合格：限期整改至{due.due_on}")
        ask = f"请于{due.due_on}前完成整改并提交整改报告。"
        one_notice = workflow.patched("assessment-one-notice-per-step")  # as the self-report's
        if not one_notice:
            await self._tell(f"{label}不合格：限期整改", ask, kind="rectification")
        notice = {"notice_subject": f"{label}不合格：限期整改", "notice": f"{label}不合格，限期整改：{ask}"} \
            if one_notice else {}
        await self.human_step(StepSpec(
            step="rectification", type="assessment.rectification", title=f"{label}：整改报告",
            role=SELF_ROLE[prep.kind], org_id=prep.subject_org_id, decisions=["submit"],
            form="assessment_rectification", due_at=due.closes_at, **notice))
        await self.set_status("reassessment", "整改报告已提交，待复核")
        again = await self.human_step(StepSpec(
            step="reassessment", type="assessment.reassessment", title=f"{label}：整改复核",
            role=ASSESSOR_ROLE[prep.kind], decisions=["pass", "fail"], form="assessment_reassessment"))
        second = assess(subject=SUBJECT_OF_KIND[prep.kind], standing="rectifying",
                        rating="qualified" if again.decision == "pass" else "failed")
        if second.action != "revoke":
            await self.update_result({"final_rating": "qualified", "reassessment": again.comment}, "整改复核通过")
            await self.set_status("rectified", f"{label}：整改复核通过", closed=True)
            await self._tell(f"{label}：整改复核通过", again.comment, kind="rectified")
            await self.finish()
            return self.status
        await self.update_result({"final_rating": "failed", "reassessment": again.comment}, "整改后仍达不到要求")
        await self.set_status("revocation_review", "整改后仍达不到要求：枢纽平台提请撤销资格")
        decided = await self.human_step(StepSpec(
            step="revocation_decision", type="assessment.revocation_decision", title=f"{label}：撤销资格决定",
            role="department", decisions=["revoke", "keep"], form="review"))
        reason = decided.comment or str(decided.data.get("reason") or "")
        if decided.decision == "keep":
            await self.update_result({"revocation": "kept", "revocation_reason": reason}, f"不予撤销：{reason}")
            await self.set_status("kept", f"{label}：保留资格（{reason}）", closed=True)
            await self.finish()
            return self.status
        await self._revoke(reason or "整改后仍达不到要求", decided.actor)
        await self.finish()
        return self.status

    async def _revoke(self, reason: str, actor: str) -> None:
        prep = self.prep
        assert prep is not None
        if prep.kind == "window" and prep.window_case_id:
            try:
                await workflow.get_external_workflow_handle(prep.window_case_id).signal(
                    "disconnect", DisconnectInput(reason=reason, actor=actor, ground="revoked"))
            except Exception as exc:  # the window's onboarding case has already ended
                await self.update_result({"disconnect_error": str(exc)}, "窗口平台接入流程已结束，无需断开")
        await run_activity(REVOKE_SUBJECT, RevokeSubjectInput(case_id=self._case_id, kind=prep.kind,
                                                              org_id=prep.subject_org_id, reason=reason, actor=actor,
                                                              at=workflow.now()))
        await self._draft("assessment_revocation_decision", params={"reason": reason})
        await self.update_result({"revoked": True, "revocation_reason": reason}, f"撤销资格：{reason}")
        await self.set_status("revoked", f"撤销{KIND_LABELS[prep.kind]}资格：{reason}", closed=True)
        await self._tell(f"{KIND_LABELS[prep.kind]}资格已撤销", reason, kind="revoked")

    # --- small helpers --------------------------------------------------------------------------------------------

    async def _tell(self, subject: str, body: str = "", *, kind: str) -> None:
        """Tell the subject organisation's users (the hub's staff when the hub is assessed)."""
        prep = self.prep
        assert prep is not None
        await run_activity(NOTIFY, NotifyInput(
            key=f"{self._case_id}.subject.{kind}", subject=subject, body=body, kind=kind, case_id=self._case_id,
            roles=[SELF_ROLE[prep.kind]], org_id=prep.subject_org_id, at=workflow.now()))

    async def _draft(self, kind: str, *, params: dict[str, Any]) -> None:
        prep = self.prep
        assert prep is not None
        issuer = "department" if prep.kind == "hub" or kind == "assessment_revocation_decision" else "operator"
        await self.draft(kind, params=params, issuer=issuer)


SCHEDULE_ID = "assessment-schedule"
_TIMEOUT = timedelta(seconds=120)
_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), non_retryable_error_types=["RuleViolation"])


@workflow.defn
class AssessmentScheduleWorkflow:
    """Opens the year's campaigns by itself on the first working day of December (an admin setting).

    Long-running (id `assessment-schedule`, a ProcessSpec singleton started by the worker): sleep on a durable timer
    until the opening, open, continue as new for the next year; in real mode it stands down for the Temporal Schedule.
    `once` (the Temporal Schedule's action in real mode): open now if the opening has come, else nothing.
    Either way the opener activity is idempotent (one campaign per year and kind), so a second firing opens nothing."""

    @workflow.run
    async def run(self, inp: ScheduleInput) -> list[str]:
        year = inp.year or (workflow.now() + timedelta(hours=8)).year
        opening: Opening = await workflow.execute_activity(
            OPENING_AT, OpeningInput(year=year, at=workflow.now()), result_type=Opening,
            start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
        if not inp.once and not opening.timer:
            return []  # real mode: the Temporal Schedule (api/assessment_schedule.py) opens the campaigns
        if workflow.now() < opening.opens_at:
            if inp.once:
                return []
            await workflow.sleep(opening.opens_at - workflow.now())
        elif not inp.once and not inp.catch_up:
            workflow.continue_as_new(ScheduleInput(year=year + 1, catch_up=True))
        opened: OpenedCampaigns = await workflow.execute_activity(
            OPEN_SCHEDULED, OpenScheduledInput(year=year, kinds=opening.kinds, at=workflow.now()),
            result_type=OpenedCampaigns, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
        for sc in opened.cases:
            try:
                await workflow.start_child_workflow(
                    AssessmentWorkflow.run,
                    CaseInput(case_id=sc.case_id, case_type="assessment", applicant_org_id=sc.org_id, city=sc.city),
                    id=sc.case_id, parent_close_policy=ParentClosePolicy.ABANDON,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
            except WorkflowAlreadyStartedError:
                pass
        if inp.once:
            return opened.opened
        workflow.continue_as_new(ScheduleInput(year=year + 1, catch_up=True))


def first_schedule_input(now: datetime) -> ScheduleInput:
    """The singleton's first run: this year's opening (if it has passed, the run moves on to the next year)."""
    return ScheduleInput(year=(now + timedelta(hours=8)).year)
