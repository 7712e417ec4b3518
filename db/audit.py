"""The append-only audit log (timeline). Rows are only ever inserted."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlmodel import Session, select

from db.engine import CONFLICT_INSERTS
from db.models import TimelineEvent

_TABLE = TimelineEvent.__table__  # type: ignore[attr-defined]


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
) -> bool:
    """Append one event at once (one INSERT in the caller's transaction); with a key, a second call with the same key
    adds nothing. Returns whether the event was added.

    A plain INSERT … ON CONFLICT (key) DO NOTHING rather than an ORM object looked up by key and flushed: every
    activity records an event inside its writing transaction, and the lookup and the flush were most of the time
    SQLite's write lock was held for it (issue 12)."""
    values = {"key": key, "case_id": case_id, "task_id": task_id, "at": at, "actor": actor, "action": action,
              "message": message, "before": before or {}, "after": after or {}}
    stmt = _keyed_insert(session.get_bind().dialect.name) if key is not None else None
    if stmt is None:
        if key is not None and session.exec(select(TimelineEvent.id).where(TimelineEvent.key == key)).first():
            return False
        session.execute(_TABLE.insert(), values)
        return True
    return session.execute(stmt, values).first() is not None


@cache
def _keyed_insert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id, built once (the values come as parameters)."""
    insert = CONFLICT_INSERTS.get(dialect)
    return None if insert is None else insert(_TABLE).on_conflict_do_nothing(index_elements=["key"]).returning(
        _TABLE.c.id)


def timeline(session: Session, case_id: str) -> list[TimelineEvent]:
    """A case's events, oldest first."""
    stmt = select(TimelineEvent).where(TimelineEvent.case_id == case_id).order_by(TimelineEvent.id)  # type: ignore[arg-type]
    return list(session.exec(stmt))
