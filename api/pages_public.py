"""Public pages (no login): signed providers, public notices, certified platforms."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.pages_common import PageDep, PageRoute
from api.services import public as service
from rules.cities import CITIES
from rules.voucher import CATEGORIES

router = APIRouter(prefix="/public", route_class=PageRoute, include_in_schema=False)


def _q(value: str) -> str | None:
    return value.strip()[:100] or None


@router.get("/providers")
async def providers(page: PageDep, q: str = "", category: str = "", city: str = "") -> Response:
    result = service.providers(page.session, q=_q(q), category=category or None, city=city or None,
                               limit=500, offset=0)
    return page.render("public_providers.html", items=result["items"], total=result["total"], cities=CITIES,
                       categories=CATEGORIES, filters={"q": q, "category": category, "city": city})


@router.get("/platforms")
async def platforms(page: PageDep, q: str = "") -> Response:
    result = service.platforms(page.session, q=_q(q))
    return page.render("public_platforms.html", items=result["items"], total=result["total"], cities=CITIES,
                       filters={"q": q})
