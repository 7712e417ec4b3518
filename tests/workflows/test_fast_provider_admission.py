"""Provider admission's paths on fake activities (tests/workflows/harness.py): filing, return and correction,
rejection at each step, and the four-eyes rule of the department filing."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from tests.workflows.harness import Harness
from workflows.provider_admission import ProviderAdmissionWorkflow
from workflows.types import CaseInput

pytestmark = pytest.mark.workflow

OPERATOR, EXPERT, FILING = ("provider_admission.operator_review", "provider_admission.expert_review",
                            "provider_admission.department_filing")
CORRECTION = "provider_admission.correction"
ACTORS = {OPERATOR: "operator1", EXPERT: "expert1", FILING: "department1"}


async def _start(h: Harness) -> str:
    case_id = f"PA-FAST-{uuid.uuid4().hex[:8]}"
    await h.start(ProviderAdmissionWorkflow.run, CaseInput(case_id=case_id, case_type="provider_admission",
                                                           applicant_username="prov_a", applicant_org_id=42), id=case_id)
    return case_id



class TestProviderAdmission:
    async def test_three_approvals_file_the_provider_and_draft_the_filing_notice(self, harness: Harness) -> None:
        case_id = await _start(harness)
        for step in (OPERATOR, EXPERT, FILING):
            await harness.step(step, "approve", ACTORS[step], case_id=case_id)
        assert await harness.result(case_id) == "filed"
        f = harness.fakes
        assert [i.spec.type for i in f.inputs("open_task", case_id)] == [OPERATOR, EXPERT, FILING]
        assert [i.actor for i in f.inputs("close_task", case_id)] == ["operator1", "expert1", "department1"]
        assert f.inputs("file_provider", case_id)[0].case_id == case_id
        draft = f.inputs("draft_document", case_id)[0]
        assert (draft.kind, draft.issuer, draft.key) == ("provider_filing_notice", "department", f"{case_id}.filing_notice")
        names = f.names(case_id)
        assert names.index("file_provider") < names.index("draft_document") < len(names) - 2
        assert f.statuses(case_id) == ["in_review", "filed"]
        assert f.inputs("set_case_status", case_id)[-1].closed is True
        note = f.inputs("notify", case_id)[-1]
        assert note.kind == "result" and note.usernames == ["prov_a"] and "已备案" in note.subject

    async def test_return_goes_to_the_provider_and_resumes_at_the_same_step(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await harness.step(OPERATOR, "approve", "operator1", case_id=case_id)
        returned = await harness.step(EXPERT, "return", "expert1", case_id=case_id, comment="服务项目说明不全")
        correction = await harness.fakes.task(CORRECTION, case_id)
        assert (correction.spec.role, correction.spec.org_id, correction.spec.decisions) == ("provider", 42, ["submit"])
        assert harness.fakes.statuses(case_id)[-1] == "returned"
        assert harness.fakes.notified(case_id) == ["returned"]
        await harness.decide(correction, "submit", "prov_a", data={"services": ["credit", "finance"]})
        again = await harness.fakes.task(EXPERT, case_id)
        assert (returned.id, again.id) == (f"{case_id}.expert_review.1", f"{case_id}.expert_review.2")
        await harness.decide(again, "approve", "expert2")
        await harness.step(FILING, "approve", "department1", case_id=case_id)
        assert await harness.result(case_id) == "filed"
        f = harness.fakes
        closed = {i.task_id: i for i in f.inputs("close_task", case_id)}
        assert closed[correction.id].update_case_data is True and closed[correction.id].data == {
            "services": ["credit", "finance"]}
        assert closed[returned.id].update_case_data is False
        assert [i.spec.type for i in f.inputs("open_task", case_id)] == [OPERATOR, EXPERT, CORRECTION, EXPERT, FILING]
        assert f.statuses(case_id) == ["in_review", "returned", "in_review", "filed"]

    @pytest.mark.parametrize("at", [OPERATOR, EXPERT, FILING])
    async def test_reject_at_any_step_ends_the_case(self, harness: Harness, at: str) -> None:
        case_id = await _start(harness)
        for step in (OPERATOR, EXPERT, FILING):
            if step == at:
                await harness.step(step, "reject", ACTORS[step], case_id=case_id, comment="不符合条件")
                break
            await harness.step(step, "approve", ACTORS[step], case_id=case_id)
        assert await harness.result(case_id) == "rejected"
        f = harness.fakes
        assert f.inputs("open_task", case_id)[-1].spec.type == at
        assert "file_provider" not in f.names(case_id) and f.drafted(case_id) == []
        final = f.inputs("set_case_status", case_id)[-1]
        assert final.status == "rejected" and final.closed and "不符合条件" in final.message
        assert f.notified(case_id) == ["result"]

    async def test_filing_refuses_the_operator_who_made_the_first_review(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await harness.step(OPERATOR, "approve", "operator1", case_id=case_id)
        await harness.step(EXPERT, "approve", "expert1", case_id=case_id)
        filing = await harness.fakes.task(FILING, case_id)
        assert filing.excluded_users == ["operator1"]
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await harness.decide(filing, "approve", "operator1")
        assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "FourEyes"
        assert filing.status == "open" and filing.id not in [i.task_id for i in harness.fakes.inputs("close_task")]
        await harness.decide(filing, "approve", "department1")
        assert await harness.result(case_id) == "filed"
