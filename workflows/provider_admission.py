"""Signed service provider admission (P2; seed 003 art. 4 and 8, seed 000 四).

Operator checks authenticity and compliance -> an expert reviews the provider and its service items ->
the department files it (备案) -> the provider is published in the signed list with a filing notice.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.human import CaseWorkflow, run_activity

with workflow.unsafe.imports_passed_through():
    from workflows.types import (
        FILE_PROVIDER,
        CaseInput,
        DecisionInput,
        FileProviderInput,
        StepSpec,
    )

REVIEW = ["approve", "reject", "return"]


@workflow.defn
class ProviderAdmissionWorkflow(CaseWorkflow):
    """The three reviews of a provider's admission, each of which may return it for correction."""

    @workflow.run
    async def run(self, case: CaseInput) -> str:
        self.case = case
        await self.set_status("in_review", "准入申请已提交")
        correction = StepSpec(step="correction", type="provider_admission.correction", title="补正签约服务机构准入申请",
                              role="provider", org_id=case.applicant_org_id, decisions=["submit"],
                              form="provider_admission")
        steps = [
            StepSpec(step="operator_review", type="provider_admission.operator_review", title="签约服务机构材料初审",
                     role="operator", decisions=REVIEW, form="review"),
            StepSpec(step="expert_review", type="provider_admission.expert_review", title="签约服务机构专家评审",
                     role="expert", decisions=REVIEW, form="expert_opinion"),
            StepSpec(step="department_filing", type="provider_admission.department_filing",
                     title="签约服务机构备案", role="department", decisions=["approve", "reject", "return"],
                     form="review", exclude_actors_of=["operator_review"]),
        ]
        for spec in steps:
            decision = await self.review(spec, correction)
            if decision.decision == "reject":
                return await self._rejected(spec, decision)
        await run_activity(FILE_PROVIDER, FileProviderInput(case_id=case.case_id, at=workflow.now()))
        await self.draft("provider_filing_notice", key="filing_notice")
        return await self.close_case("filed", "已备案，列入签约服务机构名单",
                                     tell=("签约服务机构准入：已备案", "贵单位已列入签约服务机构名单。"))

    async def _rejected(self, spec: StepSpec, decision: DecisionInput) -> str:
        return await self.close_case("rejected", f"{spec.title}未通过：{decision.comment}",
                                     tell=("签约服务机构准入：未通过", f"{spec.title}未通过。理由：{decision.comment}"))
