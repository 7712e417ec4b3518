"""Priority verification (003 art. 11(3)) on fake activities: the operator verifies the declared 专精特新 / credit
rating against the proof; only an approval records flags on the organisation."""

from __future__ import annotations

import uuid

import pytest

from tests.workflows.harness import FakeActivities, Harness
from workflows.priority_verification import PriorityVerificationWorkflow
from workflows.priority_verification_types import RECORD_PRIORITY, PriorityRecordInput
from workflows.types import CaseInput

pytestmark = pytest.mark.workflow


@pytest.fixture
def fakes() -> FakeActivities:
    f = FakeActivities()
    f.add(RECORD_PRIORITY, PriorityRecordInput)
    return f


async def _start(h: Harness) -> str:
    case_id = f"PV-FAST-{uuid.uuid4().hex[:8]}"
    await h.start(PriorityVerificationWorkflow.run, CaseInput(case_id=case_id, case_type="priority_verification",
                                                               applicant_org_id=7), id=case_id)
    return case_id


class TestSeed003Art11_3Verification:
    async def test_the_operator_verifies_and_the_flags_are_recorded(self, harness: Harness) -> None:
        case_id = await _start(harness)
        task = await harness.step("priority_verification.review", "approve", "operator1", case_id=case_id,
                                  data={"credit_rating": "AA"})
        assert (task.spec.role, task.spec.form) == ("operator", "priority_verify")
        assert await harness.result(case_id) == "verified"
        recorded = harness.fakes.inputs(RECORD_PRIORITY, case_id)
        assert len(recorded) == 1 and recorded[0].credit_rating == "AA" and recorded[0].actor == "operator1"
        assert recorded[0].specialized is None  # kept as declared

    async def test_a_rejection_records_nothing(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await harness.step("priority_verification.review", "reject", "operator2", case_id=case_id,
                           comment="评级报告已过期")
        assert await harness.result(case_id) == "rejected"
        assert harness.fakes.inputs(RECORD_PRIORITY, case_id) == []
        assert "评级报告已过期" in harness.fakes.inputs("set_case_status", case_id)[-1].message
