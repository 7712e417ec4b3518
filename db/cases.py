"""Cases: who may see which (one rule for the API, the pages and the files), and the uploads a case holds. Flush only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from db.models import Case, Task, Upload, User

STAFF = ("operator", "department", "admin")
# The roles that act for an organisation (each account kind of registration is one of them).
APPLICANTS = ("enterprise", "provider", "platform_org", "operating_unit")


def expert_may_see(user: User) -> Any:
    """An expert sees the cases of expert tasks that are theirs (assigned or decided) or still open to anyone."""
    return (Task.role == "expert") & (
        (Task.assignee == user.username)
        | (Task.completed_by == user.username)
        | ((Task.status == "open") & col(Task.assignee).is_(None))
    )


def can_view(session: Session, user: User, case: Case) -> bool:
    """Role and scope: staff see all, a city bureau its city, an applicant its organisation, an expert its tasks."""
    if user.role in STAFF:
        return True
    if user.role == "city_bureau":
        return case.city == user.city
    if user.role in APPLICANTS:
        if case.applicant_org_id is not None and case.applicant_org_id == user.org_id:
            return True
        # A party with a step of its own in the case (e.g. the provider that delivers a voucher's service).
        return user.org_id is not None and session.exec(
            select(Task.id).where(Task.case_id == case.id, Task.org_id == user.org_id)).first() is not None
    if user.role == "expert":
        return session.exec(select(Task.id).where(Task.case_id == case.id, expert_may_see(user))).first() is not None
    return False


def visible_to(user: User) -> list[Any]:
    """The conditions that restrict a case list to what `user` may see (the list's side of `can_view`)."""
    if user.role in STAFF:
        return []
    if user.role == "city_bureau":
        return [Case.city == user.city]
    if user.role in APPLICANTS:
        return [Case.applicant_org_id == user.org_id]
    if user.role == "expert":
        return [col(Case.id).in_(select(Task.case_id).where(expert_may_see(user)))]
    return [col(Case.id).is_(None)]


def visible(session: Session, user: User, case_id: str) -> Case | None:
    """The case if `user` may see it."""
    case = session.get(Case, case_id)
    return case if case is not None and can_view(session, user, case) else None


def upload_ids(data: Any) -> set[str]:
    """The upload ids (32 hex characters) named anywhere in a form's data."""
    ids: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str) and len(v) == 32:
            ids.add(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(data)
    return ids


def foreign_uploads(session: Session, user: User, case_id: str | None, data: Any) -> list[str]:
    """The caller's uploads named in the data that already belong to another case (they are not moved)."""
    ids = upload_ids(data)
    if not ids:
        return []
    rows = session.exec(select(Upload).where(col(Upload.id).in_(ids), Upload.owner_user_id == user.id,
                                             col(Upload.case_id).is_not(None)))
    return sorted(up.id for up in rows if up.case_id != case_id)


def attach_uploads(session: Session, user: User, case_id: str, data: Any) -> None:
    """Link the caller's uploads named anywhere in the data to the case (so its reviewers may read them); an upload
    of another case stays there (the services refuse such data first, `foreign_uploads`)."""
    ids = upload_ids(data)
    if ids:  # one UPDATE of the rows not yet linked (issue 12: no upload row is loaded for it)
        table = Upload.__table__  # type: ignore[attr-defined]
        session.execute(update(table).where(table.c.id.in_(ids), table.c.owner_user_id == user.id,
                                            table.c.case_id.is_(None)).values(case_id=case_id))
