"""Inbox, task, case, application and notification pages — over the services the API calls (api/services/)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import UploadFile as StarletteUpload

from api.deps import in_thread, require
from api.error_messages import say
from api.errors import ApiError
from api.pages_common import LoginPageDep, Page, PageRoute, flash, redirect, safe_next, text
from api.pages_forms import (
    PREFIX,
    FormField,
    form_fields,
    item_rows,
    parse_form,
    readable,
    values_from_data,
    values_from_form,
    walk,
    with_criteria,
)
from api.pages_i18n import CASE_STATUS, CASE_TYPES, DECISIONS, TASK_TYPES
from api.services import admin as admin_service
from api.services import cases as case_service
from api.services import progress as progress_service
from api.services import public as public_service
from api.services import tasks as task_service
from api.views import case_json, task_json
from db import tasks as task_repo
from db.cases import APPLICANTS, can_view
from db.models import Case, Upload
from forms.registry import case_forms, form_model
from processes.registry import by_task_type
from rules.cities import CITIES

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PER_PAGE = 50


def _pager(total: int, p: int) -> dict[str, int]:
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return {"page": min(max(1, p), pages), "pages": pages, "total": total}


async def _uploads(page: Page, fields: list[FormField], errors: dict[str, str]) -> dict[str, list[str]]:
    """Store the files posted to the form's upload fields (through the upload service) -> their ids by field."""
    out: dict[str, list[str]] = {}
    for f in walk(fields):
        if f.kind not in ("upload", "uploads"):
            continue
        for item in page.posted.getlist(f"files.{f.name}"):
            if not isinstance(item, StarletteUpload) or not item.filename:
                continue
            try:
                up = await page.upload(item)
            except ApiError as exc:
                errors[f.name] = f"{item.filename}：{say(exc)}"
                continue
            out.setdefault(f.name, []).append(up["id"])
    return out


def _file_names(page: Page, values: dict[str, list[str]], fields: list[FormField]) -> dict[str, str]:
    """Names of the uploads an upload field lists (the user's own, or the case's materials)."""
    names: dict[str, str] = {}
    for f in walk(fields):
        for uid in values.get(f.html, []) if f.kind in ("upload", "uploads") else []:
            up = page.session.get(Upload, uid)
            case = page.session.get(Case, up.case_id) if up is not None and up.case_id else None
            if up is not None and (up.owner_user_id == page.me.id or (
                    case is not None and can_view(page.session, page.me, case))):
                names[uid] = up.filename
    return names


def _merge_uploaded(values: dict[str, list[str]], uploaded: dict[str, list[str]],
                    fields: list[FormField]) -> dict[str, list[str]]:
    single = {f.name for f in walk(fields) if f.kind == "upload"}
    for name, ids in uploaded.items():
        values[PREFIX + name] = ids[-1:] if name in single else [*values.get(PREFIX + name, []), *ids]
    return values


# --- an applicant's home -------------------------------------------------------------------------------


@router.get("/home")
def applicant_home(page: LoginPageDep) -> Response:
    """The applicant's cases with their progress and what it must do now (officials go to their inbox)."""
    if page.me.role not in APPLICANTS:
        return redirect("/inbox")
    return page.render("applicant_home.html", **progress_service.applicant_home(page.session, page.me, now=page.now))


# --- inbox -----------------------------------------------------------------------------------------------


