"""Voucher priority verification (003 art. 11(3)): the enterprise declares 专精特新 and/or a credit rating of A or
above with proof; the operator verifies the evidence; only what it verified counts in the fund's order (and only
under the policy version that has the priority, see rules.voucher.PolicyVersion.priority_first)."""

from __future__ import annotations

from temporalio import workflow

from workflows.human import CaseWorkflow, run_activity

with workflow.unsafe.imports_passed_through():
    from workflows.priority_verification_types import RECORD_PRIORITY, PriorityRecordInput
    from workflows.types import CaseInput, StepSpec


@workflow.defn
class PriorityVerificationWorkflow(CaseWorkflow):
    """priority_verification.review by an operator; approval records the verified flags on the organisation."""

    @workflow.run
    async def run(self, case: CaseInput) -> str:
        self.case = case
        await self.set_status("in_review", "优先申领资格申报已提交，等待运营单位核验")
        decision = await self.human_step(StepSpec(
            step="review", type="priority_verification.review", title="优先申领资格核验", role="operator",
            decisions=["approve", "reject"], form="priority_verify",
            summary="核对认定文件或信用评级报告；只有核验通过的资格计入服务券优先申领"))
        if decision.decision != "approve":
            return await self.close_case("rejected", f"优先申领资格核验未通过：{decision.comment}",
                                         tell=("优先申领资格核验未通过", f"理由：{decision.comment}"))
        rating = decision.data.get("credit_rating")
        specialized = decision.data.get("specialized")
        await run_activity(RECORD_PRIORITY, PriorityRecordInput(
            case_id=case.case_id, specialized=specialized if isinstance(specialized, bool) else None,
            credit_rating=rating if isinstance(rating, str) else None, actor=decision.actor, at=workflow.now()))
        return await self.close_case("verified", "优先申领资格已核验", tell=(
            "优先申领资格已核验", "核验通过的资格将在服务券申领排序中适用（2016年办法第十一条第（三）项）。"))
