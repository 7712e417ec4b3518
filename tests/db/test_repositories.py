"""Repositories on SQLite and PostgreSQL: the gap-free document counter, the audit log, the entered calendar."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from db import audit
from db.calendar import load_calendar
from db.documents import next_number
from db.engine import session_scope
from db.models import CalendarYear

pytestmark = pytest.mark.pg


class TestDocumentCounter:
    def test_numbers_are_consecutive_under_concurrency(self, engine: Engine) -> None:
        issuer = f"测{uuid.uuid4().hex[:6]}"

        def take(_: int) -> int:
            with session_scope(engine) as s:
                return next_number(s, issuer_code=issuer, year=2026)

        with ThreadPoolExecutor(max_workers=8) as pool:
            got = sorted(pool.map(take, range(40)))
        assert got == list(range(1, 41))

    def test_a_rolled_back_draft_leaves_no_gap(self, engine: Engine) -> None:
        issuer = f"测{uuid.uuid4().hex[:6]}"
        with session_scope(engine) as s:
            assert next_number(s, issuer_code=issuer, year=2026) == 1
        with pytest.raises(RuntimeError), session_scope(engine) as s:
            next_number(s, issuer_code=issuer, year=2026)
            raise RuntimeError("rendering failed")
        with session_scope(engine) as s:
            assert next_number(s, issuer_code=issuer, year=2026) == 2
            assert next_number(s, issuer_code=issuer, year=2027) == 1


class TestAudit:
    def test_keyed_events_are_written_once(self, engine: Engine) -> None:
        key, now = f"k-{uuid.uuid4()}", datetime.now(UTC)
        with session_scope(engine) as s:
            assert audit.record(s, action="x", at=now, case_id="C1", key=key, after={"n": 1}) is True
            assert audit.record(s, action="x", at=now, case_id="C1", key=key, after={"n": 2}) is False
            events = [e for e in audit.timeline(s, "C1") if e.key == key]
            assert len(events) == 1 and events[0].after == {"n": 1}
            assert events[0].at == now.replace(microsecond=now.microsecond)
        with session_scope(engine) as s:  # a retry in a later transaction adds nothing either
            assert audit.record(s, action="x", at=now, case_id="C1", key=key) is False


class TestEnteredCalendar:
    def test_an_entered_year_overrides_and_is_confirmed(self, engine: Engine) -> None:
        with Session(engine) as s:
            assert load_calendar(s).schedule(2031).confirmed is False
            s.add(CalendarYear(year=2031, holidays=["2031-01-01", "2031-01-02"], makeup_workdays=["2031-01-04"],
                               entered_at=datetime.now(UTC)))
            s.flush()
            cal = load_calendar(s)
            assert cal.schedule(2031).confirmed is True
            assert not cal.is_workday(date(2031, 1, 2)) and cal.is_workday(date(2031, 1, 4))
            s.rollback()


class TestCorrectionKeepsUploads:
    def test_a_correction_replaces_the_uploads_it_names_and_keeps_the_others(self, engine: Engine) -> None:
        """close_task merges a correction into the case: materials it leaves out stay attached (002 art. 11)."""
        from activities.tasks import TaskActivities
        from db.models import Case, Task
        from workflows.types import CloseTaskInput

        now, cid = datetime.now(UTC), f"CT-{uuid.uuid4().hex[:8]}"
        with session_scope(engine) as s:
            s.add(Case(id=cid, type="provider_admission", status="returned", created_at=now, updated_at=now,
                       data={"description": "旧", "materials": {"licence": "U1", "audit_report": "U2"}}))
            s.flush()
            s.add(Task(id=f"{cid}.correction.1", case_id=cid, type="provider_admission.correction", title="补正",
                       role="provider", opened_at=now, due_at=now))
        TaskActivities(engine).close_task(CloseTaskInput(
            task_id=f"{cid}.correction.1", case_id=cid, decision="submit", actor="p", update_case_data=True,
            data={"description": "新", "materials": {"audit_report": "U3"}}, at=now))
        with Session(engine) as s:
            case = s.get(Case, cid)
            assert case is not None
            assert case.data == {"description": "新", "materials": {"licence": "U1", "audit_report": "U3"}}


class TestCertificateSerial:
    def test_certificates_are_numbered_per_year_without_gaps(self, engine: Engine) -> None:
        """Issue 15: a certificate's number is 宁示范〔year〕第N号 from the per-year counter, not an internal id."""
        from activities.certification_documents import certificate
        from db.models import Case
        from workflows.types import DraftDocumentInput

        case = Case(id="P3-TEST", type="certification", status="granted", applicant="吴忠市中小企业服务有限公司",
                    data={"platform_name": "吴忠市中小企业综合服务平台"})
        params = {"valid_from": "2031-05-20", "valid_until": "2034-05-19"}

        def draft(at: datetime) -> str | None:
            with session_scope(engine) as s:
                doc = certificate(s, case, DraftDocumentInput(key="k", case_id=case.id, kind="certificate",
                                                              params=params, at=at))
                return doc.serial

        # 2031 is a year no other test drafts in; the counter may be shared with other tests of this database.
        first = draft(datetime(2031, 5, 20, 2, tzinfo=UTC))
        second = draft(datetime(2031, 5, 21, 2, tzinfo=UTC))
        assert first is not None and second is not None and first.startswith("宁示范〔2031〕第")
        n = int(first.removeprefix("宁示范〔2031〕第").removesuffix("号"))
        assert second == f"宁示范〔2031〕第{n + 1}号"
