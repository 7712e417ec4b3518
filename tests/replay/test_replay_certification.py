"""Replay of the certification workflow: the application run (which ends in continue-as-new at the grant) and a
yearly run taken across the hand-over. Refresh with FLOW168_RECORD_HISTORIES=1 (then review the diff)."""

from __future__ import annotations

import os

import pytest
from temporalio.client import WorkflowHistory

from tests.api.test_certification import granted
from tests.conftest import Stack
from tests.helpers import wait_for
from tests.replay.test_replay import HISTORIES, replayer
from tests.workflows.test_certification_life import run_cycle

pytestmark = pytest.mark.workflow


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


async def test_certification_runs_replay_across_continue_as_new(stack: Stack) -> None:
    org, case_id = await granted(stack)
    await run_cycle(stack, org, case_id, "excellent")

    async def handed_over() -> list[WorkflowHistory] | None:
        got = await runs(stack, case_id)
        return got if len(got) >= 3 else None  # the rating is in; the hand-over to year two may still be under way

    # application, first year (continued as new), second year (running)
    histories = await wait_for(handed_over, what="the hand-over to the second year")
    # apply_v2: the panel's result by rule and the decision form (patch "certification-panel-result"); apply_v3:
    # the year's lists (patch "certification-yearly-lists": the city summary, waiting as a listed candidate, the
    # year's notice and certification notice, 002 art. 10, 12, 13); apply_v4 and first_year_v2: local activities
    # (patch "local-activities", issue 12). The older files are kept and still replay.
    for name, history in (("apply_v4", histories[0]), ("first_year_v2", histories[1])):
        await replayer().replay_workflow(history)
        path = HISTORIES / f"CertificationWorkflow__{name}.json"
        if os.environ.get("FLOW168_RECORD_HISTORIES") and not path.exists():
            path.write_text(history.to_json())


async def test_revoked_title_replays(stack: Stack) -> None:
    """The patched stop ("certification-stop-reliably"): a revocation cancels the yearly cycle and the expiry watch
    and waits until both have ended. Recorded as CertificationWorkflow__revoked_v3."""
    from tests.helpers import case_status, login

    org, case_id = await granted(stack)
    dep = await login(stack.http, "department2")
    r = await stack.http.post(f"/api/cases/{case_id}/revoke", headers=dep, json={"reason": "虚报服务业绩"})
    assert r.status_code == 200, r.text
    done = await case_status(stack.http, org, case_id, {"revoked"})
    assert all(t["status"] != "open" for t in done["tasks"])
    history = (await runs(stack, case_id))[-1]
    await replayer().replay_workflow(history)
    path = HISTORIES / "CertificationWorkflow__revoked_v3.json"
    if os.environ.get("FLOW168_RECORD_HISTORIES") and not path.exists():
        path.write_text(history.to_json())
