"""Errors with codes: every code the API raises has its Chinese wording, and the JSON errors carry the code."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.error_messages import MESSAGES, message, say
from api.errors import ApiError, Conflict, NotFound
from api.workflows import CASE_UPDATE_ERRORS, ENGINE_BUSY, ENGINE_ERRORS, REFUSED, case_update, decide
from rules.errors import RuleViolation
from tests.conftest import Stack
from tests.helpers import login, org_body, task_of
from workflows.types import DecisionInput
from workflows.voucher import VoucherWorkflow

ROOT = Path(__file__).resolve().parents[2]
ERRORS = {"ApiError", "NotFound", "Forbidden", "Conflict", "Invalid"}


def _trees(folder: str) -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted((ROOT / folder).rglob("*.py"))]


def _name(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")


def _codes_in_api() -> set[str]:
    """Every literal `code="…"` passed in api/ (its services too), and the codes of the JSON handlers."""
    codes = set()
    for path, tree in _trees("api"):
        if path.name == "error_messages.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                codes |= {k.value.value for k in node.keywords
                          if k.arg == "code" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
            if isinstance(node, ast.Dict):
                codes |= {v.value for k, v in zip(node.keys, node.values, strict=True)
                          if isinstance(k, ast.Constant) and k.value == "code" and isinstance(v, ast.Constant)}
    return codes


class TestCodeTable:
    def test_every_code_raised_in_api_has_a_chinese_message(self) -> None:
        codes = _codes_in_api() | {code for _, code in [*ENGINE_ERRORS.values(), *CASE_UPDATE_ERRORS.values(),
                                                        REFUSED, ENGINE_BUSY]}
        assert len(codes) > 60
        missing = sorted(c for c in codes if c not in MESSAGES)
        assert not missing, f"codes without a Chinese message in api/error_messages.py: {missing}"

    def test_every_raise_in_api_names_its_code(self) -> None:
        bare = []
        for path, tree in _trees("api"):
            for node in ast.walk(tree):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and _name(node.exc) in ERRORS:
                    if not any(k.arg == "code" for k in node.exc.keywords):
                        bare.append(f"{path.name}:{node.lineno}")
        assert not bare, f"raised without a code: {bare}"

    def test_codes_are_snake_case(self) -> None:
        assert all(code.replace("_", "").isalnum() and code.islower() for code in MESSAGES)

    def test_every_validator_error_type_of_the_workflows_is_mapped(self) -> None:
        types = set()
        for _, tree in _trees("workflows"):
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _name(node) == "ApplicationError":
                    types |= {k.value.value for k in node.keywords if k.arg == "type" and isinstance(k.value, ast.Constant)}
        types.discard("RuleViolation")  # activities' broken rules: not an Update refusal
        assert types and types <= set(ENGINE_ERRORS), sorted(types - set(ENGINE_ERRORS))


class _Refusing:
    """A Temporal client whose every Update fails with `error`."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def get_workflow_handle(self, _case_id: str) -> _Refusing:
        return self

    async def execute_update(self, *_args: Any, **_kwargs: Any) -> Any:
        raise self.error


def _refused(kind: str, message: str = "refused") -> WorkflowUpdateFailedError:
    return WorkflowUpdateFailedError(ApplicationError(message, type=kind))


class TestEngineErrors:
    DECISION = DecisionInput(task_id="T-1", decision="approve", actor="department1")

    @pytest.mark.parametrize(("error", "status", "code"), [
        (_refused("StaleTask", "this task is no longer open"), 409, "task_stale"),
        (_refused("FourEyes"), 409, "four_eyes"),
        (_refused("InvalidDecision"), 422, "decision_not_allowed"),
        (_refused("SomethingNew"), 409, "update_refused"),
        (RPCError("gone", RPCStatusCode.NOT_FOUND, b""), 409, "task_case_ended"),
        (RPCError("busy", RPCStatusCode.UNAVAILABLE, b""), 503, "engine_unavailable"),
    ])
    async def test_a_refused_decision(self, error: BaseException, status: int, code: str) -> None:
        with pytest.raises(ApiError) as info:
            await decide(_Refusing(error), case_id="C-1", decision=self.DECISION)  # type: ignore[arg-type]
        assert (info.value.status, info.value.code) == (status, code)
        if isinstance(error, WorkflowUpdateFailedError):
            assert info.value.detail == error.cause.message  # type: ignore[union-attr]

    @pytest.mark.parametrize(("error", "status", "code"), [
        (_refused("InvalidDecision", "give the reason of the withdrawal"), 422, "update_reason_required"),
        (_refused("Anonymous"), 422, "anonymous_objection"),
        (_refused("NoticeClosed"), 409, "notice_closed"),
        (RPCError("busy", RPCStatusCode.DEADLINE_EXCEEDED, b""), 503, "engine_unavailable"),
    ])
    async def test_a_refused_case_update(self, error: BaseException, status: int, code: str) -> None:
        with pytest.raises(ApiError) as info:
            await case_update(_Refusing(error), case_id="C-1", update=VoucherWorkflow.withdraw, arg=None,  # type: ignore[arg-type]
                              result_type=dict, update_id="u-1")
        assert (info.value.status, info.value.code) == (status, code)

    async def test_an_ended_case_update_is_none(self) -> None:
        client = _Refusing(RPCError("gone", RPCStatusCode.NOT_FOUND, b""))
        assert await case_update(client, case_id="C-1", update=VoucherWorkflow.withdraw, arg=None,  # type: ignore[arg-type]
                                 result_type=dict, update_id="u-1") is None


