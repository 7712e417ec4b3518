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


async def update_breakdown(client: Any, case_id: str, update_id: str) -> dict[str, float]:
    """Where one Update's time went, from its case's history (ms): the workflow task that accepted it (its wait for a
    worker and its run, from the task scheduled before the acceptance), then from acceptance to completion: the
    activities' waits for a worker and runs, the workflow tasks' waits and runs, and the whole."""
    from temporalio.api.enums.v1 import EventType as E

    out: dict[str, float] = defaultdict(float)
    wft_scheduled: dict[int, float] = {}
    wft_started: dict[int, float] = {}
    act_scheduled: dict[int, float] = {}
    act_started: dict[int, float] = {}
    last_wft: tuple[float, float] | None = None  # (scheduled, started) of the latest workflow task
    accepted_at: float | None = None
    async for e in client.get_workflow_handle(case_id).fetch_history_events():
        t = _ms(e.event_time)
        if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            wft_scheduled[e.event_id] = t
        elif e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            sid = e.workflow_task_started_event_attributes.scheduled_event_id
            wft_started[sid] = t
            last_wft = (wft_scheduled[sid], t)
            if accepted_at is not None:
                out["after: workflow task wait"] += t - wft_scheduled[sid]
        elif e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and accepted_at is not None:
            sid = e.workflow_task_completed_event_attributes.scheduled_event_id
            out["after: workflow task run"] += t - wft_started[sid]
        elif e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            attrs = e.workflow_execution_update_accepted_event_attributes
            if attrs.accepted_request.meta.update_id == update_id and last_wft is not None:
                accepted_at = t
                out["accepting task: wait for a worker"] = last_wft[1] - last_wft[0]
                out["accepting task: run"] = t - last_wft[1]
        elif e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            act_scheduled[e.event_id] = t
        elif e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            act_started[e.activity_task_started_event_attributes.scheduled_event_id] = t
        elif e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED and accepted_at is not None:
            sid = e.activity_task_completed_event_attributes.scheduled_event_id
            if act_scheduled.get(sid, 0) >= accepted_at:
                out["after: activity wait"] += act_started[sid] - act_scheduled[sid]
                out["after: activity run"] += t - act_started[sid]
        elif e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED and accepted_at is not None:
            out["accepted -> completed"] = t - accepted_at
            break
    return dict(out)


async def shape_of(client: Any, workflow_id: str, run_id: str | None = None) -> dict[str, int]:
    """What one run of a workflow did, from its history: activities (regular ones and local ones, the latter seen as
    markers), of which local, Updates, timers and events."""
    from api.services.operations import local_activity

    c: dict[str, int] = defaultdict(int)
    async for e in client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history_events():
        c[e.WhichOneof("attributes") or "?"] += 1
        c["events"] += 1
        if local_activity(e) is not None:
            c["local"] += 1
    return {"activities": c["activity_task_scheduled_event_attributes"] + c["local"], "local_activities": c["local"],
            "updates": c["workflow_execution_update_accepted_event_attributes"],
            "timers": c["timer_started_event_attributes"], "events": c["events"]}
