"""Replay of the assessment workflow: a partner failed, rectified in vain and revoked (the longest path), and an
excellent one supported. Refresh with FLOW168_RECORD_HISTORIES=1 (then review the diff)."""

from __future__ import annotations

import os

import pytest

from tests.api.test_assessment import decide, partner_case, scored, self_report
from tests.conftest import Stack
from tests.helpers import case_status, complete, task_of
from tests.replay.test_replay import HISTORIES, replayer

pytestmark = pytest.mark.workflow


async def test_revoked_and_supported_replay(stack: Stack) -> None:
    http = stack.http
    h, _, _, revoked = await partner_case(stack)
    await self_report(stack, h, revoked)
    await scored(stack, revoked, {"smes_served": 30, "satisfaction": 40})
    r = await complete(http, h, await task_of(http, h, "assessment.rectification", revoked), "submit",
                       data={"report": "整改报告"}, comment="")
    assert r.status_code == 200
    assert (await decide(stack, "operator1", "assessment.reassessment", revoked, "fail", "仍不足")).status_code == 200
    r = await decide(stack, "department1", "assessment.revocation_decision", revoked, "revoke", "整改后仍不合格")
    assert r.status_code == 200
    await case_status(http, h, revoked, {"revoked"})
    h2, _, _, supported = await partner_case(stack)
    await self_report(stack, h2, supported)
    await scored(stack, supported, {"smes_served": 95, "satisfaction": 95})
    assert (await decide(stack, "department2", "assessment.support_decision", supported, "approve")).status_code == 200
    await case_status(http, h2, supported, {"supported"})
    for case_id, name in ((revoked, "revoked"), (supported, "supported")):
        history = await stack.client.get_workflow_handle(case_id).fetch_history()
        await replayer().replay_workflow(history)
        if os.environ.get("FLOW168_RECORD_HISTORIES"):
            # v2: "assessment-one-notice-per-step" (issue 15); v3: "local-activities" (issue 12); the older files keep
            # the histories before them
            (HISTORIES / f"AssessmentWorkflow__{name}_v3.json").write_text(history.to_json())
