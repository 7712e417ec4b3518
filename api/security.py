"""Passwords (argon2 via pwdlib), bearer tokens (itsdangerous) and login throttling."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pwdlib import PasswordHash
from sqlalchemy import delete, func
from sqlmodel import Session, select

from db.models import LoginFailure


@lru_cache
def hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    try:
        return hasher().verify(password, hashed)
    except Exception:
        return False


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="flow168-api-token")


def issue_token(secret: str, user_id: int) -> str:
    return _serializer(secret).dumps({"u": user_id})


def read_token(secret: str, token: str, max_age: int) -> int | None:
    """The user id in a valid, unexpired token, else None."""
    try:
        data = _serializer(secret).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    return int(data["u"]) if isinstance(data, dict) and "u" in data else None


def throttled(session: Session, *, username: str, now: datetime, window_s: int, max_failures: int) -> bool:
    """Too many recent failed logins for this username."""
    since = now - timedelta(seconds=window_s)
    n = session.exec(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username, LoginFailure.at >= since)
    ).one()
    return int(n) >= max_failures


def record_failure(session: Session, *, username: str, now: datetime) -> None:
    session.add(LoginFailure(username=username, at=now))


def clear_failures(session: Session, *, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))  # type: ignore[arg-type]
