"""Issue 12: cases run their activities as local ones (patch "local-activities"), which leave a marker in the history
instead of a scheduled activity. The admin's engine history names them, and moving a case back still sees what ran
after the step (a document drafted as a local activity makes the move unsafe)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from api.services.operations import _reset_point, local_activity


def _payloads(value: Any) -> Payloads:
    return Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())])


def _marker(event_id: int, kind: str, failure: str = "") -> HistoryEvent:
    e = HistoryEvent(event_id=event_id, event_type=EventType.EVENT_TYPE_MARKER_RECORDED)
    m = e.marker_recorded_event_attributes
    m.marker_name = "core_local_activity"
    m.details["data"].CopyFrom(_payloads({"seq": 1, "attempt": 1, "activity_id": "1", "activity_type": kind}))
    if failure:
        m.failure.message = failure
    return e


def _open_task(event_id: int, step: str) -> HistoryEvent:
    e = HistoryEvent(event_id=event_id, event_type=EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    a = e.activity_task_scheduled_event_attributes
    a.activity_type.name = "open_task"
    a.input.CopyFrom(_payloads({"spec": {"type": step}}))
    a.workflow_task_completed_event_id = event_id - 1
    return e


def test_a_local_activity_marker_gives_its_type_and_failure() -> None:
    assert local_activity(_marker(5, "close_task")) == ("close_task", "")
    assert local_activity(_marker(5, "draft_document", "disk full")) == ("draft_document", "disk full")
    other = HistoryEvent(event_id=6, event_type=EventType.EVENT_TYPE_MARKER_RECORDED)
    other.marker_recorded_event_attributes.marker_name = "core_patch"
    assert local_activity(other) is None
    assert local_activity(_open_task(7, "x")) is None


class _Handle:
    def __init__(self, events: list[HistoryEvent]) -> None:
        self.events = events

    async def fetch_history_events(self) -> Any:
        for e in self.events:
            yield e

    async def describe(self) -> Any:
        return SimpleNamespace(run_id="run-1")


async def test_moving_back_sees_the_local_activities_after_the_step() -> None:
    events = [_open_task(5, "provider_admission.operator_review"), _marker(8, "close_task"),
              _marker(9, "draft_document"), _open_task(11, "provider_admission.expert_review")]
    client = SimpleNamespace(get_workflow_handle=lambda _id: _Handle(events))
    wft, run_id, later = await _reset_point(client, "C-1", "provider_admission.operator_review")  # type: ignore[arg-type]
    assert (wft, run_id) == (4, "run-1")
    assert later == ["close_task", "draft_document", "open_task"]