@router.get("/inbox")
def inbox(page: LoginPageDep, tab: str = "available", type: str = "", case_id: str = "", overdue: str = "",
          p: int = 1) -> Response:
    tab = tab if tab in ("available", "mine") else "available"
    mine_types = task_repo.types_for(page.session, page.me)  # an applicant is not offered the officials' task types
    filters: dict[str, Any] = {"type": type.strip()[:100] or None, "case_id": case_id.strip()[:100] or None,
                               "overdue": True if overdue else None}
    counts = {s: task_repo.inbox(page.session, page.me, scope=s, now=page.now, task_type=filters["type"],
                                 case_id=filters["case_id"], overdue=filters["overdue"], limit=1, offset=0)[1]
              for s in ("available", "mine")}
    pager = _pager(counts[tab], p)
    rows, _ = task_repo.inbox(page.session, page.me, scope=tab, now=page.now, task_type=filters["type"],
                              case_id=filters["case_id"], overdue=filters["overdue"], limit=PER_PAGE,
                              offset=(pager["page"] - 1) * PER_PAGE)
    return page.render("inbox.html", tab=tab, tasks=[task_json(t, now=page.now) for t in rows], counts=counts, pager=pager,
                       filters={"type": type, "case_id": case_id, "overdue": bool(overdue)},
                       task_types={k: v for k, v in TASK_TYPES.items() if k in mine_types})


@router.post("/tasks/{task_id}/claim")
async def claim(task_id: str, page: LoginPageDep) -> Response:
    return await in_thread(page.session, _claim, task_id, page)


def _claim(task_id: str, page: Page) -> Response:
    back = safe_next(text(page.posted, "back", 2000), "/inbox")
    try:
        task = task_json(task_service.claim(page.session, page.me, task_id, now=page.now), now=page.now)
    except ApiError as exc:
        flash(page.request, f"认领失败：{say(exc)}", "error")
        return redirect(back)
    flash(page.request, f"已认领「{task['title']}」，可在“我的”中办理")
    return redirect(safe_next(text(page.posted, "next", 2000), back))


@router.post("/tasks/{task_id}/unclaim")
async def unclaim(task_id: str, page: LoginPageDep) -> Response:
    return await in_thread(page.session, _unclaim, task_id, page)


def _unclaim(task_id: str, page: Page) -> Response:
    back = safe_next(text(page.posted, "back", 2000), "/inbox?tab=mine")
    try:
        task = task_json(task_service.unclaim(page.session, page.me, task_id, now=page.now), now=page.now)
    except ApiError as exc:
        flash(page.request, f"释放失败：{say(exc)}", "error")
        return redirect(back)
    flash(page.request, f"已释放「{task['title']}」，其他人可以认领")
    return redirect(back)


# --- one task ------------------------------------------------------------------------------------------


def _case_of(page: Page, case_id: str) -> dict[str, Any] | None:
    """The case's detail if the user may see it (the case service's rule), else None."""
    try:
        return _with_links(page, case_service.view(page.session, page.me, case_id, now=page.now))
    except ApiError:
        return None


def _with_links(page: Page, detail: dict[str, Any]) -> dict[str, Any]:
    visible = {t.id for t in task_repo.for_case(page.session, detail["id"]) if task_repo.can_see(page.me, t)}
    files = {m["id"]: m["filename"] for m in detail.get("materials", [])}
    detail["rows"] = readable(detail.get("data") or {}, files, model=case_forms().get(detail["type"]))
    detail["result_rows"] = readable({k: v for k, v in (detail.get("result") or {}).items()
                                      if not isinstance(v, dict | list) or v}, files)
    for t in detail.get("tasks", []):  # other experts' work is already blank (api.views.others_expert_work)
        t["visible"] = t["id"] in visible
        t["data_rows"] = readable(t.get("data") or {}, files)
    return detail


