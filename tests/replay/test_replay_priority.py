"""Replay of the priority verification workflow (003 art. 11(3)): a declaration verified by the operator.
FLOW168_RECORD_HISTORIES=1 writes tests/replay/histories/PriorityVerificationWorkflow__v2.json (v1: before patch
"local-activities", issue 12)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import Stack
from tests.helpers import case_status, complete, login, register_approved, task_of
from tests.replay.test_replay import HISTORIES, replayer
from tests.voucher.factories import upload

pytestmark = pytest.mark.workflow


async def test_fresh_priority_history_replays(stack: Stack) -> None:
    ent, _ = await register_approved(stack.http, "enterprise")
    proof = await upload(stack, ent, "专精特新认定.pdf")
    r = await stack.http.post("/api/cases", headers=ent, json={"type": "priority_verification", "data": {
        "specialized": True, "specialized_proof": proof}})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    op = await login(stack.http, "operator1")
    await complete(stack.http, op, await task_of(stack.http, op, "priority_verification.review", case_id), "approve")
    await case_status(stack.http, ent, case_id, {"verified"})
    history = await stack.client.get_workflow_handle(case_id).fetch_history()
    await replayer().replay_workflow(history)
    if os.environ.get("FLOW168_RECORD_HISTORIES"):
        (HISTORIES / "PriorityVerificationWorkflow__v2.json").write_text(history.to_json())
