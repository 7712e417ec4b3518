"""Signed service provider admission (P2; seed 003 art. 4 and 8, seed 000 四).

Operator checks authenticity and compliance -> a blind panel of experts reviews the provider and its service items
(组织专家综合审定; the panel's result by rules.panel) -> the department files it (备案), departing from the panel's
result only with a recorded reason -> the provider is published in the signed list with a filing notice.

Patched "provider-admission-panel": before it, one expert's review (which could return the application).
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

from workflows.human import CaseWorkflow, run_activity

with workflow.unsafe.imports_passed_through():
    from rules.panel import aggregate, departs
    from workflows.provider_admission_types import PREPARE_PROVIDER_PANEL, Panel, PanelInput
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
        first = await self.review(steps[0], correction)
        if first.decision == "reject":
            return await self._rejected(steps[0], first)
        if workflow.patched("provider-admission-panel"):
            filing = await self._panel_and_filing(case, correction)
            if filing is not None:
                return filing
        else:
            for spec in steps[1:]:
                decision = await self.review(spec, correction)
                if decision.decision == "reject":
                    return await self._rejected(spec, decision)
        await run_activity(FILE_PROVIDER, FileProviderInput(case_id=case.case_id, at=workflow.now()))
        await self.draft("provider_filing_notice", key="filing_notice")
        return await self.close_case("filed", "已备案，列入签约服务机构名单",
                                     tell=("签约服务机构准入：已备案", "贵单位已列入签约服务机构名单。"))

    async def _panel_and_filing(self, case: CaseInput, correction: StepSpec) -> str | None:
        """The blind panel (one task per named expert, all open at once; 000 四, 003 art. 8 组织专家…综合审定), its
        result by rule, then the department's filing; the case's end if it ends here, else None (filed)."""
        panel: Panel = await run_activity(PREPARE_PROVIDER_PANEL, PanelInput(case_id=case.case_id, at=workflow.now()),
                                          Panel)
        reviews = await asyncio.gather(*[
            self.human_step(StepSpec(step=f"expert_review_{i}", type="provider_admission.expert_review",
                                     title="签约服务机构专家综合审定", role="expert", assignee=expert,
                                     decisions=["approve", "reject"], form="expert_opinion"))
            for i, expert in enumerate(panel.experts, start=1)
        ])
        result = aggregate([d.decision for d in reviews], [d.data.get("score") for d in reviews],
                           basis="宁非公经发〔2016〕73号第八条；2017年补贴券政策“四、签约服务机构”")
        verdict = "同意" if result.decision == "approve" else "不同意"
        await self.update_result({
            "expert_reviews": [{"expert": d.actor, "decision": d.decision, "score": d.data.get("score"),
                                "opinion": d.data.get("opinion", "")} for d in reviews],
            "panel_result": result.as_dict()}, f"专家综合审定完成：{result.approvals}/{result.size}名专家同意，结论为{verdict}")
        spec = StepSpec(step="department_filing", type="provider_admission.department_filing", title="签约服务机构备案",
                        role="department", decisions=["approve", "reject", "return"], form="provider_admission_filing",
                        exclude_actors_of=["operator_review"])
        decision = await self.review(spec, correction)
        if departs(result.decision, decision.decision):
            await self.update_result({"departs_from_panel": True,
                                      "departure_reason": str(decision.data.get("departure_reason", ""))},
                                     "备案决定与专家组综合审定结论不一致，已记录理由")
        if decision.decision == "reject":
            return await self._rejected(spec, decision)
        return None

    async def _rejected(self, spec: StepSpec, decision: DecisionInput) -> str:
        return await self.close_case("rejected", f"{spec.title}未通过：{decision.comment}",
                                     tell=("签约服务机构准入：未通过", f"{spec.title}未通过。理由：{decision.comment}"))
