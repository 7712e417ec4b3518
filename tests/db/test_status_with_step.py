"""Issue 12, patch "status-with-step": a step that opens with a new case status writes it in open_task's transaction —
the case row and its timeline as `set_case_status` writes them, once, also when the activity is retried."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from activities.cases import CaseActivities
from activities.tasks import TaskActivities
from db.models import Case, Task, TimelineEvent
from workflows.types import CaseStatusInput, OpenTaskInput, StepSpec

pytestmark = pytest.mark.pg

AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def new_case(engine: Engine) -> str:
    case_id = f"VC-2026-{uuid.uuid4().hex[:10]}"
    with Session(engine) as s:
        s.add(Case(id=case_id, type="voucher", status="in_review", title="服务券：状态随步骤", applicant="状态随步骤测试",
                   data={}, created_at=AT, updated_at=AT))
        s.commit()
    return case_id


def opening(case_id: str, status: CaseStatusInput | None) -> OpenTaskInput:
    return OpenTaskInput(task_id=f"{case_id}.apply.1", case_id=case_id, at=AT, status=status,
                         spec=StepSpec(step="apply", type="voucher.apply", title="申领服务券", role="operator",
                                       decisions=["submit"]))


def events(engine: Engine, case_id: str) -> list[tuple[str, str]]:
    with Session(engine) as s:
        rows = s.exec(select(TimelineEvent).where(TimelineEvent.case_id == case_id).order_by(TimelineEvent.id)).all()
        return [(r.action, r.message) for r in rows]


def test_open_task_writes_the_status_it_opens_with_once(engine: Engine) -> None:
    case_id = new_case(engine)
    status = CaseStatusInput(case_id=case_id, status="applying", message="定标完成，请企业提交服务券申领材料", at=AT)
    acts = TaskActivities(engine)
    acts.open_task(opening(case_id, status))
    acts.open_task(opening(case_id, status))  # a retry after the commit
    with Session(engine) as s:
        case = s.get(Case, case_id)
        task = s.get(Task, f"{case_id}.apply.1")
        assert case is not None and task is not None
        assert case.status == "applying" and task.status == "open"
    assert events(engine, case_id) == [("status", "定标完成，请企业提交服务券申领材料"),
                                       ("task_opened", "待办「申领服务券」已生成")]


def test_the_same_as_set_case_status_before_the_step(engine: Engine) -> None:
    """What a run started before the patch writes with set_case_status, then open_task without a status."""
    before, after = new_case(engine), new_case(engine)
    CaseActivities(engine).set_case_status(CaseStatusInput(case_id=before, status="applying", message="请申领", at=AT))
    TaskActivities(engine).open_task(opening(before, None))
    TaskActivities(engine).open_task(opening(after, CaseStatusInput(case_id=after, status="applying", message="请申领",
                                                                    at=AT)))
    assert events(engine, before) == events(engine, after)
    with Session(engine) as s:
        assert [s.get(Case, c).status for c in (before, after)] == ["applying", "applying"]  # type: ignore[union-attr]
