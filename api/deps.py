"""Request dependencies: the session (one place commits), the clock, the current user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError, Forbidden
from api.security import read_token
from db.engine import reader, session_scope
from db.models import User


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; routes commit explicitly before they await Temporal, else it commits here.

    It is closed on the event loop as soon as the route returns (scope="function"), never later from a thread:
    on SQLite a transaction left open until after the response would hold the write lock while the loop is
    blocked by the next request waiting for it.
    """
    engine = request.app.state.engine
    if request.method in ("GET", "HEAD"):
        # A GET only reads: on SQLite its transaction takes no write lock (issue 12).
        with session_scope(reader(engine)) as session:
            yield session
        return
    # A write's commit runs in the thread pool: a route that only added rows (an upload) takes SQLite's write lock in
    # that commit, and waiting for it on the event loop would stall every other request of this process (issue 12).
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            if session.in_transaction() or session.new or session.dirty or session.deleted:
                await run_in_threadpool(session.commit)
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

R = TypeVar("R")


async def in_thread(session: Session, fn: Callable[..., R], *args: Any, **kw: Any) -> R:
    """Run the database part of a request (and Argon2) in the thread pool, off the event loop, and end its transaction
    there too (commit, or roll back on an error): the loop never waits for SQLite's lock and no write lock is left
    open for the loop to release (issue 12)."""
    def work() -> R:
        try:
            result = fn(*args, **kw)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise

    return await run_in_threadpool(work)


async def get_now(request: Request) -> datetime:
    return await request.app.state.clock.now()


NowDep = Annotated[datetime, Depends(get_now)]


def _user_from_request(request: Request, session: Session) -> User | None:
    auth = request.headers.get("authorization", "")
    user_id: int | None = None
    if auth.lower().startswith("bearer "):
        st = request.app.state
        user_id = read_token(st.secret, auth[7:].strip(), st.settings.token_max_age_seconds)
        if user_id is None:
            raise ApiError("the bearer token is invalid or expired; log in again", code="token_invalid", status=401)
    elif "session" in request.scope and request.session.get("uid"):
        user_id = int(request.session["uid"])
    if user_id is None:
        return None
    # Read the user without the write lock (a read-only session: on SQLite a writing transaction takes it at
    # BEGIN), then hand the row to the request's session without another query (issue 12).
    with Session(reader(request.app.state.engine), expire_on_commit=False) as read:
        found = read.get(User, user_id)
        read.commit()
    user = session.merge(found, load=False) if found is not None else None
    if user is None or user.status != "active":
        raise ApiError("this account is not active", code="account_inactive", status=401)
    return user


def optional_user(request: Request, session: SessionDep) -> User | None:
    return _user_from_request(request, session)


def current_user(request: Request, session: SessionDep) -> User:
    user = _user_from_request(request, session)
    if user is None:
        raise ApiError("log in first: send 'Authorization: Bearer <token>' from POST /api/auth/token", code="login_required",
                       status=401)
    return user


UserDep = Annotated[User, Depends(current_user)]
OptionalUserDep = Annotated[User | None, Depends(optional_user)]


def require(user: User, *roles: str) -> None:
    """Refuse with 403 unless the user holds one of the roles (admin always may)."""
    if user.role not in roles and user.role != "admin":
        raise Forbidden(f"this needs the role {' or '.join(roles)}; you are {user.role}", code="role_required",
                        params={"roles": list(roles), "role": user.role})


# Bounded numbers in paths and queries: a negative offset, or an id past a 32-bit column, is a 422, not a database error.
INT32 = 2**31 - 1
Year = Annotated[int, Path(ge=1900, le=2200, description="a calendar year")]
RowId = Annotated[int, Path(ge=1, le=INT32)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=INT32)]
YearQuery = Annotated[int | None, Query(ge=1900, le=2200)]


def page(items: list[Any], total: int) -> dict[str, Any]:
    return {"items": items, "total": total}
