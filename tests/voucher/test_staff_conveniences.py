"""Staff conveniences (issue 15): case titles that tell two cases apart, search by name or credit code, reassign
from a list of eligible staff."""

from __future__ import annotations

import pytest

from api.services import admin as admin_service
from db.models import Task
from tests.conftest import Stack
from tests.helpers import login, task_of
from tests.voucher.factories import new_voucher

pytestmark = pytest.mark.workflow


async def test_titles_search_and_eligible_assignees(stack: Stack) -> None:
    from sqlmodel import Session

    v = await new_voucher(stack, "credit")
    first = await v.demand(budget_fen=540_000)
    assert "信用" in first["title"]  # the category's label
    assert "预算5,400元" in first["title"] and "年" in first["title"] and v.ent_body["org"]["name"] in first["title"]
    http = stack.http
    op = await login(http, "operator1")
    uscc = v.ent_body["org"]["uscc"]
    by_code = (await http.get("/api/cases", params={"q": uscc}, headers=op)).json()["items"]
    assert first["id"] in [c["id"] for c in by_code]  # with its registration case: every case of that enterprise
    assert {c["applicant"] for c in by_code} == {v.ent_body["org"]["name"]}
    by_name = (await http.get("/api/cases", params={"q": v.ent_body["org"]["name"]}, headers=op)).json()["items"]
    assert first["id"] in [c["id"] for c in by_name]
    page = await http.get("/cases", params={"q": uscc}, headers=op)
    assert page.status_code in (200, 303)
    task = await task_of(http, op, "voucher.demand_review", first["id"])
    with Session(stack.engine) as s:
        row = s.get(Task, task["id"])
        assert row is not None
        eligible = admin_service.eligible_assignees(s, row)
    names = [a["username"] for a in eligible]
    assert names and all(n.startswith("operator") for n in names)  # the task's role only, never an admin
    assert row.assignee not in names
