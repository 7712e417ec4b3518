"""Public pages (no login): signed providers, public notices (with their text), certified platforms, the look-up of
an objection by its receipt number."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from api.error_messages import say
from api.errors import ApiError
from api.pages_common import PageDep, PageRoute
from api.services import guides as guide_service
from api.services import objections as objection_service
from api.services import public as service
from api.services.files import DOCX
from db import deadlines
from rules.cities import CITIES
from rules.voucher import CATEGORIES

router = APIRouter(prefix="/public", route_class=PageRoute, include_in_schema=False)


def _q(value: str) -> str | None:
    return value.strip()[:100] or None


@router.get("/providers")
def providers(page: PageDep, q: str = "", category: str = "", city: str = "") -> Response:
    result = service.providers(page.session, q=_q(q), category=category or None, city=city or None,
                               limit=500, offset=0)
    return page.render("public_providers.html", items=result["items"], total=result["total"], cities=CITIES,
                       categories=CATEGORIES, filters={"q": q, "category": category, "city": city})


@router.get("/platforms")
def platforms(page: PageDep, q: str = "") -> Response:
    result = service.platforms(page.session, q=_q(q))
    return page.render("public_platforms.html", items=result["items"], total=result["total"], cities=CITIES,
                       filters={"q": q})


@router.get("/notices/{doc_id}")
def notice(doc_id: str, page: PageDep) -> Response:
    """One public notice on the page: its text and list, its period and how to object, the objection form."""
    item = service.notice(page.session, doc_id)
    deadline = deadlines.deadline(page.session, item["case_id"], "public_notice") if item.get("case_id") else None
    is_open = deadline is not None and page.now < deadline.closes_at
    targets = [] if item.get("case_id") else notice_targets(page.session, doc_id, now=page.now)
    closes = deadline.closes_at if deadline is not None else max((t["closes_at"] for t in targets), default=None)
    return page.render("public_notice.html", notice=item, open=is_open, targets=targets, closes_at=closes,
                       idem=secrets.token_urlsafe(12))


def notice_targets(session: Any, doc_id: str, *, now: Any) -> list[dict[str, Any]]:
    """The cases a notice of several cases lists whose own notice is open (each process's `notice_targets`)."""
    from processes.registry import specs
    from processes.spec import resolve

    return [t for spec in specs().values() if spec.notice_targets
            for t in resolve(spec.notice_targets)(session, doc_id, now=now)]


@router.get("/objections")
def objection_lookup(page: PageDep, receipt: str = "", phone: str = "") -> Response:
    """The objector looks up what became of the objection: receipt number and the phone given when filing."""
    found, error = None, None
    if receipt or phone:
        try:
            found = objection_service.lookup(page.session, receipt=receipt[:40], phone=phone[:40])
        except ApiError as exc:
            error = say(exc)
    return page.render("public_objection_lookup.html", found=found, error=error,
                       filters={"receipt": receipt, "phone": ""})


@router.get("/guide")
def guides(page: PageDep) -> Response:
    return page.render("public_guide.html", guide=None, items=guide_service.index())


@router.get("/guide/{case_type}")
def guide(case_type: str, page: PageDep) -> Response:
    """A process's 办事指南: who may apply, conditions, materials (templates), steps and time limits, legal basis."""
    return page.render("public_guide.html", guide=guide_service.guide(case_type), items=guide_service.index())


@router.get("/guide/{case_type}/templates/{number}.docx")
def guide_template(case_type: str, number: int) -> Response:
    filename, data = guide_service.template(case_type, number)
    return Response(data, media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
