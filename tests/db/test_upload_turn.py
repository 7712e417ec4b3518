"""Issue 12, fifteenth round: an upload's row is written in a transaction of its own, with one INSERT, in the thread
pool: the request's session is left as it was (nothing pending, no transaction, so no write lock held for it), the row is
stored when `upload` returns, and a refused file stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from api.errors import ApiError
from api.services import files
from db.engine import make_engine, migrate
from db.models import Upload, User

AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class _File:
    def __init__(self, name: str, data: bytes) -> None:
        self.filename, self._data = name, data

    async def read(self, size: int = -1) -> bytes:
        return self._data if size < 0 else self._data[:size]


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 't.db'}"
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


async def test_an_upload_is_stored_in_its_own_transaction(engine: Any, tmp_path: Path) -> None:
    user = User(id=7, username="u", password_hash="x", role="enterprise", created_at=AT)
    with Session(engine, expire_on_commit=False) as request_session:
        got = await files.upload(request_session, user, _File("证明.pdf", PDF), limit=1 << 20, folder=tmp_path / "up",
                                  now=AT)
        assert not request_session.new and not request_session.in_transaction()
    with Session(engine) as s:
        row = s.get(Upload, got["id"])
    assert row is not None and row.owner_user_id == 7 and row.filename == "证明.pdf"
    assert (row.content_type, row.size, row.sha256) == ("application/pdf", len(PDF), got["sha256"])
    assert row.created_at == AT and Path(row.path).read_bytes() == PDF


async def test_a_refused_file_stores_nothing(engine: Any, tmp_path: Path) -> None:
    user = User(id=7, username="u", password_hash="x", role="enterprise", created_at=AT)
    with Session(engine) as request_session, pytest.raises(ApiError) as err:
        await files.upload(request_session, user, _File("a.exe", b"MZ\x90\x00" * 64), limit=1 << 20,
                           folder=tmp_path / "up", now=AT)
    assert err.value.code == "file_type_refused"
    with Session(engine) as s:
        assert s.exec(select(Upload)).all() == []
    assert not (tmp_path / "up").exists() or not any((tmp_path / "up").iterdir())
