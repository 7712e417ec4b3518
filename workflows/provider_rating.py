"""Star rating, ranking and dynamic adjustment of signed providers (003 art. 11(2); 001 三(三)10).

The operator opens a year's rating -> the system proposes stars, ranking and adjustments from the year's vouchers
(enterprise satisfaction, settlements lowered, vouchers voided; rules/provider_rating.py) -> the operator reviews the
proposal and may change a line with a reason -> the department approves (审核) or sends it back -> public notice
(公示, 5 working days, objections as for any notice) -> with no upheld objection the result takes effect (stars
recorded, removals end the signed status).
"""

from __future__ import annotations

from temporalio import workflow

from workflows.human import run_activity
from workflows.public_notice import NoticeWorkflow

with workflow.unsafe.imports_passed_through():
    from workflows.provider_rating_types import (
        APPLY_RATING,
        PROPOSE_RATING,
        REVISE_RATING,
        RatingCount,
        RatingRun,
        RatingStep,
    )
    from workflows.types import StepSpec

NOTICE_WORKING_DAYS = 5  # the seed says 公示 without a period; as the certification's (002 art. 12)


@workflow.defn
class ProviderRatingWorkflow(NoticeWorkflow):
    """One year's rating of the signed providers, from proposal to publication."""

    @workflow.run
    async def run(self, case: RatingRun) -> str:
        self.case = case
        await self.set_status("in_review", "服务机构评级排名和动态调整建议拟定中")
        count: RatingCount = await run_activity(PROPOSE_RATING, RatingStep(case_id=case.case_id, at=workflow.now()),
                                                RatingCount)
        while True:
            proposal = await self.human_step(StepSpec(
                step="proposal", type="provider_rating.proposal", title="服务机构评级排名和动态调整建议",
                role="operator", decisions=["submit"], form="provider_rating_proposal",
                summary=f"{count.providers}家签约服务机构"))
            await run_activity(REVISE_RATING, RatingStep(case_id=case.case_id, at=workflow.now(),
                                                         changes=dict(proposal.data.get("changes") or {})))
            approval = await self.human_step(StepSpec(
                step="approval", type="provider_rating.approval", title="审核服务机构评级排名和动态调整建议",
                role="department", decisions=["approve", "reject", "return"], form="review"))
            if approval.decision == "approve":
                break
            if approval.decision == "reject":
                return await self.close_case("rejected", f"评级排名和动态调整建议未通过审核：{approval.comment}")
            await self.set_status("returned", f"退回运营单位修改：{approval.comment}")
        await self.set_status("public_notice", f"评级排名和动态调整结果公示{NOTICE_WORKING_DAYS}个工作日")
        outcome = await self.public_notice(working_days=NOTICE_WORKING_DAYS)
        if outcome.upheld is not None:
            return await self.close_case("rejected", f"公示异议成立：{outcome.upheld}", result={"reason": outcome.upheld})
        await run_activity(APPLY_RATING, RatingStep(case_id=case.case_id, at=workflow.now()))
        return await self.close_case("published", "公示无异议，评级排名和动态调整结果生效")