def _render_task(page: Page, task_id: str, *, status: int = 200, error: str = "", errors: dict[str, str] | None = None,
                 values: dict[str, list[str]] | None = None) -> Response:
    page.session.expire_all()
    task = task_service.load(page.session, page.me, task_id)
    case = _case_of(page, task.case_id)
    model = form_model(task.form)
    fields = form_fields(model)
    if values is None:
        values = values_from_data(fields, (case or {}).get("data") or {}) if task.form in case_forms() else {}
        values.update(values_from_data(fields, task.data or {}))
    row = page.session.get(Case, task.case_id)
    with_criteria(fields, row.data if row is not None else {}, values)
    user = page.me
    blocked = ""
    if task.status not in task_repo.OPEN_STATES:
        blocked = f"该任务{routes_status(task.status)}。"
    elif task.status == "claimed" and task.assignee not in (None, user.username):
        blocked = f"该任务已被 {task.assignee} 认领，您不能办理。"
    elif user.username in task.excluded_users:
        blocked = "双人复核规则：您作出了该案件的初审，不能同时作出此决定。"
    spec = by_task_type(task.type)
    make_panel = spec.panel(task.type) if spec is not None and not blocked else None
    panel = make_panel(page, task, case) if make_panel is not None else {}
    assignees = admin_service.eligible_assignees(page.session, task) if user.role == "admin" else []
    # the deciding official sees every expert's score with the averages; an expert never sees the others'
    scores = case_service.expert_scores(case) if task.role != "expert" and user.role != "expert" else None
    return page.render("task.html", status=status, task=task_json(task, now=page.now), case=case, fields=fields,
                       values=values, errors=errors or {}, error=error, blocked=blocked, item_rows=item_rows,
                       files=_file_names(page, values, fields), panel=panel,
                       one_comment=any(f.name == OPINION for f in fields), assignees=assignees, expert_scores=scores,
                       guide_url=f"/public/guide/{spec.type}" if spec is not None and spec.guide else None)


OPINION = "opinion"  # a form's own opinion field is the task's one comment box (no second 意见 box)


def routes_status(status: str) -> str:
    return {"completed": "已办结", "cancelled": "已取消"}.get(status, status)


@router.get("/tasks/{task_id}")
def task_page(task_id: str, page: LoginPageDep) -> Response:
    return _render_task(page, task_id)


@router.post("/tasks/{task_id}/complete")
async def complete(task_id: str, page: LoginPageDep) -> Response:
    form = page.posted
    task = await in_thread(page.session, task_service.load, page.session, page.me, task_id)
    title = task.title
    model = form_model(task.form)
    values = values_from_form(form)
    decision, comment = text(form, "decision", 50), text(form, "comment", 6000)
    fields = form_fields(model)
    if any(f.name == OPINION for f in fields):
        comment = comment or text(form, PREFIX + OPINION, 6000)
    upload_errors: dict[str, str] = {}
    uploaded = await _uploads(page, fields, upload_errors) if decision in task.decisions else {}
    data, errors = parse_form(fields, form, model, uploaded)
    errors.update(upload_errors)
    values = _merge_uploaded(values, uploaded, fields)
    if decision not in task.decisions:
        return await in_thread(page.session, _render_task, page, task_id, status=422, error="请点击一个办理结果按钮提交",
                               errors=errors, values=values)
    if errors:  # an error of the form as a whole (no input to mark red) is said at the top
        return await in_thread(page.session, _render_task, page, task_id, status=422,
                               error=errors.get("") or "请更正标红的项目后重新提交", errors=errors, values=values)
    if len(comment) > 5000:
        return await in_thread(page.session, _render_task, page, task_id, status=422, error="请更正标红的项目后重新提交",
                               values=values, errors={"comment": "最多 5000 个字符"})
    try:
        await task_service.complete(page.session, page.engine.client, page.me, task_id, decision=decision,
                                    comment=comment, data=data, now=page.now)
    except ApiError as exc:
        message = say(exc)
        if exc.code == "reason_required":
            return await in_thread(page.session, _render_task, page, task_id, status=exc.status,
                                   error="请填写理由后重新提交", errors={"comment": message, OPINION: message}, values=values)
        return await in_thread(page.session, _render_task, page, task_id, status=exc.status, error=message,
                               values=values)
    flash(page.request, f"已办理「{title}」：{DECISIONS.get(decision, decision)}")
    return redirect("/home" if page.me.role in APPLICANTS else "/inbox")


