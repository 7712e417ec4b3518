"""Real mode, on the Temporal dev server: the assessment schedule is a Temporal Schedule; each firing opens the year's
campaigns once the set month's first working day has come, and a second firing opens nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.assessment_schedule import TEMPORAL_SCHEDULE_ID, ensure_schedule
from db import assessment as repo
from db.engine import session_scope
from rules.calendar import SHANGHAI
from tests.conftest import Stack
from tests.helpers import wait_for

pytestmark = pytest.mark.workflow


async def test_the_temporal_schedule_opens_once(dev_stack: Stack) -> None:
    now = datetime.now(UTC).astimezone(SHANGHAI)
    year, month = now.year, now.month  # this month's first working day has come (or is today: see below)
    with session_scope(dev_stack.engine) as s:
        before = repo.settings(s)
        saved = (list(before.schedule_kinds), before.schedule_month, before.rectification_working_days)
        repo.save_settings(s, schedule_kinds=["operating_unit"], schedule_month=month, rectification_working_days=30,
                           by="test", at=now)
        existing = repo.campaign_of(s, year, "operating_unit")
    try:
        real = dev_stack.settings.model_copy(update={"clock": "real"})
        assert await ensure_schedule(dev_stack.client, real) == TEMPORAL_SCHEDULE_ID
        assert await ensure_schedule(dev_stack.client, real) == TEMPORAL_SCHEDULE_ID  # a restart: no second schedule
        handle = dev_stack.client.get_schedule_handle(TEMPORAL_SCHEDULE_ID)
        with session_scope(dev_stack.engine) as s:
            from activities.assessment import opening_day

            due = opening_day(s, year=year, month=month) <= now.date()
        for n in (1, 2):  # fires twice (a retry, the next day's firing): the second after the first has finished

            async def fired(n: int = n) -> bool:
                desc = await handle.describe()
                if len(desc.info.recent_actions) < n:
                    return False
                last = desc.info.recent_actions[-1].action
                info = await dev_stack.client.get_workflow_handle(last.workflow_id).describe()  # type: ignore[union-attr]
                return info.status is not None and info.status.name == "COMPLETED"

            await handle.trigger()
            await wait_for(fired, what=f"firing {n} of the schedule")
        with session_scope(dev_stack.engine) as s:
            camp = repo.campaign_of(s, year, "operating_unit")
            opened = len([c for c in repo.campaigns(s, year) if c.kind == "operating_unit"])
        if existing is None and due:
            assert camp is not None and camp.opened_by == "schedule"
        assert opened <= 1  # never twice
        await handle.delete()
    finally:
        with session_scope(dev_stack.engine) as s:
            repo.save_settings(s, schedule_kinds=saved[0], schedule_month=saved[1], rectification_working_days=saved[2],
                               by="test", at=now)
