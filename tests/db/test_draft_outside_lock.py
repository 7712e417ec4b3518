"""Issue 12: a document is rendered outside SQLite's write lock, and its gap-free number stays right when another
draft takes the number it was rendered with."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document as Docx
from sqlmodel import Session

from activities import documents as drafting
from activities.documents import DocumentActivities
from activities.voucher_statistics import StatisticsActivities
from db.documents import next_number
from db.engine import make_engine, migrate, session_scope
from db.models import Case, Document
from documents import content
from tests.helpers import take_write_lock_briefly
from workflows.types import DraftDocumentInput
from workflows.voucher_types import StatisticsDraftInput

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _notice(_s: Session, case: Case, _inp: DraftDocumentInput) -> Any:
    return content.provider_filing_notice(number=1, year=2026, issued_on=date(2026, 3, 2), provider_name=case.applicant,
                                          categories=["云服务"], service_items=[("云主机租用（一年）", 360000)],
                                          filed_on=date(2026, 3, 1), cc=[])


@pytest.fixture
def world(tmp_path: Path) -> tuple[Any, DocumentActivities, Path]:
    db = tmp_path / "d.db"
    migrate(f"sqlite:///{db}")
    engine = make_engine(f"sqlite:///{db}")
    with session_scope(engine) as s:
        s.add(Case(id="PA-2026-x", type="provider_admission", status="filing", applicant="宁夏向量信息技术有限公司",
                   created_at=AT, updated_at=AT))
    acts = DocumentActivities(engine=engine, store=tmp_path / "docs", builders={"provider_filing_notice": _notice})
    return engine, acts, db


def _inp() -> DraftDocumentInput:
    return DraftDocumentInput(case_id="PA-2026-x", kind="provider_filing_notice", key=f"k-{uuid.uuid4().hex}", at=AT)


def _text(doc: Document) -> str:
    return "\n".join(p.text for p in Docx(io.BytesIO(Path(doc.path).read_bytes())).paragraphs)


def _render_checking_the_lock(monkeypatch: pytest.MonkeyPatch, db: Path) -> list[int]:
    """Make every render first take SQLite's write lock from another connection (it raises "database is locked" if
    the draft held it); returns the numbers the documents were rendered with."""
    real, seen = drafting.render_docx, []

    def render(doc: Any) -> bytes:
        take_write_lock_briefly(db)
        seen.append(doc.number)
        return real(doc)

    monkeypatch.setattr(drafting, "render_docx", render)
    return seen


def test_rendering_does_not_hold_the_write_lock(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, acts, db = world
    seen = _render_checking_the_lock(monkeypatch, db)
    ref = acts.draft_document(_inp())
    assert seen == [1] and ref.doc_number is not None and ref.doc_number.endswith("〔2026〕1号")
    engine.dispose()


def test_a_number_taken_meanwhile_is_rendered_again_with_the_next(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, acts, _db = world
    real, seen = drafting.render_docx, []

    def render(doc: Any) -> bytes:
        if not seen:  # another draft of the same issuer takes number 1 while this one renders
            with session_scope(engine) as s:
                assert next_number(s, issuer_code=doc.issuer_code, year=doc.year) == 1
        seen.append(doc.number)
        return real(doc)

    monkeypatch.setattr(drafting, "render_docx", render)
    inp = _inp()
    ref = acts.draft_document(inp)
    assert seen == [1, 2]
    with Session(engine) as s:
        stored = s.get(Document, ref.id)
        assert stored is not None and stored.number == 2 and ref.doc_number == stored.doc_number
        assert stored.doc_number in _text(stored)  # the file carries the number it was recorded with
    assert acts.draft_document(inp).id == ref.id  # keyed: a retry returns the same document
    engine.dispose()


def test_the_last_try_renders_inside_the_transaction(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, acts, _db = world
    real, seen = drafting.render_docx, []

    def render(doc: Any) -> bytes:
        if len(seen) < drafting._OPTIMISTIC_TRIES:  # every optimistic try loses its number to another draft
            with session_scope(engine) as s:
                next_number(s, issuer_code=doc.issuer_code, year=doc.year)
        seen.append(doc.number)
        return real(doc)

    monkeypatch.setattr(drafting, "render_docx", render)
    ref = acts.draft_document(_inp())
    assert seen == [1, 2, 3, 4]
    assert ref.doc_number is not None and ref.doc_number.endswith("〔2026〕4号")
    engine.dispose()


def test_the_monthly_report_is_rendered_outside_the_write_lock(world: Any, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The monthly voucher report (~0.7 s of python-docx) is rendered before its writing transaction too, with the
    number the operator's counter gives next; a retry returns the same report."""
    engine, _acts, db = world
    seen = _render_checking_the_lock(monkeypatch, db)
    stats = StatisticsActivities(engine=engine, store=tmp_path / "reports")
    inp = StatisticsDraftInput(year=2026, month=2, at=AT)
    ref = stats.draft(inp)
    assert seen == [1] and ref.doc_number is not None and ref.doc_number.endswith("〔2026〕1号")
    assert stats.draft(inp).id == ref.id and seen == [1]
    engine.dispose()
