"""Stored documents and the gap-free number counter."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from db.models import DocCounter, Document


def next_number(session: Session, *, issuer_code: str, year: int) -> int:
    """Take the next number of an issuer's year inside the caller's transaction (rolled back with it: no gaps)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = DocCounter.__table__  # type: ignore[attr-defined]
    stmt = (
        insert(table)
        .values(issuer_code=issuer_code, year=year, last_number=1)
        .on_conflict_do_update(index_elements=["issuer_code", "year"], set_={"last_number": table.c.last_number + 1})
        .returning(table.c.last_number)
    )
    return int(session.execute(stmt).scalar_one())


def peek_number(session: Session, *, issuer_code: str, year: int) -> int:
    """The number `next_number` would take now (read only; another writer may take it first)."""
    last = session.exec(select(DocCounter.last_number).where(DocCounter.issuer_code == issuer_code,
                                                             DocCounter.year == year)).first()
    return int(last or 0) + 1


def by_key(session: Session, key: str) -> Document | None:
    return session.exec(select(Document).where(Document.key == key)).first()


def for_case(session: Session, case_id: str) -> list[Document]:
    return list(session.exec(select(Document).where(Document.case_id == case_id).order_by(Document.created_at)))
