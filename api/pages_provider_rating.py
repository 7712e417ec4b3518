"""The providers' star rating page (003 art. 11(2)) over api/services/provider_rating.py.

  /provider-ratings      operator: open a year's rating; staff: the ratings and their state
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from api.deps import in_thread, require
from api.error_messages import say
from api.errors import ApiError
from api.pages_common import LoginPageDep, Page, PageRoute, flash, redirect, text
from api.services import provider_rating as service
from forms.provider_rating import RatingCaseForm
from rules.calendar import SHANGHAI

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _render(page: Page, *, error: str = "", year: str = "", status: int = 200) -> Response:
    page.session.expire_all()
    rows = service.ratings(page.session)
    return page.render("provider_ratings.html", status=status, ratings=rows, error=error,
                       year=year or str(page.now.astimezone(SHANGHAI).year))


@router.get("/provider-ratings")
def ratings_page(page: LoginPageDep) -> Response:
    require(page.me, "operator", "department", "admin")
    return _render(page)


@router.post("/provider-ratings")
async def open_rating(page: LoginPageDep) -> Response:
    require(page.me, "operator")
    year = text(page.posted, "year", 8)
    try:
        body = RatingCaseForm(year=year or None)  # type: ignore[arg-type]
    except ValidationError:
        return await in_thread(page.session, _render, page, error="评级年度：请输入2016至2100之间的年份", year=year, status=422)
    try:
        case = await service.open_rating(page.session, page.engine, page.me, body, now=page.now)
    except ApiError as exc:
        page.session.rollback()
        return await in_thread(page.session, _render, page, error=say(exc), year=year, status=exc.status)
    flash(page.request, f"已开展{body.year}年度签约服务机构评级排名，案件编号 {case.id}")
    return redirect(f"/cases/{case.id}")
