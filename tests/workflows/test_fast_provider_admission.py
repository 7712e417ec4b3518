"""Provider admission's paths on fake activities (tests/workflows/harness.py): the operator's review, the blind
panel of 000 四 "组织专家综合审定" with its result by rule, the department's filing (departing from the panel only with
a reason), return and correction, rejection, and the four-eyes rule of the filing."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from tests.workflows.harness import FakeActivities, Harness
from workflows.provider_admission import ProviderAdmissionWorkflow
from workflows.provider_admission_types import PREPARE_PROVIDER_PANEL, Panel, PanelInput
from workflows.types import CaseInput

pytestmark = pytest.mark.workflow

OPERATOR, EXPERT, FILING = ("provider_admission.operator_review", "provider_admission.expert_review",
                            "provider_admission.department_filing")
CORRECTION = "provider_admission.correction"
EXPERTS = ["expert1", "expert2", "expert3"]


@pytest.fixture
def fakes() -> FakeActivities:
    f = FakeActivities()
    f.add(PREPARE_PROVIDER_PANEL, PanelInput, Panel(experts=EXPERTS))
    return f


async def _start(h: Harness) -> str:
    case_id = f"PA-FAST-{uuid.uuid4().hex[:8]}"
    await h.start(ProviderAdmissionWorkflow.run, CaseInput(case_id=case_id, case_type="provider_admission",
                                                           applicant_username="prov_a", applicant_org_id=42), id=case_id)
    return case_id


async def _panel(h: Harness, case_id: str, verdicts: list[str]) -> None:
    tasks = await h.fakes.tasks_of(EXPERT, len(EXPERTS), case_id)
    by_expert = {t.spec.assignee: t for t in tasks}
    for expert, verdict in zip(EXPERTS, verdicts, strict=True):
        await h.decide(by_expert[expert], verdict, expert, data={"score": 80, "opinion": "意见"})


class TestProviderAdmission:
    async def test_operator_panel_and_filing_file_the_provider(self, harness: Harness) -> None:
        """003 art. 8 / 000 四: initial review, 综合审定 by a blind panel (one task per named expert, all open at
        once), the department's filing; the provider is listed and the filing notice drafted."""
        case_id = await _start(harness)
        await harness.step(OPERATOR, "approve", "operator1", case_id=case_id)
        tasks = await harness.fakes.tasks_of(EXPERT, 3, case_id)
        assert sorted((t.spec.step, t.spec.assignee) for t in tasks) == [
            ("expert_review_1", "expert1"), ("expert_review_2", "expert2"), ("expert_review_3", "expert3")]
        assert {tuple(t.spec.decisions) for t in tasks} == {("approve", "reject")}
        await _panel(harness, case_id, ["approve", "approve", "reject"])
        filing = await harness.fakes.task(FILING, case_id)
        assert filing.spec.form == "provider_admission_filing"
        f = harness.fakes
        panel = f.inputs("update_case_result", case_id)[0].result["panel_result"]
        assert (panel["decision"], panel["approvals"], panel["size"]) == ("approve", 2, 3)
        await harness.decide(filing, "approve", "department1")
        assert await harness.result(case_id) == "filed"
        assert [i.spec.type for i in f.inputs("open_task", case_id)] == [OPERATOR, EXPERT, EXPERT, EXPERT, FILING]
        assert f.inputs("file_provider", case_id)[0].case_id == case_id
        draft = f.inputs("draft_document", case_id)[0]
        assert (draft.kind, draft.issuer, draft.key) == ("provider_filing_notice", "department", f"{case_id}.filing_notice")
        assert f.statuses(case_id) == ["in_review", "filed"]
        note = f.inputs("notify", case_id)[-1]
        assert note.kind == "result" and note.usernames == ["prov_a"] and "已备案" in note.subject
        assert len(f.inputs("update_case_result", case_id)) == 1  # no departure

    async def test_filing_against_the_panel_records_the_reason(self, harness: Harness) -> None:
        """000 四 综合审定 aggregated like certification: 1 of 3 approves, the panel rejects; the department may
        still file, and its reason is recorded."""
        case_id = await _start(harness)
        await harness.step(OPERATOR, "approve", "operator1", case_id=case_id)
        await _panel(harness, case_id, ["approve", "reject", "reject"])
        await harness.step(FILING, "approve", "department1", case_id=case_id,
                           data={"departure_reason": "补充材料证明其资质齐全"})
        assert await harness.result(case_id) == "filed"
        results = [i.result for i in harness.fakes.inputs("update_case_result", case_id)]
        assert results[0]["panel_result"]["decision"] == "reject"
        assert results[-1] == {"departs_from_panel": True, "departure_reason": "补充材料证明其资质齐全"}

    async def test_return_goes_to_the_provider_and_resumes_at_the_same_step(self, harness: Harness) -> None:
        case_id = await _start(harness)
        returned = await harness.step(OPERATOR, "return", "operator1", case_id=case_id, comment="营业执照不清晰")
        correction = await harness.fakes.task(CORRECTION, case_id)
        assert (correction.spec.role, correction.spec.org_id, correction.spec.decisions) == ("provider", 42, ["submit"])
        assert harness.fakes.notified(case_id) == ["returned"]
        await harness.decide(correction, "submit", "prov_a", data={"description": "补正"})
        again = await harness.step(OPERATOR, "approve", "operator1", case_id=case_id)
        assert (returned.id, again.id) == (f"{case_id}.operator_review.1", f"{case_id}.operator_review.2")
        await _panel(harness, case_id, ["approve", "approve", "approve"])
        await harness.step(FILING, "return", "department1", case_id=case_id, comment="服务项目价格说明不全")
        await harness.step(CORRECTION, "submit", "prov_a", case_id=case_id, data={"description": "再补正"})
        await harness.step(FILING, "approve", "department1", case_id=case_id)
        assert await harness.result(case_id) == "filed"
        f = harness.fakes
        assert [i.spec.type for i in f.inputs("open_task", case_id)] == [
            OPERATOR, CORRECTION, OPERATOR, EXPERT, EXPERT, EXPERT, FILING, CORRECTION, FILING]
        assert f.statuses(case_id) == ["in_review", "returned", "in_review", "returned", "in_review", "filed"]

    @pytest.mark.parametrize("at", [OPERATOR, FILING])
    async def test_reject_ends_the_case(self, harness: Harness, at: str) -> None:
        case_id = await _start(harness)
        if at == FILING:
            await harness.step(OPERATOR, "approve", "operator1", case_id=case_id)
            await _panel(harness, case_id, ["reject", "reject", "approve"])
        await harness.step(at, "reject", "department1" if at == FILING else "operator1", case_id=case_id,
                           comment="不符合条件")
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
        await _panel(harness, case_id, ["approve", "approve", "approve"])
        filing = await harness.fakes.task(FILING, case_id)
        assert filing.excluded_users == ["operator1"]
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await harness.decide(filing, "approve", "operator1")
        assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "FourEyes"
        await harness.decide(filing, "approve", "department1")
        assert await harness.result(case_id) == "filed"
