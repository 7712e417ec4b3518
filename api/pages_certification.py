"""Demonstration-platform certification pages (P3) over the certification service (api/services/certification.py).

  /certification/calls            department: open a year's call; staff: the calls
  /apply/certification            platform_org: the application (figures, functions of art. 7, materials of art. 11)
  /public/notices                 the public notices, with a real-name objection form on each notice still open
  /cases/{case_id}/revoke         department: revoke a granted title (the form is on the case page)
  /certification/years/{year}     staff: the year's batch, its 拟认定名单 and documents; department: publish the list
  /public/notices/list/objection  an objection to one platform of a yearly list (the platform chosen on the form)
The /public/notices route here is installed before pages_public's, so it serves that path.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from api import throttle
from api.deps import in_thread, require
from api.error_messages import say
from api.errors import ApiError
from api.pages_common import LoginPageDep, Page, PageDep, PageRoute, flash, posted_materials, redirect, safe_next, text
from api.pages_forms import PREFIX, form_fields, model_errors, parse_fields, parse_yuan, values_from_form
from api.pages_public import notice_targets
from api.services import cases as case_service
from api.services import certification as service
from api.services import files as file_service
from api.services import objections as objection_service
from api.services import public as public_service
from api.throttle import client_address
from db import certification as cert_repo
from db import deadlines, users
from forms.certification import FUNCTION_FIGURES, MATERIALS, CallForm, CertificationForm
from rules.calendar import SHANGHAI
from rules.certification import FUNCTION_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# function -> its figures (union of the alternatives), with the label and whether it is money (元 on the page)
FUNCTIONS = {name: [(k, label, k.endswith("_fen")) for k, label in figures.items()]
             for name, figures in FUNCTION_FIGURES.items()}
SCALARS = [f for f in form_fields(CertificationForm) if f.name not in ("functions", "materials")]

# --- the yearly call ---------------------------------------------------------------------------------------------


def _render_calls(page: Page, *, values: dict[str, str] | None = None, error: str = "",
                  status: int = 200) -> Response:
    page.session.expire_all()
    calls = service.list_calls(page.session, now=page.now)
    year = page.now.astimezone(SHANGHAI).year
    return page.render("certification_calls.html", status=status, calls=calls["items"], error=error,
                       values=values or {"year": str(year), "experts": "3", "expiry_reminder_days": "180,30",
                                                 "relaxed_pct": "80"})


@router.get("/certification/calls")
def calls_page(page: LoginPageDep) -> Response:
    require(page.me, "department", "operator", "admin")
    return _render_calls(page)


@router.post("/certification/calls")
async def open_call(page: LoginPageDep) -> Response:
    return await in_thread(page.session, _open_call, page)


def _open_call(page: Page) -> Response:
    require(page.me, "department")
    form = page.posted
    values = {k: text(form, k, 300) for k in ("year", "deadline", "title", "experts", "expiry_reminder_days",
                                                   "relaxed_pct")}
    reminders = [x for x in re.split(r"[,，、\s]+", values["expiry_reminder_days"]) if x] or ["180", "30"]
    try:
        body = CallForm(year=values["year"] or None, deadline=values["deadline"] or None,  # type: ignore[arg-type]
                        title=values["title"], experts=values["experts"] or 3,  # type: ignore[arg-type]
                        expiry_reminder_days=reminders,  # type: ignore[arg-type]
                        relaxed_pct=values["relaxed_pct"] or 80)  # type: ignore[arg-type]
    except ValidationError as exc:
        labels = {"year": "年度", "deadline": "截止日期", "title": "通知标题", "experts": "评审专家人数",
                  "expiry_reminder_days": "称号到期前提醒", "relaxed_pct": "适当放宽的标准"}
        problems = [f"{labels.get(k, k)}：{v}" for k, v in model_errors(exc).items()]
        return _render_calls(page, values=values, error="；".join(problems), status=422)
    try:
        call = service.call_json(service.open_call(page.session, page.me, body, now=page.now), now=page.now)
    except ApiError as exc:
        page.session.rollback()
        return _render_calls(page, values=values, error=say(exc), status=exc.status)
    flash(page.request, f"已发布「{call['title']}」，截止于 {call['deadline']} 24:00")
    return redirect("/certification/calls")


# --- the application -----------------------------------------------------------------------------------------------


def _function_values(form: Any) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    functions: dict[str, dict[str, int]] = {}
    errors: dict[str, str] = {}
    for name, figures in FUNCTIONS.items():
        if form.get(f"fn.{name}") not in ("on", "1", "true"):
            continue
        got: dict[str, int] = {}
        for key, label, money in figures:
            raw = text(form, f"fn.{name}.{key}", 40)
            if raw == "":
                continue
            if money:
                fen = parse_yuan(raw)
                if fen is None or fen < 0:
                    errors[f"fn.{name}"] = f"{label}：请输入金额（元），最多两位小数"
                    continue
                got[key] = fen
            elif raw.isdigit():
                got[key] = int(raw)
            else:
                errors[f"fn.{name}"] = f"{label}：请输入不小于 0 的整数"
        functions[name] = got
    return functions, errors



def _render_apply(page: Page, *, values: dict[str, list[str]], errors: dict[str, str], idem: str,
                  materials: dict[str, str] | None = None, error: str = "", status: int = 200,
                  call: dict[str, Any] | None = None) -> Response:
    call = call if call is not None else _current_call(page)
    return page.render("apply_certification.html", status=status, fields=SCALARS, values=values, errors=errors,
                       idem=idem, error=error, functions=FUNCTIONS, function_labels=FUNCTION_LABELS,
                       material_labels=MATERIALS, materials=materials or {}, call=call, item_rows=lambda *a: 0,
                       files={})


def _current_call(page: Page) -> dict[str, Any] | None:
    call = cert_repo.latest_call(page.session, now=page.now)
    if call is None or page.now >= call.deadline_at:
        return None
    return service.call_json(call, now=page.now)


@router.get("/apply/certification")
def apply_form(page: LoginPageDep) -> Response:
    require(page.me, "platform_org")
    org = users.org(page.session, page.me.org_id)
    values = {PREFIX + "city": [org.city]} if org is not None and org.city else {}
    return _render_apply(page, values=values, errors={}, idem=secrets.token_urlsafe(16))


@router.post("/apply/certification")
async def apply(page: LoginPageDep) -> Response:
    require(page.me, "platform_org")
    form = page.posted
    idem = text(form, "idem", 64) or secrets.token_urlsafe(16)
    values = values_from_form(form)
    errors: dict[str, str] = {}
    data = parse_fields(SCALARS, form, errors, {})
    functions, fn_errors = _function_values(form)
    errors.update(fn_errors)
    materials = await posted_materials(page, MATERIALS, errors, required=False)
    data.update(functions=functions, materials=materials)
    general = ""
    if not functions:
        errors["functions"] = "请至少勾选并填写一项服务功能（第七条）"
    try:
        CertificationForm.model_validate(data)
    except ValidationError as exc:
        for path, message in model_errors(exc).items():
            if path.startswith("functions"):
                errors.setdefault("functions", message)
            elif path == "":
                general = message
            else:
                errors.setdefault(path, message)
    if errors or general:
        return await in_thread(page.session, _render_apply, page, values=values, errors=errors, idem=idem,
                               materials=materials, status=422, error=general or "请更正标红的项目后重新提交")
    page.release()  # the uploads are kept even if the application is refused
    try:
        case = await case_service.submit(page.session, page.engine, page.me, case_type="certification", data=data,
                                         now=page.now, idempotency_key=idem)
    except ApiError as exc:
        page.session.rollback()
        return await in_thread(page.session, _render_apply, page, values=values, errors={}, idem=idem,
                               materials=materials, status=exc.status, error=say(exc))
    flash(page.request, f"示范平台申报已提交，案件编号 {case.id}")
    return redirect(f"/cases/{case.id}")


# --- public notices and objections -----------------------------------------------------------------------------------


@router.get("/public/notices")
def notices(page: PageDep, q: str = "") -> Response:
    result = public_service.notices(page.session, q=q.strip()[:100] or None)
    items = []
    for d in result["items"]:
        deadline = deadlines.deadline(page.session, d["case_id"], "public_notice") if d.get("case_id") else None
        is_open = deadline is not None and page.now < deadline.closes_at
        targets = notice_targets(page.session, d["id"], now=page.now) if not d.get("case_id") else []
        closes = deadline.closes_at if deadline is not None else max((t["closes_at"] for t in targets), default=None)
        items.append({**d, "open": is_open, "closes_at": closes, "targets": targets,
                      "idem": secrets.token_urlsafe(12)})
    return page.render("public_notices_objection.html", items=items, total=result["total"], filters={"q": q})


@router.post("/public/notices/list/objection")
async def list_objection(page: PageDep) -> Response:
    """An objection to one platform of a year's 拟认定名单: objections stay per platform (002 art. 12)."""
    case_id = text(page.posted, "case_id", 64)
    if not case_id:
        flash(page.request, "异议未提交：请选择异议针对的平台", "error")
        return redirect("/public/notices")
    return await objection(case_id, page)


