"""What every page shares: templates, the logged-in user, CSRF, flash messages, errors as HTML."""

from __future__ import annotations

import html
import logging
import re
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from inspect import isawaitable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from api import pages_i18n as i18n
from api.deps import NowDep, SessionDep, in_thread
from api.error_messages import say
from api.errors import ApiError
from api.services import files as file_service
from api.services.public import notifications
from db.cases import APPLICANTS
from db.models import User
from processes.registry import specs
from processes.spec import NavLink
from rules.calendar import SHANGHAI
from rules.errors import RuleViolation

HERE = Path(__file__).parent
log = logging.getLogger("flow168.pages")
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


def fmt_due(value: Any) -> str:
    """A due time; midnight is written as 24:00 of the day before (截至某日24时), as deadlines are announced."""
    text = fmt_dt(value)
    if text.endswith(" 00:00"):
        dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        day = (dt.astimezone(SHANGHAI) if dt.tzinfo else dt) - timedelta(days=1)
        return f"{fmt_dt(day.date())} 24:00"
    return text


ISO_IN_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)")


def local_times(text: Any) -> str:
    """Text with the ISO timestamps in it (e.g. in a notification's body) written in Asia/Shanghai."""
    return ISO_IN_TEXT.sub(lambda m: fmt_due(m.group(0)), str(text or ""))


def filesize(n: Any) -> str:
    try:
        size = int(n)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return f"{size} 字节"
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def label(mapping: dict[str, str], key: Any) -> str:
    return mapping.get(str(key), str(key)) if key is not None else ""


DOC_PATH = re.compile(r"(?:下载[:：]\s*)?/api/documents/([0-9A-Za-z_-]+)")


def doc_links(text: Any) -> Markup:
    """A message's bare /api/documents/… path as a download link (the text escaped)."""
    escaped = str(escape(str(text or "")))
    return Markup(DOC_PATH.sub(lambda m: f'<a href="/api/documents/{m.group(1)}">下载文书</a>', escaped))


