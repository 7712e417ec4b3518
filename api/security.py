"""Passwords (argon2 via pwdlib) and bearer tokens (itsdangerous); login throttling is api/throttle.py."""

from __future__ import annotations

from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pwdlib import PasswordHash


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
