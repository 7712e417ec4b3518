"""Public data (providers, platforms, notices), the calendar of a year and the caller's notifications."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import docx
from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from sqlalchemy import func
from sqlmodel import Session, col, select

from api.deps import page
from api.errors import NotFound
from api.views import document_json, iso
from db.calendar import load_calendar
from db.models import Case, Document, Notification, Organization, User
from rules.calendar import CalendarUnavailable
from rules.cities import CITIES
from rules.voucher import CATEGORIES


def calendar_year(session: Session, year: int) -> dict[str, Any]:
    """Every day of a year: working day or not, and why; `confirmed` is false for a year not yet published."""
    cal = load_calendar(session)
    try:
        sched = cal.schedule(year)
    except CalendarUnavailable as exc:
        raise NotFound(exc.message, code=exc.code, params={"year": exc.year}) from None
    days = [{"date": d.day.isoformat(), "workday": d.is_workday, "kind": d.kind} for d in cal.year_days(year)]
    return {"year": year, "confirmed": sched.confirmed, "holidays": sorted(d.isoformat() for d in sched.holidays),
            "makeup_workdays": sorted(d.isoformat() for d in sched.makeup_workdays),
            "workdays": sum(1 for d in days if d["workday"]), "days": days}


def providers(session: Session, *, q: str | None = None, category: str | None = None, city: str | None = None,
              limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """The signed service providers (seed 000 四), searchable by name."""
    conds: list[Any] = [Organization.signed == True, Organization.blacklisted == False]  # noqa: E712
    if q:
        conds.append(col(Organization.name).contains(q))
    if city:
        conds.append(Organization.city == city)
    rows = session.exec(select(Organization).where(*conds).order_by(col(Organization.name))).all()
    if category:
        rows = [o for o in rows if category in o.categories]
    items = [{"id": o.id, "name": o.name, "city": o.city, "city_name": CITIES.get(o.city or "", ""),
              "categories": o.categories, "category_names": [CATEGORIES.get(c, c) for c in o.categories],
              "signed_at": iso(o.signed_at), "signed_until": o.signed_until.isoformat() if o.signed_until else None,
              "source": _source(o.signed_source)}
             for o in rows]
    shown = items[offset: offset + max(1, min(limit, 500))]
    _add_contacts_and_items(session, shown)
    return page(shown, len(items))


def _add_contacts_and_items(session: Session, items: list[dict[str, Any]]) -> None:
    """Each listed provider's contact (its provider account's name, phone, e-mail) and the service items with prices
    of its filed admission (003 art. 8: 备案的服务项目及价格), for enterprises choosing a provider."""
    ids = [item["id"] for item in items]
    if not ids:
        return
    contacts: dict[int, User] = {}
    for u in session.exec(select(User).where(col(User.org_id).in_(ids), User.role == "provider",
                                             User.status == "active").order_by(col(User.id))):
        contacts.setdefault(u.org_id, u)  # type: ignore[arg-type]
    filed: dict[int, Case] = {}
    for c in session.exec(select(Case).where(col(Case.applicant_org_id).in_(ids), Case.type == "provider_admission",
                                             Case.status == "filed").order_by(col(Case.created_at))):
        filed[c.applicant_org_id] = c  # type: ignore[index]  # the latest filing wins
    for item in items:
        u = contacts.get(item["id"])
        item["contact"] = ({"name": u.display_name or u.username, "phone": u.phone, "email": u.email}
                           if u is not None else None)
        case = filed.get(item["id"])
        item["service_items"] = [{"name": str(si.get("name", "")), "price_fen": int(si.get("price_fen", 0))}
                                 for si in (case.data.get("service_items") or [] if case else [])
                                 if isinstance(si, dict)]


def _source(signed_source: str | None) -> str:
    """Why a provider is signed: the 2019 list, an admission filing (yearly, 000 四), or the network by rule."""
    if signed_source == "seed:2019":
        return "2019年签约名单"
    if (signed_source or "").startswith("network:"):
        return "平台网络单位（视为签约服务机构）"
    return "准入备案"


def notices(session: Session, *, q: str | None = None) -> dict[str, Any]:
    """Published public notices (公示)."""
    conds: list[Any] = [Document.kind == "public_notice"]
    if q:
        conds.append(col(Document.title).contains(q))
    rows = session.exec(select(Document).where(*conds).order_by(col(Document.created_at).desc())).all()
    return page([{**document_json(d), "case_id": d.case_id} for d in rows], len(rows))


NOTICE_TEXT_STYLES = ("GB Title", "GB Plain", "GB Body", "GB Heading", "GB Signature")


def notice(session: Session, doc_id: str) -> dict[str, Any]:
    """A public notice as the page shows it: its text and its list read from the drafted document itself (the one
    the department signs), in order, without 版头 or 版记; with the case it concerns."""
    d = session.get(Document, doc_id)
    if d is None or d.kind != "public_notice":
        raise NotFound(f"no public notice {doc_id}", code="document_not_found", params={"document_id": doc_id})
    return {**document_json(d), "case_id": d.case_id, "blocks": _docx_blocks(Path(d.path))}


def _docx_blocks(path: Path) -> list[dict[str, Any]]:
    """The body of a drafted .docx as blocks: {"kind": "title"|"heading"|"paragraph"|"signature", "text"} or
    {"kind": "table", "headers", "rows"}."""
    try:
        document = docx.Document(str(path))
    except Exception:  # a file not (yet) on this disk or not a .docx: the page shows the notice's title and link only
        logging.getLogger("flow168").warning("public notice %s cannot be read for the page", path)
        return []
    blocks: list[dict[str, Any]] = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            paragraph = DocxParagraph(element, document)
            style = paragraph.style.name if paragraph.style is not None else ""
            text = paragraph.text.strip()
            if not text or not style.startswith(NOTICE_TEXT_STYLES):
                continue
            kind = ("title" if style == "GB Title" else "heading" if style.startswith("GB Heading")
                    else "signature" if style == "GB Signature" else "paragraph")
            blocks.append({"kind": kind, "text": text.replace("\n", "")})
        elif element.tag == qn("w:tbl"):
            rows = [[cell.text for cell in row.cells] for row in DocxTable(element, document).rows]
            if rows:
                blocks.append({"kind": "table", "headers": rows[0], "rows": rows[1:]})
    return blocks


def platforms(session: Session, *, q: str | None = None) -> dict[str, Any]:
    """The register of certified demonstration platforms (seed 002 art. 15)."""
    conds: list[Any] = [Case.type == "certification", Case.status == "granted"]
    if q:
        conds.append(col(Case.title).contains(q))
    rows = session.exec(select(Case).where(*conds)).all()
    items = [{"case_id": c.id, "name": c.data.get("platform_name", c.applicant), "operator": c.applicant,
              "city": c.city, "valid_until": c.result.get("valid_until")} for c in rows]
    for item, c in zip(items, rows, strict=True):
        item.update(granted_on=c.result.get("granted_on"), priority_support=bool(c.result.get("priority_support")),
                    annual_ratings=c.result.get("annual_ratings", {}))
    return page(items, len(items))


def notifications(session: Session, user: User, *, unread: bool = False, limit: int = 50) -> dict[str, Any]:
    """The user's in-app messages, newest first."""
    conds: list[Any] = [Notification.user_id == user.id, Notification.channel == "inapp"]
    if unread:
        conds.append(col(Notification.read_at).is_(None))
    total = session.exec(select(func.count()).select_from(Notification).where(*conds)).one()
    rows = session.exec(select(Notification).where(*conds).order_by(col(Notification.id).desc()).limit(limit))
    items = [{"id": n.id, "kind": n.kind, "subject": n.subject, "body": n.body, "case_id": n.case_id,
              "task_id": n.task_id, "created_at": iso(n.created_at), "read": n.read_at is not None} for n in rows]
    return page(items, int(total))


def mark_read(session: Session, user: User, nid: int, *, now: datetime) -> dict[str, Any]:
    """Mark one of the user's notifications read."""
    n = session.get(Notification, nid)
    if n is None or n.user_id != user.id:
        raise NotFound(f"no notification {nid}", code="notification_not_found", params={"notification_id": nid})
    n.read_at = n.read_at or now
    return {"id": nid, "read": True}
