"""The schedule that opens the year's assessment campaigns by itself (P5; issue 10; ProcessSpec.startup).

Real mode: a Temporal Schedule (id `assessment-campaigns`) fires at 09:05 Asia/Shanghai on days 1-10 of every month;
each firing runs `AssessmentScheduleWorkflow(once=True)`, which opens the year's campaigns of the set kinds when the
first working day of the set month (December by default) has come, and nothing otherwise or a second time.
Simulated clock (the time-skipping server has no Schedules): the same workflow, long-running (id
`assessment-schedule`, the process's singleton that the worker starts), sleeps on a durable timer until that day and
continues as new for the next year; in real mode that singleton stands down.
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

from workflows.assessment import AssessmentScheduleWorkflow
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


async def ensure_schedule(client: Client, settings: Any) -> str | None:
    """Real mode: create the Temporal Schedule unless it exists (a restart changes nothing); returns its id. Under the
    simulated clock nothing: the worker's singleton `assessment-schedule` runs on timers there."""
    if settings.simulated:
        return None
    try:
        await client.create_schedule(TEMPORAL_SCHEDULE_ID, temporal_schedule(settings.task_queue))
    except ScheduleAlreadyRunningError:
        pass
    return TEMPORAL_SCHEDULE_ID
