"""Drafting documents: gather the case's data, build the content, render it, number it, store it."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import audit
from db import documents as doc_repo
from db.engine import reader, session_scope
from db.models import Case, Document
from documents.model import OfficialDocument
from documents.render import render_docx
from workflows.types import DocumentRef, DraftDocumentInput

Builder = Callable[[Session, Case, DraftDocumentInput], Any]



@dataclass
class DocumentActivities:
    """Stores each drafted document once (keyed), numbered by a gap-free per-issuer-per-year counter."""

    engine: Engine
    store: Path
    builders: dict[str, Builder] = field(default_factory=dict)  # kind -> builder, from every process's worker parts
    # case type -> kind -> builder: a kind several processes draft (e.g. the public notice) is built by the case's own.
    by_type: dict[str, dict[str, Builder]] = field(default_factory=dict)

    @defn(name="draft_document")
    def draft_document(self, inp: DraftDocumentInput) -> DocumentRef:
        """Build and render the document in a read-only transaction, then number and record it in a short writing
        one: on SQLite the write lock is not held while python-docx renders (issue 12). An official document is
        rendered with the number its issuer's counter would give next; if another draft took that number meanwhile,
        it is rendered again with the next one (the last try renders inside the writing transaction)."""
        with Session(reader(self.engine), expire_on_commit=False) as r:
            existing = doc_repo.by_key(r, inp.key)
            if existing is not None:
                return ref_of(existing)
            case = r.get(Case, inp.case_id)
            builder = (self.by_type.get(case.type, {}).get(inp.kind) or self.builders.get(inp.kind)) if case else None
            if case is None or builder is None:
                raise ApplicationError(f"cannot draft {inp.kind} for case {inp.case_id}", type="RuleViolation")
            doc = builder(r, case, inp)
            if isinstance(doc, OfficialDocument):
                doc = dataclasses.replace(doc, number=doc_repo.peek_number(r, issuer_code=doc.issuer_code,
                                                                           year=doc.year))
            r.commit()
        return store_rendered_outside(self.engine, self.store, doc, key=inp.key, kind=inp.kind, case_id=inp.case_id,
                                      at=inp.at)


def store_rendered_outside(engine: Engine, store: Path, doc: Any, *, key: str, kind: str, case_id: str | None,
                           at: datetime) -> DocumentRef:
    """Render `doc` before the writing transaction, then number and record it in a short one (SQLite's write lock is
    not held while python-docx renders, issue 12). An official document comes with the number its issuer's counter
    gave when it was built (`doc_repo.peek_number`); if another draft took that number meanwhile, it is rendered again
    with the next one, and the last try renders inside the writing transaction. A document stored under `key`
    meanwhile is returned as it is."""
    for attempt in range(_OPTIMISTIC_TRIES + 1):
        rendered = None if attempt == _OPTIMISTIC_TRIES else render_docx(doc)
        try:
            with session_scope(engine) as s:
                existing = doc_repo.by_key(s, key)
                if existing is not None:  # another attempt of this activity stored it meanwhile
                    return ref_of(existing)
                return store_document(s, store, doc, key=key, kind=kind, case_id=case_id, at=at, rendered=rendered)
        except _NumberTaken as taken:  # rolled back: the counter's next number is the one it gave
            doc = dataclasses.replace(doc, number=taken.number)
    raise AssertionError("unreachable: the last try renders inside the transaction")


_OPTIMISTIC_TRIES = 3


class _NumberTaken(Exception):
    """The number a document was rendered with was taken by another draft before this one was recorded."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def ref_of(doc: Document) -> DocumentRef:
    """The reference a workflow keeps of a stored document."""
    return DocumentRef(id=doc.id, doc_number=doc.doc_number, sha256=doc.sha256)


def store_document(s: Session, store: Path, doc: Any, *, key: str, kind: str, case_id: str | None,
                   at: datetime, rendered: bytes | None = None) -> DocumentRef:
    """Number (official documents), render, write and record one document inside the caller's transaction.

    `rendered`: the document already rendered (outside the transaction) with `doc.number` for an official document;
    used only if the issuer's counter gives that same number now, else `_NumberTaken` is raised (rolled back)."""
    if isinstance(doc, OfficialDocument):
        # The number is taken inside this transaction: if anything below fails it is rolled back, no gap.
        number = doc_repo.next_number(s, issuer_code=doc.issuer_code, year=doc.year)
        if rendered is not None and number != doc.number:
            raise _NumberTaken(number)
        doc = dataclasses.replace(doc, number=number)
    data = rendered if rendered is not None else render_docx(doc)
    digest = hashlib.sha256(data).hexdigest()
    doc_id = secrets.token_hex(16)
    path = store / f"{doc_id}.docx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    official = isinstance(doc, OfficialDocument)
    row = Document(
        id=doc_id, key=key, case_id=case_id, kind=kind, title=doc.title,
        issuer_code=doc.issuer_code if official else None, year=doc.year if official else None,
        number=doc.number if official else None, doc_number=doc.doc_number if official else None,
        filename=f"{doc.title}.docx", path=str(path), sha256=digest, size=len(data),
        layout_version=doc.layout_version, created_at=at,
    )
    s.add(row)
    audit.record(s, action="document", at=at, case_id=case_id,
                 message=f"已生成《{doc.title}》" + (f"（{row.doc_number}）" if row.doc_number else ""),
                 after={"document_id": doc_id, "sha256": digest}, key=f"{key}.document")
    return DocumentRef(id=doc_id, doc_number=row.doc_number, sha256=digest)
