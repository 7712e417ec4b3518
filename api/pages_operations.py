"""The operations console's pages (admins): stuck cases in bulk with batch actions, workflow-task failures, a case's
engine history beside the Temporal UI link (over api/services/operations.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from api.deps import in_thread, require
from api.error_messages import say
from api.errors import ApiError
from api.pages_common import LoginPageDep, PageError, PageRoute, text
from api.pages_i18n import pydantic_zh
from api.services import operations as service

router = APIRouter(prefix="/admin", route_class=PageRoute, include_in_schema=False)
ACTIONS = service.ACTION_ZH


def _filter(params: Any) -> tuple[service.CaseFilter, str]:
    raw = {k: params.get(k) for k in ("type", "status", "step", "city", "min_age_days", "failing_activity") if params.get(k)}
    flags = {k: params.get(k) in ("1", "on", "true") for k in ("overdue", "failing")}
    try:
        return service.CaseFilter(**raw, **flags), ""
    except ValidationError as exc:
        return service.CaseFilter(), "；".join(pydantic_zh(dict(e)) for e in exc.errors())


def _render(page: Any, *, results: dict[str, Any] | None = None, error: str = "", status: int = 200) -> Response:
    f, problem = _filter(page.request.query_params)
    found = service.find_cases(page.session, page.me, f, now=page.now)
    steps = sorted({t["type"] for c in found["items"] for t in c["open_tasks"]})
    return page.render("admin_cases.html", status=status, found=found, f=f, error=error or problem, results=results,
                       actions=ACTIONS, steps=steps, query=str(page.request.url.query))


@router.get("/cases")
def cases_page(page: LoginPageDep) -> Response:
    require(page.me, "admin")
    return _render(page)


@router.post("/cases/batch")
async def batch(page: LoginPageDep) -> Response:
    require(page.me, "admin")
    form = page.posted
    ids = [v for v in form.getlist("case_ids") if isinstance(v, str)]
    try:
        body = service.BatchAction(action=text(form, "action", 20), case_ids=ids,  # type: ignore[arg-type]
                                   reason=text(form, "reason", 2000) or None, username=text(form, "username", 100) or None,
                                   working_days=text(form, "working_days", 4) or None,  # type: ignore[arg-type]
                                   step=text(form, "step", 200) or None)
        page.release()
        out = await service.batch(page.session, page.engine.client, page.me, body, now=page.now)
    except ValidationError as exc:
        return await in_thread(page.session, _render, page, status=422,
                               error="未执行：" + "；".join(pydantic_zh(dict(e)) for e in exc.errors()))
    except ApiError as exc:
        return await in_thread(page.session, _render, page, error=f"未执行：{say(exc)}", status=exc.status)
    for r in out["results"]:
        if not r["ok"]:
            r["message"] = say(ApiError(r["detail"], code=r["code"], params=r.get("params")))
    return await in_thread(page.session, _render, page, results=out)


@router.get("/workflow-problems")
async def problems_page(page: LoginPageDep) -> Response:
    require(page.me, "admin")
    page.release()
    data = await service.workflow_problems(page.session, page.engine.client, page.me)
    return page.render("admin_problems.html", problems=data)


@router.get("/cases/{case_id}/history")
async def history_page(case_id: str, page: LoginPageDep) -> Response:
    require(page.me, "admin")
    try:
        data = await service.engine_history(page.session, page.engine.client, page.me, case_id,
                                            ui_base=page.request.app.state.settings.temporal_ui_base)
    except ApiError as exc:
        raise PageError(say(exc), exc.status) from None
    return page.render("admin_history.html", h=data)
