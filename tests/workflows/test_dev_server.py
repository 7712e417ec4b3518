"""On the Temporal dev server: an admin's retry resets a case to its last workflow task and it carries on."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from db.models import Case
from tests.conftest import Stack
from tests.helpers import case_status, complete, login, org_body, task_of

pytestmark = pytest.mark.workflow


class TestRetry:
    async def test_retry_restarts_from_the_last_workflow_task(self, dev_stack: Stack) -> None:
        r = await dev_stack.http.post("/api/register", json=org_body("enterprise"))
        case_id = r.json()["case_id"]
        admin, op = await login(dev_stack.http, "admin"), await login(dev_stack.http, "operator1")
        task = await task_of(dev_stack.http, op, "registration.review", case_id)
        r = await dev_stack.http.post(f"/api/admin/cases/{case_id}/retry", headers=admin, json={"reason": "重试"})
        assert r.status_code == 200, r.text
        # The reset run re-opens the same task row (idempotent) and still accepts the decision.
        assert (await complete(dev_stack.http, op, task)).status_code == 200
        await case_status(dev_stack.http, admin, case_id, {"approved"})
        with Session(dev_stack.engine) as s:
            case = s.get(Case, case_id)
        assert case is not None and any(e for e in [case.closed_at])

