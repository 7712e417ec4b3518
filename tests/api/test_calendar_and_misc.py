"""Calendar endpoints (DOMAIN.md "Time rules"), entered schedules recomputing open deadlines, metrics."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, delete

from db.models import CalendarYear, Task
from tests.conftest import Stack
from tests.helpers import login, org_body, task_of

pytestmark = pytest.mark.pg


class TestCalendar:
    async def test_may_day_2026_deadline_counts_the_makeup_saturday(self, stack: Stack) -> None:
        r = await stack.http.get("/api/calendar/deadline", params={"from": "2026-04-30", "working_days": 5})
        assert r.json()["closes_at"] == "2026-05-11T16:00:00+00:00" and r.json()["confirmed"] is True

    async def test_national_day_2026(self, stack: Stack) -> None:
        # Published Wed 2026-09-30: Oct 1-7 off, Sat Oct 10 is a make-up working day.
        r = await stack.http.get("/api/calendar/deadline", params={"from": "2026-09-30", "working_days": 3})
        # Oct 8 (1), Oct 9 (2), Sat Oct 10 make-up (3): closes at 24:00 on Oct 10.
        assert r.json()["closes_at_local"].startswith("2026-10-11T00:00")
        days = {d["date"]: d for d in (await stack.http.get("/api/calendar/2026")).json()["days"]}
        assert days["2026-10-10"]["workday"] is True and days["2026-10-10"]["kind"] == "makeup"
        assert days["2026-10-05"]["workday"] is False

    async def test_new_year_2027_is_unconfirmed_until_entered(self, stack: Stack) -> None:
        r = await stack.http.get("/api/calendar/deadline", params={"from": "2026-12-30", "working_days": 5})
        assert r.json()["confirmed"] is False
        assert (await stack.http.get("/api/calendar/2027")).json()["confirmed"] is False

    async def test_bad_input_is_422_not_500(self, stack: Stack) -> None:
        for params in ({"from": "30/04/2026", "working_days": 5}, {"from": "2026-04-30", "working_days": 0},
                       {"working_days": 3}, {"from": "2026-04-30", "working_days": "many"}):
            assert (await stack.http.get("/api/calendar/deadline", params=params)).status_code == 422, params
        assert (await stack.http.get("/api/calendar/1900")).status_code == 404

    async def test_entering_a_schedule_confirms_the_year_and_retimes_open_tasks(self, stack: Stack) -> None:
        admin = await login(stack.http, "admin")
        r = await stack.http.post("/api/register", json=org_body("enterprise"))
        task = await task_of(stack.http, admin, "registration.review", r.json()["case_id"])
        year = datetime.fromisoformat(task["due_at"]).year
        bad = await stack.http.put(f"/api/admin/calendar/{year}", headers=admin,
                                   json={"holidays": [f"{year + 1}-01-01"], "makeup_workdays": []})
        assert bad.status_code == 422
        # Declare every remaining weekday of the task's period a holiday: the due time must move later.
        opened = datetime.fromisoformat(task["opened_at"])
        days = [(opened + timedelta(days=i)).date() for i in range(1, 20)]
        holidays = [d.isoformat() for d in days if d.year == year and d.weekday() < 5]
        try:
            r = await stack.http.put(f"/api/admin/calendar/{year}", headers=admin,
                                     json={"holidays": holidays, "makeup_workdays": []})
            assert r.status_code == 200 and r.json()["recomputed_tasks"] >= 1
            moved = (await stack.http.get(f"/api/tasks/{task['id']}", headers=admin)).json()
            assert moved["due_at"] > task["due_at"]
            assert (await stack.http.get(f"/api/calendar/{year}")).json()["confirmed"] is True
        finally:
            with Session(stack.engine) as s:
                s.exec(delete(CalendarYear).where(CalendarYear.year == year))  # type: ignore[call-overload]
                t = s.get(Task, task["id"])
                s.commit()
            assert t is not None


class TestOps:
    async def test_health_metrics_and_clock(self, stack: Stack) -> None:
        assert (await stack.http.get("/healthz")).json() == {"status": "ok"}
        assert (await stack.http.get("/metrics")).status_code == 401  # not public
        assert (await stack.http.get("/metrics", headers=await login(stack.http, "operator1"))).status_code == 403
        m = (await stack.http.get("/metrics", headers=await login(stack.http, "admin"))).text
        assert "flow168_open_tasks" in m and "flow168_overdue_tasks" in m
        stack.settings.metrics_token = "scrape-token-0123456789"
        try:
            r = await stack.http.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
            assert r.status_code == 200 and "flow168_cases" in r.text
            assert (await stack.http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        finally:
            stack.settings.metrics_token = None
        assert (await stack.http.get("/api/clock")).json()["simulated"] is True
