"""Home, login, logout and registration pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from api import throttle
from api.deps import in_thread
from api.error_messages import say
from api.errors import ApiError
from api.pages_common import PageDep, PageRoute, csrf_token, flash, redirect, safe_next, text
from api.pages_forms import parse_yuan
from api.pages_i18n import KINDS, pydantic_zh
from api.services import auth as service
from api.throttle import client_address
from db.cases import APPLICANTS
from forms.registration import RegistrationForm
from rules.cities import CITIES
from rules.size_class import INDUSTRIES, SIZES
from rules.voucher import CATEGORIES, SECTORS

router = APIRouter(route_class=PageRoute, include_in_schema=False)

REG_FIELDS = ("kind", "username", "name", "uscc", "city", "size", "employees", "revenue", "industry", "email", "phone",
              "sector", "declared_credit_rating")


@router.get("/")
def home(page: PageDep) -> Response:
    return page.render("home.html")


@router.get("/login")
def login_form(page: PageDep, next: str = "") -> Response:
    if page.user is not None:
        return redirect(safe_next(next, "/home" if page.user.role in APPLICANTS else "/inbox"))
    return page.render("login.html", next=safe_next(next, ""), username="")


@router.post("/login")
async def login(page: PageDep) -> Response:
    request = page.request
    form = page.posted
    username, password = text(form, "username", 100), form.get("password")
    next_url = safe_next(text(form, "next", 2000), "")
    if not username or not isinstance(password, str) or not password:
        return page.render("login.html", status=422, error="请输入用户名和密码", username=username, next=next_url)
    try:
        st = request.app.state.settings
        user = await in_thread(page.session, service.authenticate, page.session, username=username,
                               password=password[:200], now=page.now, window_s=st.login_window_seconds,
                               max_failures=st.login_max_failures, client=client_address(request),
                               max_per_address=st.login_max_failures_per_address,
                               max_per_account=st.login_max_failures_per_account)
    except ApiError as exc:
        return page.render("login.html", status=exc.status, error=say(exc), username=username, next=next_url)
    request.session.clear()  # a fresh session (and CSRF token) for the logged-in user
    request.session["uid"] = user.id
    csrf_token(request)
    flash(request, f"欢迎，{user.display_name or user.username}")
    return redirect(next_url or ("/home" if user.role in APPLICANTS else "/inbox"))


@router.post("/logout")
async def logout(page: PageDep) -> Response:
    page.request.session.clear()
    flash(page.request, "您已退出登录")
    return redirect("/")


def _register_page(page: Any, *, values: dict[str, Any], errors: dict[str, str], status: int = 200,
                   error: str = "") -> Response:
    return page.render("register.html", status=status, values=values, errors=errors, error=error, kinds=KINDS,
                       cities=CITIES, sizes=SIZES, industries=INDUSTRIES, categories=CATEGORIES, sectors=SECTORS)


@router.get("/register")
def register_form(page: PageDep) -> Response:
    return _register_page(page, values={"kind": "enterprise", "categories": [], "legal_person": True}, errors={})


def _field_of(loc: tuple[Any, ...], kind: str) -> str:
    """Which input a RegistrationForm error belongs to."""
    if not loc:
        return "categories" if kind == "provider" else "__all__"
    if loc[0] == "org":
        if len(loc) == 1:
            return "size"  # the declared size contradicts the figures
        return {"revenue_fen": "revenue"}.get(str(loc[1]), str(loc[1]))
    return str(loc[0])


@router.post("/register")
async def register(page: PageDep) -> Response:
    form = page.posted
    values: dict[str, Any] = {k: text(form, k, 200) for k in REG_FIELDS}
    values["categories"] = [c for c in form.getlist("categories") if isinstance(c, str)]
    values["legal_person"] = form.get("independent_legal_person") == "1"
    values["declared_specialized"] = form.get("declared_specialized") == "1"
    password, password2 = form.get("password"), form.get("password2")
    password = password if isinstance(password, str) else ""
    errors: dict[str, str] = {}
    revenue_fen: int | None = None
    if not values["revenue"]:
        errors["revenue"] = "必填"
    else:
        revenue_fen = parse_yuan(values["revenue"])
        if revenue_fen is None:
            errors["revenue"] = "请输入金额（元），最多两位小数"
    if password != password2:
        errors["password2"] = "两次输入的密码不一致"
    kind = values["kind"]
    payload = {
        "kind": kind, "username": values["username"], "password": password[:200],
        "org": {"name": values["name"], "uscc": values["uscc"], "city": values["city"], "size": values["size"],
                "employees": values["employees"] or None, "revenue_fen": revenue_fen if revenue_fen is not None else 0,
                "industry": values["industry"], "categories": values["categories"] if kind == "provider" else [],
                "email": values["email"] or None, "phone": values["phone"] or None,
                **({"independent_legal_person": values["legal_person"], "sector": values["sector"] or None,
                    "declared_specialized": values["declared_specialized"],
                    "declared_credit_rating": values["declared_credit_rating"] or None} if kind == "enterprise" else {})},
    }
    model: RegistrationForm | None = None
    try:
        model = RegistrationForm.model_validate(payload)
    except ValidationError as exc:
        for err in exc.errors():
            where = _field_of(tuple(err.get("loc", ())), kind)
            if where == "size" and "revenue" in errors:
                continue
            errors.setdefault(where, pydantic_zh(dict(err)))
    if errors or model is None:
        return _register_page(page, values=values, errors=errors, status=422, error="请更正标红的项目后重新提交")
    try:
        await in_thread(page.session, throttle.limit, page.session, "register", client_address(page.request),
                        now=page.now, window_s=3600,
                        max_count=page.request.app.state.settings.registrations_per_address_per_hour)
        result = await service.register(page.session, page.engine, model, now=page.now)
    except ApiError as exc:
        message = say(exc)
        if exc.code == "username_taken":
            errors["username"] = message
        elif exc.code in ("uscc_taken", "not_registered_in_ningxia"):
            errors["uscc"] = message
        general = "请更正标红的项目后重新提交" if errors else message
        return _register_page(page, values=values, errors=errors, status=exc.status, error=general)
    return page.render("register_done.html", case_id=result["case_id"], name=model.org.name,
                       username=model.username)
