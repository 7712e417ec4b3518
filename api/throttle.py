"""Throttles on one atomic counter per key and fixed window (db.models.RateCounter).

`hit` adds one to a counter and returns the new count in one statement (INSERT … ON CONFLICT DO UPDATE … RETURNING, on
SQLite and PostgreSQL alike), so two requests at the same moment get two different counts: there is no check-then-record
race. A login counts against the account from that address, the address, and the account from everywhere (with a much
higher bar), so a stranger who guesses wrong from elsewhere cannot lock the owner out; registrations and objections
count per address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from api.errors import ApiError
from db.models import RateCounter


def client_address(request: Request) -> str:
    """The client's address as the server saw it (behind a proxy: uvicorn's FORWARDED_ALLOW_IPS names the proxy whose
    X-Forwarded-For it trusts)."""
    return request.client.host if request.client else "unknown"


def _key(what: str, who: str, now: datetime, window_s: int) -> tuple[str, datetime]:
    n = int(now.timestamp()) // window_s
    return f"{what}:{who[:200]}:{n}", datetime.fromtimestamp((n + 1) * window_s, tz=now.tzinfo)


def hit(session: Session, what: str, who: str, *, now: datetime, window_s: int) -> int:
    """Count one more attempt of `what` by `who` in the current window; the count including this one."""
    key, expires = _key(what, who, now, window_s)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(RateCounter).values(key=key, count=1, expires_at=expires)
    stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={"count": RateCounter.count + 1})  # type: ignore[arg-type]
    count = session.execute(stmt.returning(RateCounter.count)).scalar_one()  # type: ignore[attr-defined]
    return int(count)


def forgive(session: Session, what: str, who: str, *, now: datetime, window_s: int, reset: bool = False) -> None:
    """Take one attempt back (a successful login is not a failure), or the whole count with `reset`."""
    key, _ = _key(what, who, now, window_s)
    value = 0 if reset else RateCounter.count - 1
    session.execute(update(RateCounter).where(RateCounter.key == key).values(count=value))  # type: ignore[arg-type]


def sweep(session: Session, *, now: datetime) -> None:
    session.execute(delete(RateCounter).where(RateCounter.expires_at < now - timedelta(hours=1)))  # type: ignore[arg-type]


def limit(session: Session, what: str, who: str, *, now: datetime, window_s: int, max_count: int) -> None:
    """Count an attempt; 429 past `max_count` in the window. Committed at once, so a refused request still counts."""
    n = hit(session, what, who, now=now, window_s=window_s)
    session.commit()
    if n > max_count:
        raise ApiError(f"too many {what} requests from here; try again later", code="too_many_requests", status=429,
                       params={"retry_after_s": window_s})
