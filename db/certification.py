"""Repositories of certification: the yearly call, objections, experts, titles. They only flush."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from db.models import Case, CertificationCall, Document, Objection, Task, User


def call_of_year(s: Session, year: int) -> CertificationCall | None:
    return s.exec(select(CertificationCall).where(CertificationCall.year == year)).first()


def call_of_case(s: Session, case: Case | None) -> CertificationCall | None:
    """The call a certification case applied under (its `result.call_year`); None for a case from before calls."""
    year = case.result.get("call_year") if case is not None else None
    return call_of_year(s, int(year)) if year else None


def latest_call(s: Session, *, now: datetime) -> CertificationCall | None:
    """The newest call opened by now (its deadline may have passed)."""
    return s.exec(select(CertificationCall).where(CertificationCall.opened_at <= now)
                  .order_by(col(CertificationCall.year).desc())).first()


def all_calls(s: Session) -> list[CertificationCall]:
    return list(s.exec(select(CertificationCall).order_by(col(CertificationCall.year).desc())))




def objection_by_key(s: Session, key: str) -> Objection | None:
    return s.exec(select(Objection).where(Objection.key == key)).first()



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


def batch_cases(s: Session, year: int) -> list[Case]:
    """The certification cases of one call year (002 art. 14: one review a year), in case order."""
    rows = s.exec(select(Case).where(Case.type == "certification").order_by(col(Case.id)))
    return [c for c in rows if str(c.result.get("call_year", "")) == str(year)]


def recommendations(s: Session, case_ids: list[str]) -> dict[str, Task]:
    """The city bureau's completed recommendation (decision recommend) of each of the cases that has one."""
    if not case_ids:
        return {}
    rows = s.exec(select(Task).where(col(Task.case_id).in_(case_ids), Task.type == "certification.city_recommendation",
                                     Task.status == "completed", Task.decision == "recommend"))
    return {t.case_id: t for t in rows}


def batch_documents(s: Session, year: int) -> list[Document]:
    """The yearly documents of a batch (key certification.<year>.*), oldest first."""
    return list(s.exec(select(Document).where(col(Document.key).startswith(f"certification.{year}."))
                       .order_by(col(Document.created_at), col(Document.key))))
