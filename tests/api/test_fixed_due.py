"""Tasks with a due date fixed by a rule (the certification's annual summary by 31 December, the city bureau's
report by the end of February) keep it when an admin enters a year's calendar; an extension counts its working
days from the fixed date. Also the migration that adds `task.due_fixed` (SQLite, and PostgreSQL under -m pg)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, delete

from activities.tasks import TaskActivities
from db.engine import alembic_config, make_engine
from db.models import CalendarYear, Case, Task
from rules.calendar import SHANGHAI
from tests.conftest import PG_URL, Stack, _fresh_pg
from tests.helpers import login
from workflows.types import OpenTaskInput, StepSpec
from workflows.yearly import summary_due, summary_opens

pytestmark = pytest.mark.pg

# Far enough ahead that no test's leap of the shared clock reaches it (2045 is computed by rule, unconfirmed).
YEAR = 2045


def local(value: Any) -> str:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when.astimezone(SHANGHAI).isoformat()


def open_pair(stack: Stack) -> tuple[str, str]:
    """A certification case with YEAR's annual summary (fixed due date) and a precheck (10 working days) open."""
    case_id = f"CT-{YEAR}-{uuid.uuid4().hex[:10]}"
    at = summary_opens(YEAR)
    with Session(stack.engine) as s:
        s.add(Case(id=case_id, type="certification", status="granted", title="示范平台认定申请：固定期限测试",
                   applicant="固定期限测试", city="yinchuan", data={}, created_at=at, updated_at=at))
        s.commit()
    acts = TaskActivities(stack.engine)
    common = {"role": "department", "decisions": ["submit"]}
    fixed = acts.open_task(OpenTaskInput(task_id=f"{case_id}.annual_summary_{YEAR}.1", case_id=case_id, at=at,
                                         spec=StepSpec(step=f"annual_summary_{YEAR}", type="certification.annual_summary",
                                                       title="年度工作总结", due_at=summary_due(YEAR), **common)))
    counted = acts.open_task(OpenTaskInput(task_id=f"{case_id}.precheck.1", case_id=case_id, at=at,
                                           spec=StepSpec(step="precheck", title="初审", type="certification.precheck",
                                                         **common)))
    return fixed.task_id, counted.task_id


def row(stack: Stack, task_id: str) -> Task:
    with Session(stack.engine) as s:
        task = s.get(Task, task_id)
        assert task is not None
        return task


class TestFixedDueDate:
    async def test_calendar_entry_keeps_a_fixed_due_date_and_extension_counts_from_it(self, stack: Stack) -> None:
        http = stack.http
        admin = await login(http, "admin")
        fixed_id, counted_id = open_pair(stack)
        fixed, counted = row(stack, fixed_id), row(stack, counted_id)
        assert fixed.due_fixed is True and counted.due_fixed is False
        assert local(fixed.due_at) == "2046-01-01T00:00:00+08:00"  # 24:00 on 31 December
        assert local(fixed.reminder_at) == "2045-12-28T09:00:00+08:00"  # one working day before Fri 29 Dec
        assert local(counted.due_at) == "2045-12-16T00:00:00+08:00"  # 10 working days from Fri 1 Dec
        # The admin enters YEAR's schedule: a week off in early December, Thu 28 December off as well.
        holidays = [f"{YEAR}-12-0{d}" for d in range(4, 9)] + [f"{YEAR}-12-28"]
        try:
            r = await http.put(f"/api/admin/calendar/{YEAR}", headers=admin,
                               json={"holidays": holidays, "makeup_workdays": []})
            assert r.status_code == 200, r.text
            fixed, counted = row(stack, fixed_id), row(stack, counted_id)
            assert local(fixed.due_at) == "2046-01-01T00:00:00+08:00"  # unchanged: fixed by the rule
            assert local(fixed.reminder_at) == "2045-12-27T09:00:00+08:00"  # the reminder follows the calendar
            assert fixed.due_working_days == 14 and fixed.due_confirmed is True and fixed.due_fixed is True
            assert local(counted.due_at) == "2045-12-23T00:00:00+08:00"  # re-counted: 10 working days
            # Extending the fixed task by 3 working days counts from 31 December: 2, 3, 4 January 2046.
            r = await http.post(f"/api/admin/tasks/{fixed_id}/extend", headers=admin,
                                json={"working_days": 3, "reason": "总结材料需补充审计数据"})
            assert r.status_code == 200, r.text
            assert local(r.json()["due_at"]) == "2046-01-05T00:00:00+08:00" and r.json()["due_fixed"] is True
            # The extended date is fixed in turn: entering the calendar again keeps it.
            r = await http.put(f"/api/admin/calendar/{YEAR}", headers=admin,
                               json={"holidays": holidays[:-1], "makeup_workdays": []})
            assert r.status_code == 200, r.text
            assert local(row(stack, fixed_id).due_at) == "2046-01-05T00:00:00+08:00"
            # A counted task is extended as before: 2 more working days (Mon 25, Tue 26 December).
            r = await http.post(f"/api/admin/tasks/{counted_id}/extend", headers=admin,
                                json={"working_days": 2, "reason": "专家临时出差"})
            assert r.status_code == 200, r.text
            assert local(r.json()["due_at"]) == "2045-12-27T00:00:00+08:00" and r.json()["due_working_days"] == 12
        finally:
            with Session(stack.engine) as s:
                s.exec(delete(CalendarYear).where(CalendarYear.year == YEAR))  # type: ignore[call-overload]
                for task_id in (fixed_id, counted_id):
                    task = s.get(Task, task_id)
                    if task is not None:
                        task.status = "cancelled"
                s.commit()


def _filler(column: sa.Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, sa.JSON):
        return []
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.DateTime):
        return datetime(2027, 12, 1, 1, 0, tzinfo=UTC)
    if isinstance(kind, sa.Integer):
        return 0
    return "x"


def _insert(conn: sa.Connection, table: sa.Table, **values: Any) -> None:
    row = {c.name: _filler(c) for c in table.columns
           if not c.nullable and c.server_default is None and c.autoincrement is not True}
    conn.execute(table.insert().values({**row, **values}))


class TestMigration:
    def test_due_fixed_is_added_and_open_annual_tasks_are_marked(self, tmp_path: Path) -> None:
        if PG_URL:
            url, drop = _fresh_pg(PG_URL)
        else:
            url, drop = f"sqlite:///{tmp_path / 'migrate.db'}", (lambda: None)
        try:
            cfg = alembic_config(url)
            command.upgrade(cfg, "0004")
            engine = make_engine(url)
            with engine.begin() as conn:
                meta = sa.MetaData()
                case, task = (sa.Table(n, meta, autoload_with=conn) for n in ("case", "task"))
                _insert(conn, case, id="CT-1", type="certification")
                for n, kind in enumerate(("certification.annual_summary", "certification.city_annual_report",
                                          "certification.precheck")):
                    _insert(conn, task, id=f"CT-1.t{n}", case_id="CT-1", type=kind)
            engine.dispose()
            command.upgrade(cfg, "head")
            engine = make_engine(url)
            with engine.connect() as conn:
                flags = dict(conn.execute(sa.text("SELECT type, due_fixed FROM task")).all())
            engine.dispose()
            assert {k: bool(v) for k, v in flags.items()} == {
                "certification.annual_summary": True, "certification.city_annual_report": True,
                "certification.precheck": False}
            command.downgrade(cfg, "0004")
            command.upgrade(cfg, "head")
        finally:
            drop()
