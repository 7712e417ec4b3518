"""The yearly signing sweep (000 四 "平台每年经过评审，择优确定"; 001 三(三)10) on fake activities: it sweeps on the 1st,
starts the round's re-review cases as admission workflows (which then open the operator's review), and continues as
new for the next month, sleeping on a timer (so it fires under the simulated clock too)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from temporalio.client import WorkflowHistory

from rules.calendar import SHANGHAI
from tests.replay.test_replay import HISTORIES, replayer
from tests.workflows.harness import FakeActivities, Harness
from workflows.provider_admission_types import (
    PREPARE_PROVIDER_PANEL,
    PROVIDER_SIGNING_SWEEP,
    Panel,
    PanelInput,
    SweepAt,
    SweepInput,
    Swept,
)
from workflows.provider_signing import ProviderSigningWorkflow, first_sweep_input, sweep_at
from workflows.types import CaseInput

pytestmark = pytest.mark.workflow
RENEWAL = f"PA-R-FAST{os.getpid()}"
STARTED: dict[str, int] = {}  # the month the test starts the sweep in (the test server's clock, not the real one)


@pytest.fixture
def fakes() -> FakeActivities:
    f = FakeActivities()
    f.add(PREPARE_PROVIDER_PANEL, PanelInput, Panel(experts=["expert1", "expert2", "expert3"]))
    f.add(PROVIDER_SIGNING_SWEEP, SweepAt, lambda i: Swept(ended=[3], renewals=[CaseInput(
        case_id=RENEWAL, case_type="provider_admission", applicant_username="prov_r", applicant_org_id=7)]
        if i.month == STARTED.get("month") else []))
    return f


def test_the_first_sweep_is_on_the_first_of_next_month() -> None:
    first = first_sweep_input(datetime(2026, 12, 15, tzinfo=UTC))
    assert (first.year, first.month) == (2027, 1)
    assert sweep_at(first) == datetime(2027, 1, 1, tzinfo=SHANGHAI)


async def test_the_sweep_starts_the_rounds_re_reviews_and_sleeps_until_next_month(harness: Harness) -> None:
    """000 四 每年经过评审: a re-review case the sweep opened runs the admission workflow (the operator's review
    first); the sweep then waits for the 1st of the next month."""
    wid = f"provider-signing-fast-{os.getpid()}"
    # The server's clock (earlier tests on the shared test server may have skipped it ahead of the real one).
    now = (await harness.env.get_current_time()).astimezone(SHANGHAI)
    STARTED["month"] = now.month
    handle = await harness.start(ProviderSigningWorkflow.run, SweepInput(year=now.year, month=now.month), id=wid)
    harness.track(RENEWAL)
    review = await harness.fakes.task("provider_admission.operator_review", RENEWAL)
    assert review.spec.role == "operator"
    sweeps = harness.fakes.inputs(PROVIDER_SIGNING_SWEEP)
    assert [(i.year, i.month) for i in sweeps] == [(now.year, now.month)]
    await harness.idle(wid)
    # The first run continued as new for the next month; the new run sleeps on its timer.
    first_run = harness.env.client.get_workflow_handle(wid, run_id=handle.result_run_id)
    history: WorkflowHistory = await first_run.fetch_history()
    await replayer().replay_workflow(history)
    path = HISTORIES / "ProviderSigningWorkflow__v1.json"
    if os.environ.get("FLOW168_RECORD_HISTORIES") and not path.exists():
        path.write_text(history.to_json())
