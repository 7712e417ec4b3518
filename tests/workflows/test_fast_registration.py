"""Registration's paths on fake activities (tests/workflows/harness.py): the operator approves or rejects."""

from __future__ import annotations

import uuid

import pytest

from tests.workflows.harness import Harness
from workflows.registration import RegistrationWorkflow
from workflows.types import CaseInput

pytestmark = pytest.mark.workflow


async def _start(h: Harness) -> str:
    case_id = f"REG-FAST-{uuid.uuid4().hex[:8]}"
    await h.start(RegistrationWorkflow.run, CaseInput(case_id=case_id, case_type="registration"), id=case_id)
    return case_id


class TestRegistration:
    async def test_approve_activates_the_account(self, harness: Harness) -> None:
        case_id = await _start(harness)
        task = await harness.step("registration.review", "approve", "operator1", case_id=case_id)
        assert task.spec.role == "operator" and task.spec.decisions == ["approve", "reject"]
        assert await harness.result(case_id) == "approved"
        f = harness.fakes
        assert f.names(case_id) == ["set_case_status", "open_task", "close_task", "decide_account", "set_case_status"]
        decided = f.inputs("decide_account", case_id)[0]
        assert decided.approved is True and decided.actor == "operator1"
        assert f.statuses(case_id) == ["in_review", "approved"]
        assert f.inputs("set_case_status", case_id)[-1].closed is True
        assert task.status == "completed" and task.decision == "approve"

    async def test_reject_tells_why(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await harness.step("registration.review", "reject", "operator2", case_id=case_id, comment="营业执照模糊")
        assert await harness.result(case_id) == "rejected"
        decided = harness.fakes.inputs("decide_account", case_id)[0]
        assert decided.approved is False and decided.reason == "营业执照模糊"
        final = harness.fakes.inputs("set_case_status", case_id)[-1]
        assert final.status == "rejected" and "营业执照模糊" in final.message and final.closed
