"""Where a case's time went, from its Temporal history: workflow tasks, activities and Updates."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bench.common import pct


def _ms(ts: Any) -> float:
    return ts.seconds * 1000 + ts.nanos / 1e6


async def history_breakdown(address: str, case_ids: list[str]) -> dict[str, Any]:
    """From the cases' Temporal histories: per activity type the wait for a worker (scheduled -> started) and the
    run time (started -> completed); workflow tasks likewise; Updates from accepted to completed. Medians, ms."""
    from temporalio.api.enums.v1 import EventType as E
    from temporalio.client import Client

    client = await Client.connect(address)
    queue: dict[str, list[float]] = defaultdict(list)
    run: dict[str, list[float]] = defaultdict(list)
    per_case: dict[str, list[float]] = defaultdict(list)
    for cid in case_ids:
        hist = await client.get_workflow_handle(cid).fetch_history()
        scheduled: dict[int, tuple[str, float]] = {}
        started: dict[int, float] = {}
        accepted: dict[int, float] = {}
        sums: dict[str, float] = defaultdict(float)
        first = last = None
        for e in hist.events:
            t = _ms(e.event_time)
            first = t if first is None else first
            last = t
            if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled[e.event_id] = (e.activity_task_scheduled_event_attributes.activity_type.name, t)
            elif e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                started[e.activity_task_started_event_attributes.scheduled_event_id] = t
            elif e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                sid = e.activity_task_completed_event_attributes.scheduled_event_id
                name, ts = scheduled[sid]
                queue[name].append(started[sid] - ts)
                run[name].append(t - started[sid])
                sums["activity: wait for a worker"] += started[sid] - ts
                sums["activity: run"] += t - started[sid]
            elif e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                scheduled[e.event_id] = ("workflow task", t)
            elif e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                started[e.workflow_task_started_event_attributes.scheduled_event_id] = t
            elif e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                sid = e.workflow_task_completed_event_attributes.scheduled_event_id
                _, ts = scheduled[sid]
                queue["workflow task"].append(started[sid] - ts)
                run["workflow task"].append(t - started[sid])
                sums["workflow task: wait for a worker"] += started[sid] - ts
                sums["workflow task: run"] += t - started[sid]
            elif e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                accepted[e.event_id] = t
            elif e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
                aid = e.workflow_execution_update_completed_event_attributes.accepted_event_id
                run["update (accepted -> completed)"].append(t - accepted[aid])
        if first is not None and last is not None:
            sums["workflow: first to last event"] = last - first
        for k, v in sums.items():
            per_case[k].append(v)
    return {
        "cases": len(case_ids),
        "queue_p50_ms": {k: pct(v, 50) for k, v in queue.items()},
        "run_p50_ms": {k: pct(v, 50) for k, v in run.items()},
        "count": {k: len(v) / len(case_ids) for k, v in run.items()},
        "per_case_p50_ms": {k: pct(v, 50) for k, v in per_case.items()},
    }
