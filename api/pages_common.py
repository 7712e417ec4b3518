"""What every page shares: templates, the logged-in user, CSRF, flash messages, errors as HTML."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from api import pages_i18n as i18n
from api.deps import NowDep, SessionDep
from api.errors import ApiError
from db.models import Notification, User
from rules.calendar import SHANGHAI
from rules.errors import RuleViolation

HERE = Path(__file__).parent
CSRF_KEY = "csrf"
FLASH_KEY = "flash"


def fmt_dt(value: Any, with_time: bool = True) -> str:
    """A time in Asia/Shanghai, e.g. 2026年11月23日 18:00 (accepts datetimes and ISO strings)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return value
    if isinstance(value, datetime):
        local = value.astimezone(SHANGHAI) if value.tzinfo else value.replace(tzinfo=SHANGHAI)
        text = f"{local.year}年{local.month}月{local.day}日"
        return f"{text} {local:%H:%M}" if with_time else text
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def label(mapping: dict[str, str], key: Any) -> str:
    return mapping.get(str(key), str(key)) if key is not None else ""


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.ChainableUndefined)
    env.filters.update(dt=fmt_dt, day=lambda v: fmt_dt(v, with_time=False), yuan=i18n.yuan)
    env.globals.update(
        ROLES=i18n.ROLES, DECISIONS=i18n.DECISIONS, NEGATIVE=i18n.NEGATIVE, TASK_STATUS=i18n.TASK_STATUS,
        CASE_TYPES=i18n.CASE_TYPES, CASE_STATUS=i18n.CASE_STATUS, STATUS_TONE=i18n.STATUS_TONE,
        TASK_TYPES=i18n.TASK_TYPES, OPTIONS=i18n.OPTIONS, DAY_KINDS=i18n.DAY_KINDS, DEADLINES=i18n.DEADLINES,
        NOTIFICATION_KINDS=i18n.NOTIFICATION_KINDS, label=label,
    )
    return env


ENV = _env()


# --- errors ----------------------------------------------------------------------------------------


class LoginRequired(Exception):
    """An anonymous visitor asked for a page that needs a login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageError(Exception):
    """An error shown as an HTML page (Chinese message)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def error_response(request: Request, status: int, message: str) -> HTMLResponse:
    """A plain error page; it finds the header's user with its own short session."""
    user = None
    uid = request.session.get("uid") if "session" in request.scope else None
    if uid:
        with Session(request.app.state.engine) as s:
            user = s.get(User, int(uid))
    ctx = {"request": request, "user": user if user is not None and user.status == "active" else None,
           "status": status, "message": message, "csrf_token": csrf_token(request), "flashes": [], "unread": 0,
           "clock": None}
    return HTMLResponse(ENV.get_template("error.html").render(ctx), status_code=status)


def validation_zh(exc: ValidationError | RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "path", "query")]
        parts.append((f"{'.'.join(loc)}：" if loc else "") + i18n.pydantic_zh(dict(err)))
    return "；".join(parts) or "输入无效"


class PageRoute(APIRoute):
    """A page route: no page ever answers with JSON or a 500 for a refused request or bad input."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return RedirectResponse(f"/login?next={quote(exc.next_url, safe='')}", status_code=303)
            except PageError as exc:
                return error_response(request, exc.status, exc.message)
            except ApiError as exc:
                return error_response(request, exc.status, i18n.zh(exc.detail))
            except RuleViolation as exc:
                return error_response(request, 422, i18n.zh(exc.message))
            except (RequestValidationError, ValidationError) as exc:
                status = 404 if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()) else 422
                return error_response(request, status, "请求无效：" + validation_zh(exc))

        return page_handler


# --- session: CSRF and flash ---------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get(CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return str(token)


async def check_csrf(request: Request) -> FormData:
    """The posted form, after its CSRF token matched the session's; 403 otherwise."""
    try:
        form = await request.form()
    except Exception:
        raise PageError("无法读取提交的表单", 400) from None
    sent = form.get("csrf_token")
    expected = request.session.get(CSRF_KEY)
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, str(expected)):
        raise PageError("安全校验失败：表单已过期或来源不可信（CSRF），请返回刷新页面后重试。", 403)
    return form


def text(form: FormData, key: str, max_len: int = 5000) -> str:
    """A text field of the form, stripped ('' when absent or a file)."""
    value = form.get(key)
    return value.strip()[:max_len] if isinstance(value, str) else ""


def texts(form: FormData, key: str) -> list[str]:
    return [v.strip() for v in form.getlist(key) if isinstance(v, str) and v.strip()]


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session[FLASH_KEY] = [*request.session.get(FLASH_KEY, []), [kind, message]]


def safe_next(value: Any, default: str = "/") -> str:
    """A local path to go back to (never another site)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- the page context --------------------------------------------------------------------------------


@dataclass
class Page:
    """One page request: its session, the clock's now and the logged-in user (or None)."""

    request: Request
    session: Session
    now: datetime
    user: User | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def me(self) -> User:
        if self.user is None:
            raise LoginRequired(self.request.url.path)
        return self.user

    def render(self, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        request = self.request
        clock = request.app.state.clock
        unread = 0
        if self.user is not None:
            unread = int(self.session.exec(select(func.count()).select_from(Notification).where(
                Notification.user_id == self.user.id, Notification.channel == "inapp",
                col(Notification.read_at).is_(None))).one())
        flashes = request.session.pop(FLASH_KEY, [])
        base = {"request": request, "user": self.user, "now": self.now, "unread": unread, "flashes": flashes,
                "csrf_token": csrf_token(request), "clock": self.now if clock.simulated else None,
                "path": request.url.path}
        return HTMLResponse(ENV.get_template(template).render({**base, **ctx}), status_code=status)


def _page_user(request: Request, session: Session) -> User | None:
    uid = request.session.get("uid")
    if not uid:
        return None
    try:
        user = session.get(User, int(uid))
    except (TypeError, ValueError):
        user = None
    if user is None or user.status != "active":
        request.session.pop("uid", None)
        return None
    return user


def get_page(request: Request, session: SessionDep, now: NowDep) -> Page:
    return Page(request=request, session=session, now=now, user=_page_user(request, session))


def get_login_page(request: Request, session: SessionDep, now: NowDep) -> Page:
    """Like get_page, but an anonymous visitor is sent to /login?next=<this page>."""
    page = get_page(request, session, now)
    if page.user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else "/")
    return page


PageDep = Annotated[Page, Depends(get_page)]
LoginPageDep = Annotated[Page, Depends(get_login_page)]
