"""Replay of the window-onboarding workflow: the application run (ending in continue-as-new at the connection), a
connected year handed over to the next (continue-as-new with a carried overdue report), and a run ended by the
builder's withdrawal. Refresh with FLOW168_RECORD_HISTORIES=1 (then review the diff)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from temporalio.client import WorkflowHistory

from rules.calendar import SHANGHAI
from tests.api.test_window_onboarding import connected, settle
from tests.conftest import Stack, own_stack_fixture
from tests.helpers import case_status, leap, wait_for
from tests.replay.test_replay import HISTORIES, replayer

pytestmark = pytest.mark.workflow

stack = own_stack_fixture()


async def runs(stack: Stack, case_id: str) -> list[WorkflowHistory]:
    """Every run of a case's workflow, oldest first (following continue-as-new back to the start)."""
    out: list[WorkflowHistory] = []
    handle = stack.client.get_workflow_handle(case_id)
    while True:
        history = await handle.fetch_history()
        out.insert(0, history)
        prev = history.events[0].workflow_execution_started_event_attributes.continued_execution_run_id
        if not prev:
            return out
        handle = stack.client.get_workflow_handle(case_id, run_id=prev)


async def test_window_runs_replay_across_continue_as_new(stack: Stack) -> None:
    org, case_id = await connected(stack)

    await settle(stack, case_id)
    now = await stack.clock.now()
    year_end = datetime(now.astimezone(SHANGHAI).year + 1, 1, 1, tzinfo=SHANGHAI)
    await leap(stack, year_end - now + timedelta(hours=12))
    await stack.http.get("/healthz")

    async def handed_over() -> list[WorkflowHistory] | None:
        got = await runs(stack, case_id)
        return got if len(got) >= 3 else None  # application, first connected year, the next year (running)

    histories = await wait_for(handed_over, timeout=120, what="the hand-over to the next year")
    r = await stack.http.post(f"/api/windows/{case_id}/withdraw", headers=org, json={"reason": "单位业务调整"})
    assert r.status_code == 202, r.text
    await case_status(stack.http, org, case_id, {"disconnected"})
    assert await stack.client.get_workflow_handle(case_id).result() == "disconnected"
    last = (await runs(stack, case_id))[-1]
    for name, history in (("apply", histories[0]), ("first_year", histories[1]), ("withdrawn", last)):
        await replayer().replay_workflow(history)
        if os.environ.get("FLOW168_RECORD_HISTORIES"):
            # apply_v2: "window-one-notice-per-step" (issue 15) runs in the application; apply_v3:
            # "window-carry-early-proposals" (issue 12) at the connection; apply_v4 and the v2 files: local activities
            # (patch "local-activities", issue 12); the older files keep the runs before them
            path = HISTORIES / f"WindowOnboardingWorkflow__{name}_{'v4' if name == 'apply' else 'v2'}.json"
            if name == "apply" or not path.exists():
                path.write_text(history.to_json())
