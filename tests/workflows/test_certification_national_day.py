"""A certification's public notice across National Day 2027, driven end to end through the workflow under a
simulated clock: the admin enters 2027's schedule, the clock leaps to late September 2027, the 5 working days
skip the holiday and count the make-up Saturday, an objection on a holiday inside the period is accepted and one
after the close is refused.

The clock leaps ~10 months, so this module runs on its own time-skipping test server and database
(`own_stack_fixture`): on the session's server the leap would wake every other test's open cases.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from rules.calendar import SHANGHAI
from tests.api.test_certification import application, deadline, materials, walk_to_notice
from tests.conftest import Stack, own_stack_fixture
from tests.helpers import case_status, complete, login, register_approved, task_of

pytestmark = pytest.mark.workflow

stack = own_stack_fixture()

# TEST FIXTURE, not a claim about the State Council's official 2027 schedule (unpublished today, 2026-11-23; the
# chinese-calendar package knows only up to 2026). A plausible schedule as an admin would enter it: National Day
# Fri 1 - Thu 7 October off, with the make-up working days Sun 26 September and Sat 9 October.
SCHEDULE_2027: dict[str, list[str]] = {
    "holidays": [
        "2027-01-01", "2027-01-02", "2027-01-03",
        *(f"2027-02-{d:02d}" for d in range(6, 13)),
        "2027-04-03", "2027-04-04", "2027-04-05",
        *(f"2027-05-{d:02d}" for d in range(1, 6)),
        "2027-06-09", "2027-09-15",
        *(f"2027-10-{d:02d}" for d in range(1, 8)),
    ],
    "makeup_workdays": ["2027-02-14", "2027-02-20", "2027-05-08", "2027-09-26", "2027-10-09"],
}
OBJECTOR = {"name": "李四", "contact": "13900000000", "reason": "该平台上年服务企业数量存在重复统计"}


def at(day: str, hour: int = 10) -> str:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=SHANGHAI).replace(
        hour=hour).isoformat()


async def advance_to(stack: Stack, admin: dict[str, str], when: str) -> datetime:
    """Move the simulated clock as the admin does (every timer on the way fires)."""
    r = await stack.http.post("/api/admin/clock/advance", headers=admin, json={"until": when})
    assert r.status_code == 200, r.text
    return datetime.fromisoformat(r.json()["now"])


class TestNationalDay2027:
    async def test_notice_skips_national_day_counts_make_up_days_and_takes_objections_until_it_closes(
            self, stack: Stack) -> None:
        http = stack.http
        admin = await login(http, "admin")
        # The admin enters 2027's official schedule (the fixture above): the year becomes confirmed.
        r = await http.put("/api/admin/calendar/2027", headers=admin, json=SCHEDULE_2027)
        assert r.status_code == 200, r.text
        days = {d["date"]: d for d in (await http.get("/api/calendar/2027")).json()["days"]}
        assert days["2027-10-09"]["kind"] == "makeup" and days["2027-10-04"]["workday"] is False
        # Late September 2027: the department's decision is taken on Wed 29 September.
        now = await advance_to(stack, admin, at("2027-09-29", 9))
        assert now.astimezone(SHANGHAI).date() == date(2027, 9, 29)
        dep = await login(http, "department1")
        r = await http.post("/api/certification/calls", headers=dep,
                            json={"year": 2027, "deadline": "2027-12-31", "experts": 3})
        assert r.status_code == 201, r.text
        org, _ = await register_approved(http, "platform_org", city="yinchuan")
        r = await http.post("/api/cases", headers=org, json={"type": "certification", "data": {
            **application(), "materials": await materials(http, org)}})
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        case = await walk_to_notice(stack, case_id)
        assert (await stack.clock.now()).astimezone(SHANGHAI).date() == date(2027, 9, 29)

        # Thu 30 Sep (1), Oct 1-7 off, Fri 8 Oct (2), Sat 9 Oct make-up (3), Sun 10 off, Mon 11 (4), Tue 12 (5).
        notice = deadline(case, "public_notice")
        closes = datetime.fromisoformat(notice["closes_at"])
        assert closes.astimezone(SHANGHAI) == datetime(2027, 10, 13, 0, 0, tzinfo=SHANGHAI)  # 24:00 on 12 October
        assert notice["confirmed"] is True  # 2027 follows an entered schedule
        assert any(d["kind"] == "public_notice" for d in case["documents"])
        timeline = " ".join(e.get("message", "") for e in case["timeline"])
        assert "公示5个工作日：2027-09-30至2027-10-12" in timeline

        # Mon 4 October is a holiday inside the period: the objection is accepted and investigated.
        await advance_to(stack, admin, at("2027-10-04"))
        r = await http.post(f"/api/cases/{case_id}/objections", json=OBJECTOR)
        assert r.status_code == 201, r.text
        assert datetime.fromisoformat(r.json()["notice_closes_at"]) == closes
        task = await task_of(http, dep, "notice.objection_review", case_id)
        r = await complete(http, dep, task, "dismiss", comment="经核查，重复统计已剔除，仍满足条件")
        assert r.status_code == 200, r.text

        # Still open on the last day (Tue 12 October, 23:00); closed from 24:00.
        await advance_to(stack, admin, at("2027-10-12", 23))
        still = (await http.get(f"/api/cases/{case_id}", headers=dep)).json()
        assert still["status"] == "public_notice"
        await advance_to(stack, admin, at("2027-10-13", 9))
        done = await case_status(http, org, case_id, {"granted"})
        assert done["result"]["granted_on"].startswith("2027-10-13")
        r = await http.post(f"/api/cases/{case_id}/objections", json={**OBJECTOR, "name": "王五"})
        assert r.status_code == 409 and "closed" in r.json()["detail"], r.text
