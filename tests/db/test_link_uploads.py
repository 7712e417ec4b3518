"""Linking a decision's uploads to its case (issue 12): one UPDATE of the caller's unlinked uploads after the read-only
checks, refused as a whole when one of them went to another case meanwhile."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from api.errors import Invalid
from api.services.tasks import link_uploads
from db.engine import session_scope
from db.models import Upload, User

pytestmark = pytest.mark.pg


def _uploads(engine: Engine, owner: int, *cases: str | None) -> list[str]:
    ids = [uuid.uuid4().hex for _ in cases]
    with session_scope(engine) as s:
        for uid, case_id in zip(ids, cases, strict=True):
            s.add(Upload(id=uid, owner_user_id=owner, case_id=case_id, filename="a.pdf", content_type="application/pdf",
                         size=1, sha256="0" * 64, path=uid, created_at=datetime.now(UTC)))
    return ids


def _case_of(engine: Engine, uid: str) -> str | None:
    with session_scope(engine) as s:
        row = s.get(Upload, uid)
        assert row is not None
        return row.case_id


def test_the_callers_unlinked_uploads_are_linked_and_no_others(engine: Engine) -> None:
    owner, case_id = 900_001, f"C-{uuid.uuid4().hex[:8]}"
    mine, already = _uploads(engine, owner, None, case_id)
    (theirs,) = _uploads(engine, owner + 1, None)
    with session_scope(engine) as s:
        link_uploads(s, User(id=owner, username="u"), case_id, {"materials": {"a": mine, "b": already, "c": theirs}})
    assert (_case_of(engine, mine), _case_of(engine, already), _case_of(engine, theirs)) == (case_id, case_id, None)


def test_an_upload_taken_by_another_case_meanwhile_refuses_the_whole_link(engine: Engine) -> None:
    owner, case_id = 900_003, f"C-{uuid.uuid4().hex[:8]}"
    mine, taken = _uploads(engine, owner, None, "C-OTHER")
    with pytest.raises(Invalid) as exc, session_scope(engine) as s:
        link_uploads(s, User(id=owner, username="u"), case_id, {"materials": {"a": mine, "b": taken}})
    assert exc.value.code == "upload_of_other_case"
    assert (_case_of(engine, mine), _case_of(engine, taken)) == (None, "C-OTHER")  # rolled back
