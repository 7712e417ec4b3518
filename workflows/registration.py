"""Account review (seed 000, 五.1): an operator approves or rejects a newly registered organisation."""

from __future__ import annotations

from temporalio import workflow

from workflows.human import CaseWorkflow, run_activity

with workflow.unsafe.imports_passed_through():
    from workflows.types import DECIDE_ACCOUNT, AccountDecisionInput, CaseInput, StepSpec

KIND_LABEL = {"enterprise": "企业", "provider": "服务机构", "platform_org": "平台运营机构"}


@workflow.defn
class RegistrationWorkflow(CaseWorkflow):
    """registration.review by an operator; approval activates the account, rejection tells why."""

    @workflow.run
    async def run(self, case: CaseInput) -> str:
        self.case = case
        await self.set_status("in_review", "注册申请已提交，等待运营单位审核")
        decision = await self.human_step(
            StepSpec(
                step="review",
                type="registration.review",
                title="新用户注册审核",
                role="operator",
                decisions=["approve", "reject"],
                form="review",
            )
        )
        approved = decision.decision == "approve"
        await run_activity(
            DECIDE_ACCOUNT,
            AccountDecisionInput(case_id=case.case_id, approved=approved, reason=decision.comment,
                                 actor=decision.actor, at=workflow.now()),
        )
        if approved:
            return await self.close_case("approved", "注册审核通过，账户已启用")
        return await self.close_case("rejected", f"注册审核未通过：{decision.comment}")
