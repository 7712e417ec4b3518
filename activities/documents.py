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
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db import audit
from db import documents as doc_repo
from db.engine import session_scope
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

    @activity.defn(name="draft_document")
    def draft_document(self, inp: DraftDocumentInput) -> DocumentRef:
        with session_scope(self.engine) as s:
            existing = doc_repo.by_key(s, inp.key)
            if existing is not None:
                return DocumentRef(id=existing.id, doc_number=existing.doc_number, sha256=existing.sha256)
            case = s.get(Case, inp.case_id)
            builder = (self.by_type.get(case.type, {}).get(inp.kind) or self.builders.get(inp.kind)) if case else None
            if case is None or builder is None:
                raise ApplicationError(f"cannot draft {inp.kind} for case {inp.case_id}", type="RuleViolation")
            doc = builder(s, case, inp)
            return store_document(s, self.store, doc, key=inp.key, kind=inp.kind, case_id=case.id, at=inp.at)


def store_document(s: Session, store: Path, doc: Any, *, key: str, kind: str, case_id: str | None,
                   at: datetime) -> DocumentRef:
    """Number (official documents), render, write and record one document inside the caller's transaction."""
    if isinstance(doc, OfficialDocument):
        # The number is taken inside this transaction: if anything below fails it is rolled back, no gap.
        doc = dataclasses.replace(doc, number=doc_repo.next_number(s, issuer_code=doc.issuer_code, year=doc.year))
    data = render_docx(doc)
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
