"""Named deadlines of a case (public notice, bidding, validity, annual report): one row per (case, name). Flush only."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from db.models import Deadline


def deadline(s: Session, case_id: str, name: str) -> Deadline | None:
    """The case's deadline of that name, if set."""
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