@router.post("/public/notices/{case_id}/objection")
async def objection(case_id: str, page: PageDep) -> Response:
    form = page.posted
    back = safe_next(text(form, "back", 200) or "/public/notices", "/public/notices")
    evidence: list[str] = []
    item = form.get("evidence")
    if isinstance(item, StarletteUpload) and item.filename:
        st = page.request.app.state
        try:  # the objector has no account: the file is the public's, read by the department only
            up = await file_service.upload(page.session, objection_service.public_uploader(), item,
                                           limit=st.settings.upload_max_bytes, folder=st.uploads_dir, now=page.now)
        except ApiError as exc:
            page.session.rollback()
            flash(page.request, f"异议未提交：证明材料（{item.filename}）{say(exc)}", "error")
            return redirect(back)
        evidence.append(up["id"])
    body = service.Objection(name=text(form, "name", 200), contact=text(form, "contact", 200),
                             reason=text(form, "reason", 5000), evidence=evidence)
    idem = text(form, "idem", 64) or None
    try:
        await in_thread(page.session, throttle.limit, page.session, "objection", client_address(page.request),
                        now=page.now, window_s=3600,
                        max_count=page.request.app.state.settings.objections_per_address_per_hour)
    except ApiError as exc:
        flash(page.request, "异议未提交：" + say(exc), "error")
        return redirect("/public/notices")
    page.release()
    try:
        filed = await service.objection(page.session, page.engine.client, case_id, body, now=page.now,
                                        idempotency_key=idem)
    except ApiError as exc:
        page.session.rollback()
        flash(page.request, "异议未提交：" + say(exc), "error")
        return redirect(back)
    flash(page.request, f"异议已收到，回执编号 {filed['receipt']}。工信厅将进行调查核实；请凭回执编号和联系电话在"
                        "「异议查询」查看处理结果。")
    return redirect(f"/public/objections?receipt={filed['receipt']}")


