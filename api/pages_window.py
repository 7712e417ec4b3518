"""Window-platform onboarding pages (P4) over the window and case services (api/services/window.py, cases.py).

  /apply/window                      platform_org: the application (with uploads) and, once applied, its progress
                                     (which stage, what is due next and by when) and the reporting inbox
  /public/windows                    anyone: the connected window platforms
  /cases/{case_id}/window-withdraw   platform_org: take a connected window out of the network (form on the case page)
  /cases/{case_id}/window-agreement  platform_org: propose a cooperation agreement to another connected window
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import col, select

from api.deps import in_thread, require
from api.error_messages import say
from api.errors import ApiError
from api.pages_common import LoginPageDep, Page, PageDep, PageRoute, flash, posted_materials, redirect, safe_next, text
from api.pages_forms import form_fields, item_rows, parse_form, values_from_form
from api.services import cases as case_service
from api.services import window as service
from db import tasks as task_repo
from db import window as window_repo
from db.models import Case
from forms.window_onboarding import MATERIALS, AgreementProposalForm, WindowOnboardingForm
from rules.cities import CITIES
from workflows.window_types import REPORT_TYPES

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELDS = [f for f in form_fields(WindowOnboardingForm) if f.name != "materials"]
# 004 art. 10: 申报 -> 审核 -> 接入, with the public notice between approval and connection.
STAGES = [("apply", "申报"), ("review", "审核"), ("notice", "公示"), ("connect", "接入"), ("connected", "已接入")]
STAGE_OF = {"submitted": "apply", "returned": "apply", "in_review": "review", "public_notice": "notice",
            "adapting": "connect", "connected": "connected"}
WHO = {"platform_org": "本单位", "operator": "枢纽平台（自治区中小企业服务中心）", "expert": "评估专家",
       "department": "自治区非公经济局"}





def progress(page: Page) -> list[dict[str, Any]]:
    """The organisation's onboardings, newest first: stage, status, and what is due next, by whom and by when."""
    cases = page.session.exec(select(Case).where(Case.type == "window_onboarding",
                                                 Case.applicant_org_id == page.me.org_id)
                              .order_by(col(Case.created_at).desc())).all()
    out = []
    for c in cases:
        due = sorted(task_repo.open_for_case(page.session, c.id), key=lambda t: t.due_at)
        out.append({"case": c, "stage": STAGE_OF.get(c.status), "due": [
            {"id": t.id, "title": t.title, "who": WHO.get(t.role, t.role), "due_at": t.due_at,
             "mine": t.role == "platform_org", "report": t.type in REPORT_TYPES,
             "overdue": t.due_at < page.now} for t in due],
            "reports": c.result.get("reports") or {},
            "agreements": [service.agreement_json(page.session, a)
                           for a in window_repo.agreements_of(page.session, c.id)],
            "partners": [service.window_json(w) for w in window_repo.connected_windows(page.session)
                         if w.applicant_org_id != c.applicant_org_id] if c.status == "connected" else []})
    return out


def _render(page: Page, *, values: dict[str, list[str]], errors: dict[str, str], idem: str,
            materials: dict[str, str] | None = None, error: str = "", status: int = 200) -> Response:
    mine = progress(page)
    can_apply = not any(p["case"].closed_at is None or p["case"].status == "connected" for p in mine)
    return page.render("apply_window.html", status=status, fields=FIELDS, values=values, errors=errors, idem=idem,
                       error=error, material_labels=MATERIALS, materials=materials or {}, item_rows=item_rows,
                       files={}, mine=mine, can_apply=can_apply, stages=STAGES, cities=CITIES)


@router.get("/apply/window")
def apply_form(page: LoginPageDep) -> Response:
    require(page.me, "platform_org")
    return _render(page, values={}, errors={}, idem=secrets.token_urlsafe(16))


@router.post("/apply/window")
async def apply(page: LoginPageDep) -> Response:
    require(page.me, "platform_org")
    form = page.posted
    idem = text(form, "idem", 64) or secrets.token_urlsafe(16)
    values = values_from_form(form)
    errors: dict[str, str] = {}
    materials = await posted_materials(page, MATERIALS, errors, required=True)
    data, form_errors = parse_form(FIELDS, form, _WithoutMaterials)
    errors.update(form_errors)
    data["materials"] = materials
    if errors:
        return await in_thread(page.session, _render, page, values=values, errors=errors, idem=idem, materials=materials,
                               status=422, error="请更正标红的项目后重新提交")
    page.release()
    try:
        case = await case_service.submit(page.session, page.engine, page.me, case_type="window_onboarding", data=data,
                                         now=page.now, idempotency_key=idem)
    except ApiError as exc:
        page.session.rollback()
        return await in_thread(page.session, _render, page, values=values, errors={}, idem=idem, materials=materials,
                               status=exc.status, error=say(exc))
    flash(page.request, f"窗口平台接入申请已提交，案件编号 {case.id}")
    return redirect("/apply/window")


class _WithoutMaterials(WindowOnboardingForm):
    """The page checks the fields it renders; the materials are checked as uploads."""

    materials: Any = None


@router.get("/public/windows")
def windows(page: PageDep, q: str = "", city: str = "") -> Response:
    result = service.public_windows(page.session, q=q.strip()[:100] or None, city=city if city in CITIES else None,
                                    limit=200, offset=0)
    return page.render("public_windows.html", items=result["items"], total=result["total"], cities=CITIES,
                       filters={"q": q, "city": city})


@router.post("/cases/{case_id}/window-withdraw")
async def withdraw(case_id: str, page: LoginPageDep) -> Response:
    require(page.me, "platform_org")
    back = safe_next(f"/cases/{case_id}", "/apply/window")
    page.release()
    try:
        await service.withdraw(page.session, page.engine.client, page.me, case_id,
                               service.Withdraw(reason=text(page.posted, "reason")), now=page.now)
    except ApiError as exc:
        page.session.rollback()
        flash(page.request, "未退出：" + say(exc), "error")
        return redirect(back)
    flash(page.request, "已申请退出平台网络，退出通知将随即起草")
    return redirect(back)


@router.post("/cases/{case_id}/window-agreement")
async def propose(case_id: str, page: LoginPageDep) -> Response:
    """A connected window proposes a cooperation agreement to another (004 art. 9(6))."""
    require(page.me, "platform_org")
    try:
        body = AgreementProposalForm(partner_case_id=text(page.posted, "partner_case_id", 64),
                                     scope=text(page.posted, "scope", 2000))
    except ValidationError:
        flash(page.request, "请选择合作窗口平台并填写合作内容", "error")
        return redirect("/apply/window")
    page.release()
    try:
        await service.propose_agreement(page.session, page.engine.client, page.me, case_id, body, now=page.now)
    except ApiError as exc:
        page.session.rollback()
        flash(page.request, "未提交：" + say(exc), "error")
        return redirect("/apply/window")
    flash(page.request, "合作协议提议已发送，待对方窗口平台确认")
    return redirect("/apply/window")