class TestWording:
    def test_params_fill_the_template_with_labels(self) -> None:
        err = ApiError("this needs the role operator or department; you are enterprise", code="role_required",
                       params={"roles": ["operator", "department"], "role": "enterprise"}, status=403)
        assert say(err) == "此操作需要「运营单位或工信厅」角色，您当前的角色是「企业」"
        assert say(Conflict("this task is claimed by operator1", code="task_claimed_by_other",
                            params={"assignee": "operator1"})) == "该任务已被 operator1 认领"

    def test_an_unknown_code_falls_back_to_the_detail(self) -> None:
        assert say(NotFound("no such thing", code="something_new")) == "no such thing"

    def test_a_missing_param_falls_back_to_the_detail(self) -> None:
        assert message("case_not_found", {}, "no case X") == "no case X"

    def test_a_rule_violation_keeps_its_chinese_text(self) -> None:
        err = RuleViolation("invalid_uscc", "wrong check character in the unified social credit code")
        assert say(err) == "统一社会信用代码校验位错误，请核对"


@pytest.mark.pg
class TestResponses:
    async def test_401_wrong_credentials(self, stack: Stack) -> None:
        r = await stack.http.post("/api/auth/token", json={"username": "operator2", "password": "nope"})
        assert r.status_code == 401 and r.json() == {"detail": "wrong username or password",
                                                     "code": "wrong_credentials"}
        r = await stack.http.get("/api/me")
        assert r.status_code == 401 and r.json()["code"] == "login_required"

    async def test_403_role_required_with_params(self, stack: Stack) -> None:
        r = await stack.http.get("/api/admin/voucher-policies", headers=await login(stack.http, "expert1"))
        assert r.status_code == 403
        body = r.json()
        assert body["code"] == "role_required" and body["detail"].startswith("this needs the role")
        assert body["params"] == {"roles": ["admin", "department", "operator"], "role": "expert"}

    async def test_404_case_not_visible(self, stack: Stack) -> None:
        r = await stack.http.get("/api/cases/NOPE-1", headers=await login(stack.http, "operator1"))
        assert r.status_code == 404
        assert r.json() == {"detail": "no case NOPE-1 that you may see", "code": "case_not_visible",
                            "params": {"case_id": "NOPE-1"}}

    async def test_409_task_claimed_by_other(self, stack: Stack) -> None:
        op1, op2 = await login(stack.http, "operator1"), await login(stack.http, "operator2")
        r = await stack.http.post("/api/register", json=org_body("enterprise"))
        task = await task_of(stack.http, op1, "registration.review", r.json()["case_id"])
        assert (await stack.http.post(f"/api/tasks/{task['id']}/claim", headers=op1)).status_code == 200
        r = await stack.http.post(f"/api/tasks/{task['id']}/claim", headers=op2)
        assert r.status_code == 409
        assert r.json() == {"detail": "this task is claimed by operator1", "code": "task_claimed_by_other",
                            "params": {"assignee": "operator1"}}

    @pytest.mark.parametrize(("path", "code"), [("/api/tasks?scope=everything", "bad_scope"),
                                                ("/api/tasks?limit=many", "validation_failed")])
    async def test_422(self, stack: Stack, path: str, code: str) -> None:
        r = await stack.http.get(path, headers=await login(stack.http, "operator1"))
        assert r.status_code == 422 and r.json()["code"] == code and r.json()["detail"]
