"""An objection's receipt (回执编号) and the objector's look-up of its status by receipt number and phone (issue 15).

The objector sees only what became of the objection (受理、调查核实中、成立/不成立) and the department's reply;
the objection's details stay with the officials, and nothing of the objector reaches the applicant."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.errors import Invalid, NotFound
from api.views import iso
from db.models import Case, Objection, Upload, User
from rules.calendar import SHANGHAI

PUBLIC_UPLOADER = 0  # owner_user_id of a file the public attaches without an account (an objector's evidence)
OBJECTION_STATUS = {"pending": "已受理，调查核实中", "upheld": "经调查核实，异议成立", "dismissed": "经调查核实，异议不成立"}
_RECEIPT = re.compile(r"^YY(\d{4})(\d{6,})$")


def public_uploader() -> User:
    """The owner of a file the public attaches (never stored: uploads only keep its id, PUBLIC_UPLOADER)."""
    return User(id=PUBLIC_UPLOADER, username="public", password_hash="", role="public")


def receipt_no(objection_id: int, filed_at: datetime) -> str:
    """YY + the filing year (Beijing time) + the objection's number, six digits: YY2026000012."""
    return f"YY{filed_at.astimezone(SHANGHAI).year}{objection_id:06d}"


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def attach_evidence(session: Session, row: Objection, upload_ids: list[str]) -> None:
    """Attach files the objector uploaded with the objection (each a public upload not yet attached elsewhere)."""
    for uid in upload_ids:
        up = session.get(Upload, uid)
        if up is None or up.owner_user_id != PUBLIC_UPLOADER or up.case_id not in (None, row.case_id):
            raise Invalid(f"evidence: no such uploaded file {uid}", code="upload_not_found", params={"upload_id": uid})
        up.case_id = row.case_id
    row.evidence = [*row.evidence, *[u for u in upload_ids if u not in row.evidence]]


def lookup(session: Session, *, receipt: str, phone: str) -> dict[str, Any]:
    """An objection's status for its objector: the receipt number and the phone given when filing must both match
    (the same answer for a wrong number and a wrong phone, so neither can be probed)."""
    match = _RECEIPT.match(receipt.strip().upper())
    digits = _digits(phone)
    if len(digits) < 7:
        raise Invalid("phone: give the phone number you filed the objection with", code="objection_phone_required")
    row = session.get(Objection, int(match.group(2))) if match else None
    if (row is None or match is None or receipt_no(row.id or 0, row.filed_at) != receipt.strip().upper()
            or digits not in _digits(row.contact)):
        raise NotFound("no objection with this receipt number and phone", code="objection_not_found")
    case = session.get(Case, row.case_id)
    subject = (case.data.get("platform_name") or case.title or case.applicant) if case else ""
    return {"receipt": receipt_no(row.id or 0, row.filed_at), "status": row.status,
            "status_label": OBJECTION_STATUS.get(row.status, row.status), "filed_at": iso(row.filed_at),
            "decided_at": iso(row.decided_at), "subject": subject, "evidence_count": len(row.evidence),
            "reply": row.decision_comment if row.status != "pending" else None}
