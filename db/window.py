"""Window-platform onboarding's queries: its settings, a builder's onboardings, the connected windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from db.models import Case, User, WindowAgreement, WindowSetting
from workflows.window_types import WindowSettings

TYPE = "window_onboarding"


def settings(s: Session) -> WindowSettings:
    """The settings in force (the defaults where none were entered)."""
    row = s.get(WindowSetting, 1)
    return WindowSettings.model_validate(row.settings if row is not None else {})


def save_settings(s: Session, value: WindowSettings, *, by: str, at: datetime) -> WindowSetting:
    row = s.get(WindowSetting, 1)
    if row is None:
        row = WindowSetting(id=1, settings={}, updated_by=by, updated_at=at)
        s.add(row)
    row.settings, row.updated_by, row.updated_at = value.model_dump(mode="json"), by, at
    s.flush()
    return row


def active_experts(s: Session) -> list[str]:
    """Usernames of the active experts, in a stable order."""
    return list(s.exec(select(User.username).where(User.role == "expert", User.status == "active")
                       .order_by(col(User.username))))


def open_onboarding(s: Session, org_id: int) -> Case | None:
    """The organisation's onboarding still under way (not yet connected, rejected or ended)."""
    return s.exec(select(Case).where(Case.type == TYPE, Case.applicant_org_id == org_id,
                                     col(Case.closed_at).is_(None))).first()


def connected_of(s: Session, org_id: int) -> Case | None:
    return s.exec(select(Case).where(Case.type == TYPE, Case.applicant_org_id == org_id,
                                     Case.status == "connected")).first()


def connected_windows(s: Session, *, q: str | None = None, city: str | None = None) -> list[Case]:
    """Every connected window, the longest connected first."""
    conds: list[Any] = [Case.type == TYPE, Case.status == "connected"]
    if city:
        conds.append(Case.city == city)
    rows = list(s.exec(select(Case).where(*conds)))
    if q:
        rows = [c for c in rows if q in str(c.data.get("platform_name", "")) or q in c.applicant]
    return sorted(rows, key=lambda c: (str(c.result.get("connected_at", "")), c.id))


def agreements_of(s: Session, case_id: str) -> list[WindowAgreement]:
    """The agreements a window proposed or was proposed, oldest first."""
    return list(s.exec(select(WindowAgreement).where(
        (WindowAgreement.proposer_case_id == case_id) | (WindowAgreement.partner_case_id == case_id))
        .order_by(col(WindowAgreement.id))))


def live_agreement(s: Session, a: str, b: str) -> WindowAgreement | None:
    """A proposed or signed agreement between two windows, either way round."""
    for row in agreements_of(s, a):
        if {row.proposer_case_id, row.partner_case_id} == {a, b} and row.status in ("proposed", "accepted"):
            return row
    return None
