"""The create-time check of a priority declaration (003 art. 11(3)): the proofs are the enterprise's own uploads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.errors import Invalid
from db.models import Organization, Upload, User

PROOFS = {"specialized_proof": "“专精特新”认定文件", "credit_rating_proof": "信用评级报告"}


def check_declaration(session: Session, *, user: User, org: Organization, data: dict[str, Any],
                      now: datetime) -> dict[str, Any]:
    """Each proof named must be an upload of the applicant's (the operator verifies it in the review task)."""
    for key, label in PROOFS.items():
        upload_id = data.get(key)
        if not upload_id:
            continue
        up = session.get(Upload, upload_id)
        if up is None or up.owner_user_id != user.id:
            raise Invalid(f"data.{key}: no upload {upload_id} of yours; upload the file first (POST /api/uploads)",
                          code="priority_proof_missing", params={"material": label})
    return {"declared": {"specialized": bool(data.get("specialized")), "credit_rating": data.get("credit_rating")}}


def standing(session: Session, user: User) -> dict[str, Any]:
    """What the enterprise's voucher priority stands at: the verified flags and when (003 art. 11(3))."""
    org = session.get(Organization, user.org_id) if user.org_id else None
    if org is None:
        return {"specialized": False, "credit_rating": None, "verified_at": None}
    return {"specialized": org.specialized, "credit_rating": org.credit_rating,
            "verified_at": org.priority_verified_at}