# --- cases ---------------------------------------------------------------------------------------------------


@router.get("/cases")
def cases(page: LoginPageDep, type: str = "", status: str = "", city: str = "", q: str = "",
          p: int = 1) -> Response:
    args: dict[str, Any] = {"type": type or None, "status": status or None, "city": city or None,
                            "q": q.strip()[:100] or None}
    total = case_service.listing(page.session, page.me, limit=1, offset=0, **args)[1]
    pager = _pager(total, p)
    rows, _ = case_service.listing(page.session, page.me, limit=PER_PAGE, offset=(pager["page"] - 1) * PER_PAGE, **args)
    return page.render("cases.html", cases=[case_json(c) for c in rows], pager=pager, cities=CITIES, case_types=CASE_TYPES,
                       statuses=CASE_STATUS, filters={"type": type, "status": status, "city": city, "q": q})


@router.get("/cases/{case_id}")
def case_page(case_id: str, page: LoginPageDep) -> Response:
    detail = case_service.view(page.session, page.me, case_id, now=page.now)
    return page.render("case.html", case=_with_links(page, detail))


# --- a provider's admission application -------------------------------------------------------------------


def _render_apply(page: Page, *, values: dict[str, list[str]], errors: dict[str, str], idem: str, status: int = 200,
                  error: str = "") -> Response:
    fields = form_fields(case_forms()["provider_admission"])
    return page.render("apply_provider.html", status=status, fields=fields, values=values, errors=errors, idem=idem,
                       error=error, item_rows=item_rows, files=_file_names(page, values, fields))


@router.get("/apply/provider_admission")
def apply_form(page: LoginPageDep) -> Response:
    require(page.me, "provider")
    return _render_apply(page, values={}, errors={}, idem=secrets.token_urlsafe(16))


@router.post("/apply/provider_admission")
async def apply(page: LoginPageDep) -> Response:
    require(page.me, "provider")
    form = page.posted
    model = case_forms()["provider_admission"]
    idem = text(form, "idem", 64) or secrets.token_urlsafe(16)
    values = values_from_form(form)
    fields = form_fields(model)
    upload_errors: dict[str, str] = {}
    uploaded = await _uploads(page, fields, upload_errors)
    data, errors = parse_form(fields, form, model, uploaded)
    errors.update(upload_errors)
    values = _merge_uploaded(values, uploaded, fields)
    if errors:
        return await in_thread(page.session, _render_apply, page, values=values, errors=errors, idem=idem, status=422,
                               error="请更正标红的项目后重新提交")
    page.release()  # the uploads are kept even if the application is refused
    try:
        case = await case_service.submit(page.session, page.engine, page.me, case_type="provider_admission", data=data,
                                         now=page.now, idempotency_key=idem)
    except ApiError as exc:
        return await in_thread(page.session, _render_apply, page, values=values, errors={}, idem=idem,
                               status=exc.status, error=say(exc))
    flash(page.request, f"准入申请已提交，案件编号 {case.id}")
    return redirect(f"/cases/{case.id}")


# --- notifications ---------------------------------------------------------------------------------------------


@router.get("/notifications")
def notifications(page: LoginPageDep, unread: str = "") -> Response:
    result = public_service.notifications(page.session, page.me, unread=bool(unread), limit=200)
    return page.render("notifications.html", items=result["items"], total=result["total"], only_unread=bool(unread))


@router.post("/notifications/read")
async def notifications_read(page: LoginPageDep) -> Response:
    return await in_thread(page.session, _notifications_read, page)


def _notifications_read(page: Page) -> Response:
    result = public_service.notifications(page.session, page.me, unread=True, limit=500)
    for n in result["items"]:
        public_service.mark_read(page.session, page.me, n["id"], now=page.now)
    flash(page.request, f"已将 {len(result['items'])} 条消息标为已读")
    return redirect("/notifications")

