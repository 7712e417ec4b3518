"""The append-only audit log (timeline). Rows are only ever inserted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from db.models import TimelineEvent


def record(
    session: Session,
    *,
    action: str,
    at: datetime,
    actor: str = "system",
    case_id: str | None = None,
    task_id: str | None = None,
    message: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    key: str | None = None,
) -> TimelineEvent:
    """Append one event; with a key, a second call with the same key returns the first event."""
    if key is not None:
        existing = session.exec(select(TimelineEvent).where(TimelineEvent.key == key)).first()
        if existing is not None:
            return existing
    event = TimelineEvent(key=key, case_id=case_id, task_id=task_id, at=at, actor=actor, action=action,
                          message=message, before=before or {}, after=after or {})
    session.add(event)
    session.flush()
    return event


def timeline(session: Session, case_id: str) -> list[TimelineEvent]:
    """A case's events, oldest first."""
    stmt = select(TimelineEvent).where(TimelineEvent.case_id == case_id).order_by(TimelineEvent.id)  # type: ignore[arg-type]
    return list(session.exec(stmt))
