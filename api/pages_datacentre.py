"""The data centre's pages (department, admins; a city bureau its city's slice): dashboards with their charts
(server-side SVG), tables and exports; service levels; the national platform's monthly data and its record
(over api/services/datacentre.py and platform_export.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import in_thread, require
from api.error_messages import say
from api.errors import ApiError
from api.pages_common import LoginPageDep, Page, PageError, PageRoute, flash, redirect, text
from api.services import datacentre as service
from api.services import platform_export as export_service
from rules.calendar import SHANGHAI

router = APIRouter(prefix="/datacentre", route_class=PageRoute, include_in_schema=False)


def _int(value: Any, lo: int, hi: int) -> int | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if lo <= n <= hi else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _guard(call: Any) -> Any:
    try:
        return call()
    except ApiError as exc:
        raise PageError(say(exc), exc.status) from None


@router.get("")
def dashboard(page: LoginPageDep) -> Response:
    q = page.request.query_params
    local = page.now.astimezone(SHANGHAI)
    year = _int(q.get("year"), 2000, 2200) or local.year
    month = _int(q.get("month"), 1, 12) or (local.month if year == local.year else 12)
    tables = _guard(lambda: service.all_tables(page.session, page.me, year=year, month=month, now=page.now))
    city = service.city_scope(page.me)
    return page.render("datacentre.html", tables=tables, year=year, month=month, city=city,
                       qs=f"year={year}&month={month}")


@router.get("/service-levels")
def levels_page(page: LoginPageDep) -> Response:
    q = page.request.query_params
    by = q.get("by") if q.get("by") in ("type", "person", "city") else "type"
    data = _guard(lambda: service.levels(page.session, page.me, by=by, start=_date(q.get("start")),  # type: ignore[arg-type]
                                         end=_date(q.get("end")), now=page.now))
    return page.render("datacentre_levels.html", data=data, by=by)


@router.get("/reporting")
def reporting(page: LoginPageDep) -> Response:
    data = _guard(lambda: export_service.history(page.session, page.me))
    local = page.now.astimezone(SHANGHAI)
    prev = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return page.render("datacentre_reporting.html", exports=data, year=prev[0], month=prev[1],
                       format=export_service.FORMAT, version=export_service.VERSION)


@router.post("/reporting")
async def send(page: LoginPageDep) -> Response:
    return await in_thread(page.session, _send, page)


def _send(page: Page) -> Response:
    require(page.me, "department")  # the role before the form: a refused role learns nothing of the input
    year, month = _int(text(page.posted, "year", 4), 2000, 2200), _int(text(page.posted, "month", 2), 1, 12)
    if year is None or month is None:
        flash(page.request, "未报送：请填写有效的年份和月份", "error")
        return redirect("/datacentre/reporting")
    folder = Path(page.request.app.state.settings.data_dir) / "platform_exports"
    row = _guard(lambda: export_service.send(page.session, page.me, year=year, month=month, folder=folder, now=page.now))
    flash(page.request, f"已生成并记录 {row.period} 的服务数据报送（{row.records} 条记录）")
    return redirect("/datacentre/reporting")
