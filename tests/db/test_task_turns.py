"""Issue 12, fourteenth round: `open_task` and `close_task` take their turn at the write lock with Core statements.

open_task inserts its row with one INSERT … ON CONFLICT DO NOTHING (a retry writes nothing twice); close_task reads
the task before the lock and closes it with one UPDATE on the condition that it is still as read, and a task claimed or
released in between is closed the careful way, with what it was just before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import literal, select
from sqlmodel import Session
from sqlmodel import select as sql_select
from temporalio.exceptions import ApplicationError

from activities import tasks as task_activities
from activities.tasks import TaskActivities
from db.engine import make_engine, migrate
from db.models import Case, Task, TimelineEvent
from tests.conftest import PG_URL, _fresh_pg
from workflows.types import CloseTaskInput, OpenTaskInput, StepSpec

AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
LATER = AT + timedelta(hours=3)
CASE = "VC-2026-turns"


pytestmark = pytest.mark.pg


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    """SQLite, or a fresh PostgreSQL database with FLOW168_TEST_DATABASE_URL (its own ON CONFLICT and IS NOT DISTINCT
    FROM)."""
    url, drop = _fresh_pg(PG_URL) if PG_URL else (f"sqlite:///{tmp_path / 't.db'}", lambda: None)
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as s:
        s.add(Case(id=CASE, type="voucher", status="applying", title="服务券：锁内语句", applicant="锁内", data={},
                   created_at=AT, updated_at=AT))
        s.commit()
    yield engine
    engine.dispose()
    drop()


def opening(step: str = "first_review", **spec: Any) -> OpenTaskInput:
    return OpenTaskInput(task_id=f"{CASE}.{step}.1", case_id=CASE, at=AT,
                         spec=StepSpec(step=step, type=f"voucher.{step}", title="初审", role="operator",
                                       decisions=["approve", "reject"], prefill={"note": "预填"}, **spec))


def events(engine: Any, action: str) -> list[TimelineEvent]:
    with Session(engine) as s:
        return list(s.exec(sql_select(TimelineEvent).where(TimelineEvent.action == action)).all())


def test_open_task_inserts_the_row_once_with_everything_the_step_gives(engine: Any) -> None:
    acts = TaskActivities(engine)
    opened = acts.open_task(opening())
    again = acts.open_task(opening())  # a retry after the commit
    assert opened == again and opened.due_at > AT and opened.reminder_at is not None
    with Session(engine) as s:
        task = s.get(Task, f"{CASE}.first_review.1")
        case = s.get(Case, CASE)
    assert task is not None and case is not None
    assert (task.type, task.title, task.summary, task.role, task.status) == \
        ("voucher.first_review", "初审", "服务券：锁内语句", "operator", "open")
    assert task.decisions == ["approve", "reject"] and task.data == {"note": "预填"} and task.excluded_users == []
    assert task.opened_at == AT and task.due_at == opened.due_at and task.due_fixed is False
    assert case.updated_at == AT
    assert len(events(engine, "task_opened")) == 1


def test_open_task_for_a_named_assignee_opens_it_claimed(engine: Any) -> None:
    TaskActivities(engine).open_task(opening(step="expert_review", assignee="expert1"))
    with Session(engine) as s:
        task = s.get(Task, f"{CASE}.expert_review.1")
    assert task is not None and (task.status, task.assignee) == ("claimed", "expert1")


def test_open_task_of_a_case_that_does_not_exist_is_refused(engine: Any) -> None:
    inp = opening().model_copy(update={"case_id": "VC-2026-none", "task_id": "VC-2026-none.first_review.1"})
    with pytest.raises(ApplicationError) as err:
        TaskActivities(engine).open_task(inp)
    assert err.value.type == "RuleViolation"


def closing(**kw: Any) -> CloseTaskInput:
    return CloseTaskInput(**{"task_id": f"{CASE}.first_review.1", "case_id": CASE, "decision": "approve",
                             "actor": "operator1", "comment": "同意", "data": {"opinion": "材料齐全"}, "at": LATER, **kw})


def test_close_task_closes_once_and_records_what_the_task_was(engine: Any) -> None:
    acts = TaskActivities(engine)
    acts.open_task(opening())
    acts.close_task(closing())
    acts.close_task(closing(actor="someone_else"))  # a retry, or a late duplicate: nothing changes
    with Session(engine) as s:
        task = s.get(Task, f"{CASE}.first_review.1")
        case = s.get(Case, CASE)
    assert task is not None and case is not None
    assert (task.status, task.decision, task.comment, task.data) == ("completed", "approve", "同意", {"opinion": "材料齐全"})
    assert (task.completed_at, task.completed_by, task.assignee) == (LATER, "operator1", "operator1")
    assert case.updated_at == LATER
    done = events(engine, "task_completed")
    assert len(done) == 1
    assert done[0].before == {"status": "open", "assignee": None} and done[0].message == "「初审」：同意 同意"
    assert done[0].after == {"status": "completed", "decision": "approve", "data": {"opinion": "材料齐全"}}


def test_a_task_claimed_after_it_was_read_is_closed_with_what_it_was_at_the_lock(
        engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    acts = TaskActivities(engine)
    acts.open_task(opening())
    with Session(engine) as s:  # claimed by operator2 …
        task = s.get(Task, f"{CASE}.first_review.1")
        assert task is not None
        task.status, task.assignee = "claimed", "operator2"
        s.commit()
    # … after close_task read it as still open (the read before the lock, as it would have seen it a moment earlier)
    monkeypatch.setattr(task_activities, "_TASK_BEFORE", select(literal("open").label("status"),
                                                                literal(None).label("assignee"),
                                                                literal("初审").label("title")))
    acts.close_task(closing())
    with Session(engine) as s:
        task = s.get(Task, f"{CASE}.first_review.1")
    assert task is not None and (task.status, task.assignee, task.completed_by) == ("completed", "operator2", "operator1")
    done = events(engine, "task_completed")
    assert len(done) == 1 and done[0].before == {"status": "claimed", "assignee": "operator2"}


def test_closing_a_task_that_is_not_there_does_nothing(engine: Any) -> None:
    TaskActivities(engine).close_task(closing(task_id=f"{CASE}.nothing.1"))
    assert events(engine, "task_completed") == []
