"""Admin pages: stuck work, reassign/extend a task, retry/terminate a case, the calendar, the simulated clock."""

from __future__ import annotations

import calendar as pycal
import re
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import col, select

from api.deps import Year, in_thread, require
from api.error_messages import say
from api.errors import ApiError
from api.pages_common import LoginPageDep, Page, PageError, PageRoute, flash, fmt_dt, fmt_due, redirect, safe_next, text
from api.pages_i18n import pydantic_zh
from api.services import admin as service
from api.services import public as public_service
from api.views import case_json, task_json
from db.models import User
from rules.calendar import SHANGHAI

router = APIRouter(prefix="/admin", route_class=PageRoute, include_in_schema=False)
LABELS = {"username": "用户名", "working_days": "延期工作日数", "reason": "理由", "days": "天数",
          "holidays": "节假日", "makeup_workdays": "调休上班日"}


def _problem(exc: ValidationError) -> str:
    return "；".join(f"{LABELS.get(str(e['loc'][0]), e['loc'][0]) if e.get('loc') else ''}：{pydantic_zh(dict(e))}"
                    for e in exc.errors())


async def _act(page: Page, back_default: str, done: str, call: Any) -> Response:
    """Run one admin action (a coroutine factory), flash its outcome in Chinese, go back."""
    back = safe_next(text(page.posted, "back", 2000), back_default)
    try:
        result = await call()
    except ValidationError as exc:
        flash(page.request, f"未执行：{_problem(exc)}", "error")
        return redirect(back)
    except ApiError as exc:
        flash(page.request, f"未执行：{say(exc)}", "error")
        return redirect(back)
    flash(page.request, done.format(**result) if isinstance(result, dict) else done)
    return redirect(back)


@router.get("")
def admin_home(page: LoginPageDep, idle_days: Annotated[int | None, Query(ge=1, le=3650)] = None) -> Response:
    days = idle_days if idle_days and 0 < idle_days < 3650 else page.request.app.state.settings.idle_case_days
    data = service.stuck(page.session, page.me, now=page.now, idle_days=days)
    staff = page.session.exec(select(User).where(User.status == "active", col(User.role).in_(
        ("operator", "department", "expert", "city_bureau"))).order_by(col(User.role), col(User.username))).all()
    year = page.now.astimezone(SHANGHAI).year
    eligible = service.eligible_for(page.session, [t["id"] for t in data.get("overdue_tasks", [])])
    return page.render("admin.html", stuck=data, staff=staff, year=year, simulated=page.request.app.state.clock.simulated,
                       eligible=eligible)


@router.post("/tasks/{task_id}/reassign")
async def reassign(task_id: str, page: LoginPageDep) -> Response:
    require(page.me, "admin")
    username = text(page.posted, "username", 100)

    def reassigned() -> Any:
        task = service.reassign(page.session, page.me, task_id, service.Reassign(username=username), now=page.now)
        return task_json(task, now=page.now)

    async def call() -> Any:  # the database work in the thread pool (issue 12)
        return await in_thread(page.session, reassigned)

    return await _act(page, "/admin", "已将「{title}」改派给 {assignee}", call)


@router.post("/tasks/{task_id}/extend")
async def extend(task_id: str, page: LoginPageDep) -> Response:
    require(page.me, "admin")
    form = page.posted

    async def call() -> Any:
        body = service.Extend(working_days=text(form, "working_days", 10) or None,  # type: ignore[arg-type]
                                   reason=text(form, "reason", 2100))
        out = task_json(await service.extend(page.session, page.engine.client, page.me, task_id, body, now=page.now),
                        now=page.now)
        return {**out, "due": fmt_due(out.get("due_at"))}

    return await _act(page, "/admin", "已延期「{title}」，新的办理期限为 {due}", call)


@router.post("/cases/{case_id}/retry")
async def retry(case_id: str, page: LoginPageDep) -> Response:
    require(page.me, "admin")
    reason = text(page.posted, "reason", 2100)

    async def call() -> Any:
        body = service.Reason(reason=reason) if reason else None
        return await service.retry(page.session, page.engine.client, page.me, case_id, body, now=page.now)

    return await _act(page, "/admin", "已重试案件 {case_id} 的流程", call)


@router.post("/cases/{case_id}/terminate")
async def terminate(case_id: str, page: LoginPageDep) -> Response:
    require(page.me, "admin")
    reason = text(page.posted, "reason", 2100)

    async def call() -> Any:
        body = service.Reason(reason=reason)
        return case_json(await service.terminate(page.session, page.engine.client, page.me, case_id, body,
                                                 now=page.now))

    return await _act(page, "/admin", "已终止案件 {id}", call)


