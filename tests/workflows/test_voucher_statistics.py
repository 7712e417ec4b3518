"""The monthly voucher statistics fire on the first working day of each month under the simulated clock
(003 art. 10), and their history replays (recorded with FLOW168_RECORD_HISTORIES=1)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.conftest import Stack, own_stack_fixture
from tests.helpers import leap, login, wait_for
from tests.replay.test_replay import HISTORIES, replayer
from tests.voucher.factories import new_voucher
from workflows.voucher_statistics import STATISTICS_ID

# Leaps months (expiry, year end, the monthly report): its own time-skipping server and database.
stack = own_stack_fixture()

pytestmark = [pytest.mark.workflow, pytest.mark.pg]


async def test_monthly_report_is_drafted_and_sent_to_the_department(stack: Stack) -> None:
    v = await new_voucher(stack)
    await v.demand()  # every voucher case makes sure the statistics workflow runs
    http = stack.http
    dep = await login(http, "department1")
    before = (await http.get("/api/voucher/statistics", headers=dep)).json()["total"]
    await leap(stack, timedelta(days=35))

    async def drafted() -> list | None:
        items = (await http.get("/api/voucher/statistics", headers=dep)).json()["items"]
        return items if len(items) > before else None

    items = await wait_for(drafted, what="a monthly statistics report")
    assert "发放和结算情况的报告" in items[0]["title"] and items[0]["doc_number"]
    r = await http.get(items[0]["url"], headers=dep)
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert (await http.get(items[0]["url"], headers=v.ent)).status_code == 403
    notes = (await http.get("/api/notifications", headers=dep, params={"limit": 200})).json()["items"]
    assert any("服务券发放和结算情况报告" in n["subject"] for n in notes)

    latest = await stack.client.get_workflow_handle(STATISTICS_ID).fetch_history()
    prev = latest.events[0].workflow_execution_started_event_attributes.continued_execution_run_id
    assert prev, "the workflow continues as new each month"
    history = await stack.client.get_workflow_handle(STATISTICS_ID, run_id=prev).fetch_history()
    await replayer().replay_workflow(history)
    if os.environ.get("FLOW168_RECORD_HISTORIES"):
        (HISTORIES / "VoucherStatisticsWorkflow__v1.json").write_text(history.to_json())