def _defined(fn: Any) -> Any:
    def filt(value: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(None if isinstance(value, jinja2.Undefined) else value, *args, **kwargs)
    return filt


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.ChainableUndefined)
    env.filters.update(dt=fmt_dt, due=fmt_due, day=lambda v: fmt_dt(v, with_time=False), yuan=i18n.yuan,
                       filesize=filesize, local_times=local_times, doc_links=doc_links)
    # A value missing from a dict (e.g. a voucher not yet paid) is shown empty, never an error page.
    env.filters.update({name: _defined(fn) for name, fn in env.filters.items()
                        if name in ("dt", "due", "day", "yuan", "filesize", "local_times")})
    env.globals.update(
        ROLES=i18n.ROLES, DECISIONS=i18n.DECISIONS, NEGATIVE=i18n.NEGATIVE, TASK_STATUS=i18n.TASK_STATUS,
        CASE_TYPES=i18n.CASE_TYPES, CASE_STATUS=i18n.CASE_STATUS, STATUS_TONE=i18n.STATUS_TONE,
        TASK_TYPES=i18n.TASK_TYPES, OPTIONS=i18n.OPTIONS, DAY_KINDS=i18n.DAY_KINDS, DEADLINES=i18n.DEADLINES,
        NOTIFICATION_KINDS=i18n.NOTIFICATION_KINDS, label=label, APPLICANTS=APPLICANTS,
        # The processes' own navigation links and case-page actions, from their specs.
        NAV=sorted((link for spec in specs().values() for link in spec.nav), key=lambda link: link.order),
        PUBLIC_TABS=sorted([NavLink(href="/public/notices", label="公示公告", roles=(), exact=True, order=20),
                            NavLink(href="/public/objections", label="异议查询", roles=(), exact=True, order=90),
                            NavLink(href="/public/guide", label="办事指南", roles=(), order=95),
                            *(tab for spec in specs().values() for tab in spec.public_tabs)], key=lambda t: t.order),
        CASE_ACTIONS={spec.type: spec.actions for spec in specs().values()},
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
    """A plain error page. It never touches the database: the request's session may still hold SQLite's write lock."""
    try:
        user = getattr(request.state, "page_user", None)
        ctx = {"request": request, "user": user, "status": status, "message": message, "flashes": [], "unread": 0,
               "csrf_token": csrf_token(request), "clock": None, "path": request.url.path, "this_year": None}
        return HTMLResponse(ENV.get_template("error.html").render(ctx), status_code=status)
    except Exception:  # the error page itself must never fail
        body = f"<!doctype html><meta charset=utf-8><title>错误</title><p>{html.escape(message)}</p><p><a href=/>首页</a></p>"
        return HTMLResponse(body, status_code=status)


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
                return error_response(request, exc.status, say(exc))
            except RuleViolation as exc:
                return error_response(request, 422, say(exc))
            except (RequestValidationError, ValidationError) as exc:
                status = 404 if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()) else 422
                return error_response(request, status, "请求无效：" + validation_zh(exc))
            except Exception:
                log.exception("page %s %s failed", request.method, request.url.path)
                return error_response(request, 500, "系统出现错误，请稍后再试；问题已记录。")

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
    form: FormData | None = None
    unread: int = 0

    @property
    def engine(self) -> Any:
        """Where case workflows run (api.services.cases.Engine), for the services that start or decide them."""
        from api.services.cases import Engine

        st = self.request.app.state
        return Engine(client=st.temporal, task_queue=st.settings.task_queue,
                                  partitions=st.settings.task_queue_partitions)

    async def upload(self, item: Any) -> dict[str, Any]:
        """Store a posted file through the upload service (its content check and size limit)."""
        st = self.request.app.state
        return await file_service.upload(self.session, self.me, item, limit=st.settings.upload_max_bytes,
                                         folder=st.uploads_dir, now=self.now)

    def release(self) -> None:
        """Commit now, so SQLite's write lock is not held while we wait for Temporal (the worker needs the database)."""
        self.session.commit()

    @property
    def posted(self) -> FormData:
        """The POSTed form (its CSRF token already checked)."""
        return self.form if self.form is not None else FormData()

    @property
    def me(self) -> User:
        if self.user is None:
            raise LoginRequired(self.request.url.path)
        return self.user

    def render(self, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        request = self.request
        clock = request.app.state.clock
        unread = self.unread
        flashes = request.session.pop(FLASH_KEY, [])
        base = {"request": request, "user": self.user, "now": self.now, "unread": unread, "flashes": flashes,
                "csrf_token": csrf_token(request), "clock": self.now if clock.simulated else None,
                "path": request.url.path, "this_year": self.now.astimezone(SHANGHAI).year}
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


def _user_and_unread(request: Request, session: Session) -> tuple[User | None, int]:
    """The logged-in user and the header's count of unread messages (through the notification service)."""
    user = _page_user(request, session)
    unread = int(notifications(session, user, unread=True, limit=1)["total"]) if user is not None else 0
    return user, unread


async def get_page(request: Request, session: SessionDep, now: NowDep) -> Page:
    """The page context; for a POST the CSRF token is checked first (403 otherwise), and the form kept. The user and
    the unread count are read in the thread pool, off the event loop (issue 12)."""
    form = await check_csrf(request) if request.method not in ("GET", "HEAD") else None
    user, unread = await in_thread(session, _user_and_unread, request, session)
    request.state.page_user = user
    return Page(request=request, session=session, now=now, user=user, form=form, unread=unread)


async def get_login_page(request: Request, session: SessionDep, now: NowDep) -> Page:
    """Like get_page, but an anonymous visitor is sent to /login?next=<this page>."""
    page = await get_page(request, session, now)
    if page.user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else "/")
    return page


PageDep = Annotated[Page, Depends(get_page)]
LoginPageDep = Annotated[Page, Depends(get_login_page)]


async def posted_materials(page: Page, labels: dict[str, str], errors: dict[str, str], *,
                           required: bool = False) -> dict[str, str]:
    """An application's materials (key -> upload id): files posted now, stored through the upload service, else the
    ids kept from the form before; a refused file, or a missing one when `required`, is named in `errors`."""
    out: dict[str, str] = {}
    for key, label in labels.items():
        item = page.posted.get(f"files.materials.{key}")
        if isinstance(item, StarletteUpload) and item.filename:
            try:
                up = await page.upload(item)
            except ApiError as exc:
                errors[f"materials.{key}"] = f"{label}（{item.filename}）：{say(exc)}"
                continue
            out[key] = up["id"]
        elif kept := text(page.posted, f"mat.{key}", 64):
            out[key] = kept
        elif required:
            errors.setdefault(f"materials.{key}", f"请上传{label}")
    return out


async def submit_and_return(page: Page, *, back: str, failed: str, done: str, act: Callable[[], Any]) -> Response:
    """Call the service with the page's database connection released; flash its refusal (in Chinese) or `done`, and
    go back. `act` runs in the thread pool (a plain service does its database work there, issue 12); when it returns
    an awaitable (a service that calls Temporal), that is awaited on the loop."""
    page.release()
    try:
        out = await in_thread(page.session, act)
        if isawaitable(out):
            await out
    except ApiError as exc:
        page.session.rollback()
        flash(page.request, failed + say(exc), "error")
        return redirect(back)
    flash(page.request, done)
    return redirect(back)
