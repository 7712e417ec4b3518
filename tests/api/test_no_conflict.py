"""An expert declares no conflict of interest before scoring (issue 15): every expert scoring form asks the
declaration; the page's box must be ticked (unticked it sends false), and a declared conflict is refused whoever the
client (422: the expert recuses and the task is reassigned). An API client that leaves the field out is accepted and
recorded as not given: ARCHITECTURE.md's public API (and the contract test) scores with {"score", "opinion"} only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from forms.registry import forms
from forms.review import NO_CONFLICT
from tests.api.test_certification import apply as apply_certification
from tests.api.test_provider_admission import submit
from tests.api.test_window_onboarding import apply as apply_window
from tests.conftest import Stack
from tests.helpers import complete, login, register_approved, task_of, wait_for

pytestmark = pytest.mark.workflow


def test_every_expert_scoring_form_asks_the_declaration() -> None:
    scoring = {name: model for name, model in forms().items() if "score" in model.model_fields}
    assert {"expert_opinion", "certification_expert_review", "window_onboarding_expert_score"} <= set(scoring)
    for name, model in scoring.items():
        assert NO_CONFLICT in model.model_fields, name


async def _first_expert(stack: Stack, case_id: str) -> str:
    op = await login(stack.http, "operator1")

    async def named() -> list[str] | None:
        return (await stack.http.get(f"/api/cases/{case_id}", headers=op)).json()["result"].get("experts")

    return (await wait_for(named, what="the panel"))[0]


async def _provider_case(stack: Stack) -> tuple[str, str]:
    prov, _ = await register_approved(stack.http, "provider")
    case = await submit(stack, prov)
    op = await login(stack.http, "operator1")
    assert (await complete(stack.http, op, await task_of(stack.http, op, "provider_admission.operator_review",
                                                         case["id"]))).status_code == 200
    return case["id"], "provider_admission.expert_review"


async def _certification_case(stack: Stack) -> tuple[str, str]:
    _, case = await apply_certification(stack)
    http = stack.http
    bureau, dep = await login(http, "city_yinchuan"), await login(http, "department1")
    await complete(http, bureau, await task_of(http, bureau, "certification.city_recommendation", case["id"]),
                   "recommend", data={"opinion": "推荐", "scores": {}})
    await complete(http, dep, await task_of(http, dep, "certification.precheck", case["id"]))
    return case["id"], "certification.expert_review"


async def _window_case(stack: Stack) -> tuple[str, str]:
    _, case = await apply_window(stack)
    op = await login(stack.http, "operator1")
    assert (await complete(stack.http, op, await task_of(stack.http, op, "window_onboarding.hub_review",
                                                         case["id"]))).status_code == 200
    return case["id"], "window_onboarding.expert_assessment"


@pytest.mark.parametrize("opened", [_provider_case, _certification_case, _window_case],
                         ids=["provider_admission", "certification", "window_onboarding"])
async def test_a_declared_conflict_is_refused_and_an_omitted_declaration_is_not_given(
        stack: Stack, opened: Callable[[Stack], Awaitable[tuple[str, str]]]) -> None:
    http = stack.http
    case_id, task_type = await opened(stack)
    expert = await login(http, await _first_expert(stack, case_id))
    task = await task_of(http, expert, task_type, case_id)
    score: dict[str, Any] = {"score": 85, "opinion": "服务能力较强"}
    conflict = await complete(http, expert, task, data={**score, NO_CONFLICT: False})
    assert conflict.status_code == 422 and "conflict of interest" in conflict.text
    assert (await http.get(f"/api/tasks/{task['id']}", headers=expert)).json()["status"] in ("open", "claimed")
    done = await complete(http, expert, task, data=score)  # the public API's body, as the contract sends it
    assert done.status_code == 200, done.text