@router.post("/clock/advance")
async def advance(page: LoginPageDep) -> Response:
    require(page.me, "admin")
    raw = text(page.posted, "days", 20)

    async def call() -> Any:
        body = service.Advance(days=raw or None)  # type: ignore[arg-type]
        if body.days is None:
            raise ApiError("give 'days' or 'until'", code="advance_missing", status=422)
        page.release()
        out = await service.advance(page.request.app.state.clock, page.me, body)
        return {**out, "at": fmt_dt(out.get("now"))}

    return await _act(page, "/admin", f"模拟时钟已快进 {raw} 天，现在是 {{at}}", call)


# --- the working-day calendar ---------------------------------------------------------------------------


def _months(year: int, days: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Twelve month grids (Monday first) of the calendar's days."""
    by_date = {d["date"]: d for d in days}
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for d in week:
                info = by_date.get(d.isoformat()) if d.month == month else None
                cells.append({"day": d.day, "kind": info["kind"] if info else "", "out": d.month != month,
                              "today": d == today, "iso": d.isoformat()})
            weeks.append(cells)
        months.append({"month": month, "weeks": weeks})
    return months


DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
RANGE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})\s*(?:~|～|至|到|—|--)\s*(\d{4}-\d{1,2}-\d{1,2})$")


def parse_dates(raw: str, what: str) -> tuple[list[date], list[str]]:
    """Dates from text lines: one date, several separated by commas or spaces, or a range a~b / a 至 b."""
    out: list[date] = []
    problems: list[str] = []
    for n, line in enumerate(raw.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = RANGE.match(line)
        tokens = [line] if m else [t for t in re.split(r"[\s,，、;；]+", line) if t]
        for token in tokens:
            try:
                r = RANGE.match(token)
                if r:
                    start, end = (date.fromisoformat(_pad(x)) for x in r.groups())
                    if end < start or (end - start).days > 60:
                        problems.append(f"{what}第 {n} 行「{token[:40]}」的日期范围无效（起止颠倒或超过 60 天）")
                        continue
                    out += [start + timedelta(days=i) for i in range((end - start).days + 1)]
                else:
                    if not DATE.fullmatch(token):
                        raise ValueError
                    out.append(date.fromisoformat(_pad(token)))
            except ValueError:
                problems.append(f"{what}第 {n} 行「{token[:40]}」不是日期（格式 YYYY-MM-DD，或范围 YYYY-MM-DD~YYYY-MM-DD）")
    return sorted(set(out)), problems


def _pad(token: str) -> str:
    y, m, d = token.split("-")
    return f"{y}-{int(m):02d}-{int(d):02d}"


def _render_calendar(page: Page, year: int, data: dict[str, Any] | None, *, status: int = 200, error: str = "",
                     holidays: str | None = None, makeup: str | None = None) -> Response:
    today = page.now.astimezone(SHANGHAI).date()
    return page.render(
        "calendar.html", status=status, year=year, cal=data, error=error,
        months=_months(year, data["days"], today) if data else [],
        holidays_text=holidays if holidays is not None else "\n".join((data or {}).get("holidays", [])),
        makeup_text=makeup if makeup is not None else "\n".join((data or {}).get("makeup_workdays", [])),
    )


def _year_data(page: Page, year: int) -> tuple[dict[str, Any] | None, str]:
    try:
        return public_service.calendar_year(page.session, year), ""
    except ApiError as exc:
        return None, say(exc)


@router.get("/calendar/{year}")
def calendar_page(year: Year, page: LoginPageDep) -> Response:
    require(page.me, "admin")
    if not 1900 <= year <= 2200:
        raise PageError(f"{year} 年不在可查看的范围内", 404)
    data, error = _year_data(page, year)
    return _render_calendar(page, year, data, error=error)


@router.post("/calendar/{year}")
async def calendar_enter(year: Year, page: LoginPageDep) -> Response:
    require(page.me, "admin")
    if not 1900 <= year <= 2200:
        raise PageError(f"{year} 年不在可录入的范围内", 404)
    raw_h, raw_m = text(page.posted, "holidays", 20000), text(page.posted, "makeup_workdays", 20000)
    holidays, p1 = parse_dates(raw_h, "节假日")
    makeup, p2 = parse_dates(raw_m, "调休上班日")
    problem = "；".join(p1 + p2)
    if not problem:
        try:
            out = await service.put_calendar(
                page.session, page.engine.client, page.me, year,
                service.CalendarEntry(holidays=holidays, makeup_workdays=makeup), now=page.now)
        except ValidationError as exc:
            problem = _problem(exc)
        except ApiError as exc:
            problem = say(exc)
        else:
            flash(page.request, f"已录入 {year} 年节假日安排（{len(holidays)} 个节假日、{len(makeup)} 个调休上班日），"
                                f"重新计算了 {out.get('recomputed_tasks', 0)} 个任务的办理期限")
            return redirect(f"/admin/calendar/{year}")
    data, _ = await in_thread(page.session, _year_data, page, year)
    return await in_thread(page.session, _render_calendar, page, year, data, status=422, error=problem, holidays=raw_h,
                           makeup=raw_m)
