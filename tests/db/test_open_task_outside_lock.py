"""Issue 12, twelfth round: a task's due times (its step's settings, the working-day calendar) and the recipients of
its own notice are read before open_task takes SQLite's write lock; the row, its audit entry and the outbox rows are
written in one transaction as before, once, also when the activity is retried."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from activities import tasks as task_activities
from activities.notify import NotifyActivities
from activities.tasks import TaskActivities
from db import users
from db.engine import make_engine, migrate
from db.models import Case, Notification, Organization, Task, User
from tests.helpers import take_write_lock_briefly
from workflows.types import NotifyInput, OpenTaskInput, StepSpec

AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> tuple[Any, Path, int]:
    db = tmp_path / "t.db"
    migrate(f"sqlite:///{db}")
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        org = Organization(kind="enterprise", name="宁夏锁外测试有限公司", city="yinchuan", created_at=AT)
        s.add(org)
        s.flush()
        assert org.id is not None
        s.add(User(username=f"e{uuid.uuid4().hex[:8]}", password_hash="x", role="enterprise", org_id=org.id,
                   created_at=AT))
        s.add(Case(id="VC-2026-lock", type="voucher", status="applying", title="服务券：锁外读取", applicant="锁外",
                   data={}, created_at=AT, updated_at=AT))
        s.commit()
        return engine, db, org.id


def test_due_times_and_recipients_are_read_before_the_write_lock(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, db, org_id = world
    seen: list[str] = []
    real_timing, real_recipients = task_activities.step_timing, users.recipients

    def timing(s: Session, task_type: str) -> tuple[int, int]:
        take_write_lock_briefly(db)
        seen.append("timing")
        return real_timing(s, task_type)

    def recipients(s: Session, **kw: Any) -> list[users.Recipient]:
        take_write_lock_briefly(db)
        seen.append("recipients")
        return real_recipients(s, **kw)

    monkeypatch.setattr(task_activities, "step_timing", timing)
    monkeypatch.setattr(users, "recipients", recipients)
    acts = TaskActivities(engine, notifier=NotifyActivities(engine=engine, mailer=None, sms=None))
    inp = OpenTaskInput(task_id="VC-2026-lock.apply.1", case_id="VC-2026-lock", at=AT,
                        spec=StepSpec(step="apply", type="voucher.apply", title="申领服务券", role="enterprise",
                                      org_id=org_id, decisions=["submit"]))
    opened = acts.open_task(inp)
    again = acts.open_task(inp)  # a retry after the commit writes nothing twice
    assert seen == ["timing", "recipients", "timing", "recipients"]
    assert opened == again and opened.due_at is not None
    with Session(engine) as s:
        task = s.get(Task, "VC-2026-lock.apply.1")
        notes = s.exec(select(Notification).where(Notification.key == "VC-2026-lock.apply.1.your_turn")).all()
    assert task is not None and task.due_at == opened.due_at
    assert [(n.channel, n.subject) for n in notes] == [("inapp", "轮到您办理：申领服务券")]
    engine.dispose()


class _Channel:
    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def send(self, **kw: str) -> None:
        self.sent.append(kw)


def test_a_notice_reads_its_recipients_before_the_write_lock(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12, fifteenth round: `notify` reads whom a message reaches before its turn at the lock (a reader that
    took the write lock itself would block here), then writes the outbox rows once, also when retried."""
    engine, db, org_id = world
    seen: list[str] = []
    real_recipients = users.recipients

    def recipients(s: Session, **kw: Any) -> list[users.Recipient]:
        found = real_recipients(s, **kw)  # in a writing transaction, this read would have taken the lock
        take_write_lock_briefly(db)
        seen.append("recipients")
        return found

    monkeypatch.setattr(users, "recipients", recipients)
    acts = NotifyActivities(engine=engine, mailer=None, sms=None)
    inp = NotifyInput(key="VC-2026-lock.reminder", subject="提醒", body="请办理", roles=["enterprise"], org_id=org_id,
                      case_id="VC-2026-lock", at=AT)
    assert acts.notify(inp) == acts.notify(inp) == 1  # a retry adds nothing
    assert seen == ["recipients", "recipients"]


def test_the_outbox_is_read_for_delivery_only_when_a_recipient_has_an_address(
        world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With e-mail and SMS configured, a message whose recipients have neither an e-mail address nor a phone leaves
    only in-app rows: nothing is left to send, and the outbox is not read again. Given a phone, the SMS goes out."""
    engine, _db, org_id = world
    mail, sms = _Channel(), _Channel()
    acts = NotifyActivities(engine=engine, mailer=mail, sms=sms)
    reads: list[str] = []
    real_deliver = acts._deliver

    def deliver(key: str, at: datetime) -> None:
        reads.append(key)
        real_deliver(key, at)

    monkeypatch.setattr(acts, "_deliver", deliver)
    quiet = NotifyInput(key="k.quiet", subject="提醒", body="请办理", roles=["enterprise"], org_id=org_id, at=AT)
    assert acts.notify(quiet) == 1 and reads == [] and sms.sent == []
    with Session(engine) as s:
        user = s.exec(select(User).where(User.org_id == org_id)).one()
        user.phone = "13800000000"
        s.add(user)
        s.commit()
    loud = NotifyInput(key="k.loud", subject="提醒", body="请办理", roles=["enterprise"], org_id=org_id, at=AT)
    assert acts.notify(loud) == 2  # in-app and SMS
    assert reads == ["k.loud"] and [m["to"] for m in sms.sent] == ["13800000000"] and mail.sent == []
    with Session(engine) as s:
        notes = s.exec(select(Notification).where(Notification.key == "k.loud")).all()
    assert all(n.sent_at is not None for n in notes)
