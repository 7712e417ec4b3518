"""Users and organisations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from db import audit
from db.cases import APPLICANTS
from db.models import Organization, User


def by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


class Recipient(NamedTuple):
    id: int
    email: str | None
    phone: str | None


def recipients(
    session: Session, *, usernames: Sequence[str], roles: Sequence[str], city: str | None, org_id: int | None
) -> list[Recipient]:
    """Active users named, plus the active holders of the roles (within the city or organisation when given): their
    ids and addresses, in one query (the outbox writes them inside its writing transaction, issue 12)."""
    who = []
    if usernames:
        who.append(col(User.username).in_(list(usernames)))
    for role in roles:
        cond = [User.role == role, User.status == "active"]
        if role == "city_bureau" and city:
            cond.append(User.city == city)
        if role in APPLICANTS and org_id is not None:
            cond.append(User.org_id == org_id)
        who.append(and_(*cond))
    if not who:
        return []
    rows = session.execute(select(User.id, User.email, User.phone).where(or_(*who)).order_by(col(User.id)))
    return [Recipient(*r) for r in rows]


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
