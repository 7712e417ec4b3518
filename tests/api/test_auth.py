"""Login, registration and its validation (seed 000 五.1; issue: account review)."""

from __future__ import annotations

import pytest

from tests.conftest import Stack
from tests.helpers import PASSWORD, active_login, complete, login, new_uscc, org_body, task_of, wait_for

pytestmark = pytest.mark.pg


class TestLogin:
    async def test_wrong_password_is_401(self, stack: Stack) -> None:
        r = await stack.http.post("/api/auth/token", json={"username": "operator2", "password": "nope"})
        assert r.status_code == 401 and "wrong username or password" in r.json()["detail"]

    async def test_me_shows_role_and_scope(self, stack: Stack) -> None:
        h = await login(stack.http, "city_wuzhong")
        me = (await stack.http.get("/api/me", headers=h)).json()
        assert me["role"] == "city_bureau" and me["city"] == "wuzhong"

    async def test_no_token_is_401_and_bad_token_is_401(self, stack: Stack) -> None:
        assert (await stack.http.get("/api/me")).status_code == 401
        r = await stack.http.get("/api/me", headers={"Authorization": "Bearer forged"})
        assert r.status_code == 401

    async def test_repeated_failures_are_throttled(self, stack: Stack) -> None:
        body = org_body("enterprise")
        assert (await stack.http.post("/api/register", json=body)).status_code == 201
        for _ in range(5):
            r = await stack.http.post("/api/auth/token", json={"username": body["username"], "password": "bad-guess"})
            assert r.status_code == 401
        r = await stack.http.post("/api/auth/token", json={"username": body["username"], "password": PASSWORD})
        assert r.status_code == 429


class TestRegistration:
    async def test_pending_account_cannot_log_in_until_approved(self, stack: Stack) -> None:
        body = org_body("enterprise", city="zhongwei", size="micro", employees=6, revenue_fen=30_000_000,
                        industry="retail")
        r = await stack.http.post("/api/register", json=body)
        assert r.status_code == 201, r.text
        r2 = await stack.http.post("/api/auth/token", json={"username": body["username"], "password": PASSWORD})
        assert r2.status_code == 403 and "review" in r2.json()["detail"]
        op = await login(stack.http, "operator1")
        task = await task_of(stack.http, op, "registration.review", r.json()["case_id"])
        assert body["org"]["name"] in task["summary"]
        assert (await complete(stack.http, op, task)).status_code == 200
        await active_login(stack.http, body["username"])

    async def test_rejection_tells_the_applicant_why(self, stack: Stack) -> None:
        body = org_body("provider")
        r = await stack.http.post("/api/register", json=body)
        op = await login(stack.http, "operator2")
        task = await task_of(stack.http, op, "registration.review", r.json()["case_id"])
        assert (await complete(stack.http, op, task, "reject", comment="")).status_code == 422
        assert (await complete(stack.http, op, task, "reject", comment="营业执照与名称不符")).status_code == 200

        async def refused() -> str | None:
            r2 = await stack.http.post("/api/auth/token", json={"username": body["username"], "password": PASSWORD})
            return r2.json()["detail"] if "rejected" in r2.json()["detail"] else None

        assert "营业执照与名称不符" in await wait_for(refused, what="the rejection")

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"uscc": "91640100MA76XYZ12X"}, "org.uscc"),
            ({"uscc": (code := new_uscc())[:-1] + ("0" if code[-1] != "0" else "1")}, "org.uscc"),
            ({"city": "beijing"}, "org.city"),
            ({"industry": "mining"}, "org.industry"),
            ({"size": "medium"}, "declared"),
        ],
    )
    async def test_invalid_organisation_is_422_naming_the_problem(self, stack: Stack, change: dict, field: str) -> None:
        body = org_body("enterprise")
        body["org"].update(change)
        r = await stack.http.post("/api/register", json=body)
        assert r.status_code == 422 and field in r.json()["detail"], r.text

    async def test_duplicate_username_and_credit_code_are_409(self, stack: Stack) -> None:
        body = org_body("enterprise")
        assert (await stack.http.post("/api/register", json=body)).status_code == 201
        again = org_body("enterprise")
        again["username"] = body["username"]
        assert (await stack.http.post("/api/register", json=again)).status_code == 409
        same_code = org_body("enterprise")
        same_code["org"]["uscc"] = body["org"]["uscc"]
        assert (await stack.http.post("/api/register", json=same_code)).status_code == 409

    async def test_provider_without_categories_is_422(self, stack: Stack) -> None:
        body = org_body("provider")
        body["org"]["categories"] = []
        r = await stack.http.post("/api/register", json=body)
        assert r.status_code == 422 and "categor" in r.json()["detail"]
