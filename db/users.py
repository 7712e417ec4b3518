"""Users and organisations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from db import audit
from db.cases import APPLICANTS
from db.models import Organization, User


def by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def recipients(
    session: Session, *, usernames: Sequence[str], roles: Sequence[str], city: str | None, org_id: int | None
) -> list[User]:
    """Active users named, plus the active holders of the roles (within the city or organisation when given)."""
    found: dict[int, User] = {}
    if usernames:
        for u in session.exec(select(User).where(User.username.in_(list(usernames)))):  # type: ignore[attr-defined]
            found[u.id] = u  # type: ignore[index]
    for role in roles:
        stmt = select(User).where(User.role == role, User.status == "active")
        if role == "city_bureau" and city:
            stmt = stmt.where(User.city == city)
        if role in APPLICANTS and org_id is not None:
            stmt = stmt.where(User.org_id == org_id)
        for u in session.exec(stmt):
            found[u.id] = u  # type: ignore[index]
    return list(found.values())


def org(session: Session, org_id: int | None) -> Organization | None:
    return session.get(Organization, org_id) if org_id is not None else None

def unsign_provider(s: Session, org_id: int, *, reason: str, at: datetime, actor: str, key: str,
                    case_id: str | None = None) -> bool:
    """A provider loses its signed status (it leaves /api/public/providers and can no longer bid); False if it had none.
    (a voucher's fraud void, 003 art. 11(1); a failed assessment's revocation, 004 art. 13)."""
    prov = s.get(Organization, org_id)
    if prov is None or not prov.signed:
        return False
    prov.signed = False
    audit.record(s, action="provider_unsigned", at=at, actor=actor, case_id=case_id,
                 message=f"取消{prov.name}签约服务机构资格", before={"signed": True},
                 after={"signed": False, "reason": reason}, key=key)
    return True
