"""The schedule that opens the year's assessment campaigns by itself (P5; issue 10; ProcessSpec.startup).

Real mode: a Temporal Schedule (id `assessment-campaigns`) fires at 09:05 Asia/Shanghai on days 1-10 of every month;
each firing runs `AssessmentScheduleWorkflow(once=True)`, which opens the year's campaigns of the set kinds when the
first working day of the set month (December by default) has come, and nothing otherwise or a second time.
Simulated clock (the time-skipping server has no Schedules): the same workflow, long-running (id
`assessment-schedule`), sleeps on a durable timer until that day and continues as new for the next year.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from workflows.assessment import SCHEDULE_ID, AssessmentScheduleWorkflow
from workflows.assessment_types import ScheduleInput

TEMPORAL_SCHEDULE_ID = "assessment-campaigns"


def temporal_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(AssessmentScheduleWorkflow.run, ScheduleInput(once=True),
                                           id="assessment-open", task_queue=task_queue,
                                           execution_timeout=timedelta(hours=1)),
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(day_of_month=[ScheduleRange(1, 10)], hour=[ScheduleRange(9)],
                                                          minute=[ScheduleRange(5)])],
                          time_zone_name="Asia/Shanghai"),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_schedule(client: Client, settings: Any) -> str:
    """Start whichever mechanism the clock supports; idempotent (a restart changes nothing). Returns its id."""
    if settings.simulated:
        try:
            await client.start_workflow(AssessmentScheduleWorkflow.run, ScheduleInput(), id=SCHEDULE_ID,
                                        task_queue=settings.task_queue)
        except WorkflowAlreadyStartedError:
            pass
        return SCHEDULE_ID
    try:
        await client.create_schedule(TEMPORAL_SCHEDULE_ID, temporal_schedule(settings.task_queue))
    except ScheduleAlreadyRunningError:
        pass
    return TEMPORAL_SCHEDULE_ID
