"""Repositories of certification: the yearly call, objections, named deadlines of a case. They only flush."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from db.models import Case, CertificationCall, Deadline, Document, Objection, User


def call_of_year(s: Session, year: int) -> CertificationCall | None:
    return s.exec(select(CertificationCall).where(CertificationCall.year == year)).first()


def latest_call(s: Session, *, now: datetime) -> CertificationCall | None:
    """The newest call opened by now (its deadline may have passed)."""
    return s.exec(select(CertificationCall).where(CertificationCall.opened_at <= now)
                  .order_by(col(CertificationCall.year).desc())).first()


def all_calls(s: Session) -> list[CertificationCall]:
    return list(s.exec(select(CertificationCall).order_by(col(CertificationCall.year).desc())))


def deadline(s: Session, case_id: str, name: str) -> Deadline | None:
    return s.exec(select(Deadline).where(Deadline.case_id == case_id, Deadline.name == name)).first()


def upsert_deadline(s: Session, *, case_id: str, name: str, event_at: datetime, closes_at: datetime,
                    working_days: int | None, confirmed: bool, open: bool = True) -> Deadline:
    """One row per (case, name): a yearly deadline such as `annual_report` moves on to the next year."""
    row = deadline(s, case_id, name)
    if row is None:
        row = Deadline(case_id=case_id, name=name, event_at=event_at, closes_at=closes_at)
        s.add(row)
    row.event_at, row.closes_at, row.working_days = event_at, closes_at, working_days
    row.confirmed, row.open = confirmed, open
    s.flush()
    return row


def objection_by_key(s: Session, key: str) -> Objection | None:
    return s.exec(select(Objection).where(Objection.key == key)).first()


def objections_of(s: Session, case_id: str) -> list[Objection]:
    return list(s.exec(select(Objection).where(Objection.case_id == case_id).order_by(col(Objection.id))))


def active_experts(s: Session) -> list[str]:
    """Usernames of the active experts, in a stable order."""
    return list(s.exec(select(User.username).where(User.role == "expert", User.status == "active")
                       .order_by(col(User.username))))


def published_documents(s: Session, *, kinds: list[str], q: str | None = None) -> list[Document]:
    conds = [col(Document.kind).in_(kinds)]
    if q:
        conds.append(col(Document.title).contains(q))
    return list(s.exec(select(Document).where(*conds).order_by(col(Document.created_at).desc())))


def titles_of(s: Session, *, org_id: int | None) -> list[Case]:
    """The organisation's certification cases whose title is held now."""
    return list(s.exec(select(Case).where(Case.type == "certification", Case.applicant_org_id == org_id,
                                          Case.status == "granted")))