# --- the year's batch (002 art. 10, 12, 13) ----------------------------------------------------------------------------


@router.get("/certification/years/{year}")
def year_page(year: int, page: LoginPageDep) -> Response:
    view = service.year_view(page.session, page.me, year, now=page.now)
    return page.render("certification_year.html", batch=view)


@router.post("/certification/years/{year}/list")
async def publish_list(year: int, page: LoginPageDep) -> Response:
    require(page.me, "department")
    back = f"/certification/years/{year}"
    page.release()
    try:
        view = await service.publish_list(page.session, page.engine.client, page.me, year, now=page.now)
    except ApiError as exc:
        page.session.rollback()
        flash(page.request, "名单未公示：" + say(exc), "error")
        return redirect(back)
    flash(page.request, f"已公示{year}年度拟认定名单（{sum(1 for c in view['cases'] if c['listed'])}家）")
    return redirect(back)


# --- revocation --------------------------------------------------------------------------------------------------------


@router.post("/cases/{case_id}/revoke")
async def revoke(case_id: str, page: LoginPageDep) -> Response:
    require(page.me, "department")
    back = safe_next(f"/cases/{case_id}", "/cases")
    page.release()
    try:
        await service.revoke(page.session, page.engine.client, page.me, case_id,
                             service.Revoke(reason=text(page.posted, "reason", 5000)))
    except ApiError as exc:
        page.session.rollback()
        flash(page.request, "未撤销：" + say(exc), "error")
        return redirect(back)
    flash(page.request, "已撤销该示范平台称号，撤销决定书已起草")
    return redirect(back)
