"""The schedule opens the year's window and partner campaigns by itself on the first working day of December, under
the simulated clock; firing again (a retry, a restart, the Temporal Schedule's next day) opens nothing twice."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, time, timedelta

import pytest
from temporalio.client import WorkflowHistory

from activities.assessment import AssessmentActivities, opening_day
from api.assessment_schedule import ensure_schedule, temporal_schedule
from db import assessment as repo
from db.engine import session_scope
from rules.calendar import SHANGHAI
from tests.conftest import Stack, own_stack_fixture
from tests.helpers import leap, login, wait_for
from tests.replay.test_replay import HISTORIES, replayer
from worker import start_singletons
from workflows.assessment import SCHEDULE_ID, AssessmentScheduleWorkflow
from workflows.assessment_types import OpenScheduledInput, ScheduleInput

# Leaps to December: its own time-skipping server and database.
stack = own_stack_fixture()

pytestmark = pytest.mark.workflow


async def test_campaigns_open_by_themselves_once(stack: Stack) -> None:
    http = stack.http
    now = await stack.clock.now()
    year = now.astimezone(SHANGHAI).year
    with session_scope(stack.engine) as s:
        opens = datetime.combine(opening_day(s, year=year, month=12), time(9), tzinfo=SHANGHAI)
        if now >= opens:  # started after this year's day (the singleton leaves it to the hub): next year's
            year += 1
            opens = datetime.combine(opening_day(s, year=year, month=12), time(9), tzinfo=SHANGHAI)
        signed = len(repo.current_subjects(s, "partner"))
    assert opens.month == 12 and opens.weekday() < 5
    # the worker started the singleton with the stack; under the simulated clock no Temporal Schedule is made
    assert (await stack.client.get_workflow_handle(SCHEDULE_ID).describe()).status.name == "RUNNING"  # type: ignore[union-attr]
    assert await ensure_schedule(stack.client, stack.settings) is None
    await start_singletons(stack.client, task_queue=stack.settings.task_queue, now=now)  # a restart starts nothing new
    op = await login(http, "operator1")
    before = (await http.get("/api/assessment/campaigns", headers=op, params={"year": year})).json()["items"]
    assert before == []
    await leap(stack, opens - now + timedelta(minutes=5))

    async def opened() -> list | None:
        items = (await http.get("/api/assessment/campaigns", headers=op, params={"year": year})).json()["items"]
        return items if {i["kind"] for i in items} == {"window", "partner"} else None

    items = await wait_for(opened, what="the December campaigns")
    assert all(i["opened_by"] == "schedule" for i in items)
    (partners,) = [i for i in items if i["kind"] == "partner"]
    assert partners["cases"]["total"] == signed > 0  # every signed provider (the 86 of 2019 at least)

    async def started() -> bool:
        with session_scope(stack.engine) as s:
            camp = repo.campaign_of(s, year, "partner")
            return camp is not None and all(c.status != "submitted" for c in repo.campaign_cases(s, camp.id or 0))

    await wait_for(started, what="every subject's case to start", timeout=300)
    # The schedule fires again (the Temporal Schedule's action, a retry): nothing is opened twice.
    again = await stack.client.execute_workflow(AssessmentScheduleWorkflow.run, ScheduleInput(year=year, once=True),
                                                id=f"assessment-open-{uuid.uuid4().hex[:6]}",
                                                task_queue=stack.settings.task_queue)
    assert again == []
    acts = AssessmentActivities(engine=stack.engine)
    for _ in range(2):
        out = acts.open_scheduled(OpenScheduledInput(year=year, kinds=["window", "partner"], at=await stack.clock.now()))
        assert out.opened == [] and out.cases == []
    items = (await http.get("/api/assessment/campaigns", headers=op, params={"year": year})).json()["items"]
    assert len(items) == 2 and next(i for i in items if i["kind"] == "partner")["cases"]["total"] == signed
    r = await http.post("/api/assessment/campaigns", headers=op, json={"year": year, "kind": "partner"})
    assert r.status_code == 409
    # the schedule goes on to next year; its first run replays
    desc = await stack.client.get_workflow_handle(SCHEDULE_ID).describe()
    assert desc.status is not None and desc.status.name == "RUNNING"
    history = await first_run(stack)
    await replayer().replay_workflow(history)
    if os.environ.get("FLOW168_RECORD_HISTORIES"):
        (HISTORIES / "AssessmentScheduleWorkflow__v1.json").write_text(history.to_json())


async def first_run(stack: Stack) -> WorkflowHistory:
    handle = stack.client.get_workflow_handle(SCHEDULE_ID)
    history = await handle.fetch_history()
    while True:
        prev = history.events[0].workflow_execution_started_event_attributes.continued_execution_run_id
        if not prev:
            return history
        history = await stack.client.get_workflow_handle(SCHEDULE_ID, run_id=prev).fetch_history()


def test_the_temporal_schedule_fires_daily_early_each_month() -> None:
    """Real mode: days 1-10 at 09:05 Shanghai, overlap skipped; its action is one firing (`once`)."""
    sched = temporal_schedule("flow168")
    (cal,) = sched.spec.calendars
    assert [(r.start, r.end) for r in cal.day_of_month] == [(1, 10)] and sched.spec.time_zone_name == "Asia/Shanghai"
    assert sched.action.args[0] == ScheduleInput(once=True)  # type: ignore[attr-defined]
