"""The public notice's I/O: its period as a case deadline in working days, objections and their outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import audit, deadlines
from db import certification as repo
from db.calendar import load_calendar
from db.engine import session_scope
from db.models import Deadline, Objection
from rules.calendar import SHANGHAI
from workflows.notice_types import DecideObjectionInput, NoticePeriod, NoticeRef, OpenNoticeInput, RecordObjectionInput


def _period(d: Deadline) -> NoticePeriod:
    return NoticePeriod(name=d.name, starts_on=d.event_at.astimezone(SHANGHAI).date() + timedelta(days=1),
                        ends_on=(d.closes_at.astimezone(SHANGHAI) - timedelta(microseconds=1)).date(),
                        closes_at=d.closes_at, confirmed=d.confirmed)


@dataclass
class PublicNoticeActivities:
    """Notice periods (recomputed with the calendar like every deadline) and the objections filed in them."""

    engine: Engine

    @defn(name="open_public_notice")
    def open_public_notice(self, inp: OpenNoticeInput) -> NoticePeriod:
        """Start the period the day after `at`; it closes at 24:00 of the N-th working day (Civil Code 201, 203)."""
        with session_scope(self.engine) as s:
            row = deadlines.deadline(s, inp.case_id, inp.name)
            if row is None:
                cal = load_calendar(s)
                closes = cal.closes_at(event=inp.at, working_days=inp.working_days)
                start = inp.at.astimezone(SHANGHAI).date()
                row = deadlines.upsert_deadline(
                    s, case_id=inp.case_id, name=inp.name, event_at=inp.at, closes_at=closes,
                    working_days=inp.working_days,
                    confirmed=cal.confirmed_between(start=start, end=closes.astimezone(SHANGHAI).date()))
                period = _period(row)
                audit.record(s, action="public_notice", at=inp.at, case_id=inp.case_id,
                             message=f"公示{inp.working_days}个工作日：{period.starts_on}至{period.ends_on}",
                             after={"closes_at": closes.isoformat(), "confirmed": row.confirmed},
                             key=f"{inp.case_id}.{inp.name}.opened")
            return _period(row)

    @defn(name="public_notice_period")
    def public_notice_period(self, inp: NoticeRef) -> NoticePeriod:
        """The period as stored now (an admin-entered calendar may have moved its close)."""
        with session_scope(self.engine) as s:
            row = deadlines.deadline(s, inp.case_id, inp.name)
            if row is None:
                raise ApplicationError(f"case {inp.case_id} has no {inp.name}", type="RuleViolation")
            return _period(row)

    @defn(name="close_public_notice")
    def close_public_notice(self, inp: NoticeRef) -> None:
        with session_scope(self.engine) as s:
            row = deadlines.deadline(s, inp.case_id, inp.name)
            if row is not None and row.open:
                row.open = False
                audit.record(s, action="public_notice_closed", at=inp.at, case_id=inp.case_id, message="公示期结束",
                             key=f"{inp.case_id}.{inp.name}.closed")

    @defn(name="record_objection")
    def record_objection(self, inp: RecordObjectionInput) -> int:
        """Store the objection once (keyed by the request); returns its id."""
        with session_scope(self.engine) as s:
            row = repo.objection_by_key(s, inp.key)
            if row is None:
                row = Objection(key=inp.key, case_id=inp.case_id, notice=inp.notice, name=inp.name,
                                contact=inp.contact, reason=inp.reason, filed_at=inp.at)
                s.add(row)
                s.flush()
                # The objector's identity stays with the department (the notice promises confidentiality).
                audit.record(s, action="objection", at=inp.at, case_id=inp.case_id, message="公示期间收到实名异议",
                             after={"objection_id": row.id}, key=f"{inp.key}.objection")
            assert row.id is not None
            return row.id

    @defn(name="decide_objection")
    def decide_objection(self, inp: DecideObjectionInput) -> None:
        with session_scope(self.engine) as s:
            row = s.get(Objection, inp.objection_id)
            if row is None or row.status != "pending":
                return
            row.status = "upheld" if inp.decision == "uphold" else "dismissed"
            row.task_id, row.decided_at, row.decision_comment = inp.task_id, inp.at, inp.comment
