"""Notifications through the outbox: in-app rows always, e-mail and SMS where configured."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Engine, bindparam, func
from sqlmodel import Session, col, select

from activities.channels import Mailer, SmsSender
from activities.definition import defn
from db import users
from db.engine import CONFLICT_INSERTS, reader, session_scope
from db.models import Notification, User
from db.users import Recipient
from rules.calendar import SHANGHAI
from workflows.types import NotifyInput


@dataclass
class NotifyActivities:
    """Writes outbox rows keyed (key, user, channel), then delivers the ones not yet sent."""

    engine: Engine
    mailer: Mailer | None
    sms: SmsSender | None

    @defn(name="notify")
    def notify(self, inp: NotifyInput) -> int:
        """Returns how many messages the outbox holds for this key (a retry adds none)."""
        # Whom it reaches is read before the write lock (issue 12, fifteenth round: the turn is the outbox's INSERT and
        # its count); a user who changes meanwhile counts as changed just after.
        with session_scope(reader(self.engine)) as r:
            people = self.recipients(r, inp)
        with session_scope(self.engine) as s:
            held = self.write(s, inp, people)
        self.deliver(inp, people)
        return held

    def write(self, s: Session, inp: NotifyInput, people: list[Recipient] | None = None) -> int:
        """The outbox rows of one message, inside the caller's transaction (one INSERT … ON CONFLICT DO NOTHING for
        them all); returns how many the outbox holds for the key. `deliver` sends the e-mail and SMS after commit.
        `people`: its recipients when the caller read them already (before its turn at the write lock)."""
        body = inp.body
        if inp.due_at is not None:
            body = f"{body}（办理期限：{shanghai_deadline(inp.due_at)}）"
        if people is None:
            people = self.recipients(s, inp)
        rows = [{"key": inp.key, "user_id": u.id, "channel": channel, "kind": inp.kind, "subject": inp.subject,
                 "body": body, "case_id": inp.case_id, "task_id": inp.task_id, "created_at": inp.at,
                 "sent_at": inp.at if channel == "inapp" else None}
                for u in people for channel in self._channels(u)]
        if rows:
            s.execute(_outbox_insert(s.get_bind().dialect.name), rows)
        return s.execute(_HELD, {"key": inp.key}).scalar_one()

    @staticmethod
    def recipients(s: Session, inp: NotifyInput) -> list[Recipient]:
        """Who a message goes to: the active users it names and the holders of its roles."""
        return users.recipients(s, usernames=inp.usernames, roles=inp.roles, city=inp.city, org_id=inp.org_id)

    def deliver(self, inp: NotifyInput, people: list[Recipient] | None = None) -> None:
        """Send what `write` left for e-mail and SMS (in-app rows are delivered by being written). `people`: the
        recipients `write` was given; when none of them has an address for a configured channel, `write` left nothing
        to send and the outbox is not read again."""
        if people is not None and all(self._channels(u) == ["inapp"] for u in people):
            return
        if self.mailer is not None or self.sms is not None:
            self._deliver(inp.key, inp.at)

    def _channels(self, user: Recipient) -> list[str]:
        out = ["inapp"]
        if self.mailer is not None and user.email:
            out.append("email")
        if self.sms is not None and user.phone:
            out.append("sms")
        return out

    def _deliver(self, key: str, at: datetime) -> None:
        with session_scope(reader(self.engine)) as s:
            rows = s.exec(select(Notification).where(Notification.key == key, col(Notification.sent_at).is_(None))).all()
            targets = [(n.id, n.channel, s.get(User, n.user_id), n.subject, n.body) for n in rows]
        for nid, channel, user, subject, body in targets:
            if user is None:
                continue
            try:
                if channel == "email" and self.mailer is not None and user.email:
                    self.mailer.send(to=user.email, subject=subject, body=body)
                elif channel == "sms" and self.sms is not None and user.phone:
                    self.sms.send(to=user.phone, text=f"{subject} {body}"[:300])
                error = None
            except Exception as exc:  # delivery failure is recorded, not retried forever by the workflow
                error = str(exc)[:500]
            with session_scope(self.engine) as s:
                n = s.get(Notification, nid)
                if n is not None:
                    n.error = error
                    if error is None:
                        n.sent_at = at


_TABLE = Notification.__table__  # type: ignore[attr-defined]
_HELD = select(func.count()).select_from(_TABLE).where(_TABLE.c.key == bindparam("key"))


@cache
def _outbox_insert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (key, user, channel) DO NOTHING, built once: a retry adds no row."""
    return CONFLICT_INSERTS[dialect](_TABLE).on_conflict_do_nothing(index_elements=["key", "user_id", "channel"])


def shanghai_deadline(at: datetime) -> str:
    """A due time as officials read it: 2026年11月27日 24:00 (midnight shown as 24:00 of the day before)."""
    local = at.astimezone(SHANGHAI)
    if local.hour == 0 and local.minute == 0:
        day = local.date() - timedelta(days=1)
        return f"{day.year}年{day.month}月{day.day}日 24:00"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
