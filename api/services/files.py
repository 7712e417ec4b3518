"""Uploads: a material checked by content, stored outside any served folder."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import filetype
from sqlalchemy import insert
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError, Invalid, NotFound
from db.engine import session_scope
from db.models import Upload, User

ALLOWED = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DOCX = ALLOWED["docx"]


class Readable(Protocol):
    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


def sniff(head: bytes) -> str | None:
    """The allowed type the content really is (never the file name's word for it), or None."""
    kind = filetype.guess(head)
    if kind is None or kind.extension not in ALLOWED:
        return None
    return ALLOWED[kind.extension]


async def upload(session: Session, user: User, file: Readable, *, limit: int, folder: Path,
                 now: datetime) -> dict[str, Any]:
    """Store a material (pdf, jpg, png, docx, xlsx, checked by content) of at most `limit` bytes in `folder`.

    The file is read on the event loop; its content check, the file on disk, its hash and its row are done in the thread
    pool, the row in a transaction of its own with one INSERT (issue 12, fifteenth round: the row was added to the
    request's session and written by the ORM at its commit, five milliseconds at SQLite's write lock for one row). The
    upload is stored once this returns, whatever the rest of the request does, as an upload through the API always
    was; a page that then fails leaves an upload nobody links, as the file on disk always did."""
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(f"the file is larger than the limit of {limit // (1024 * 1024)} MB",
                       code="file_too_large", params={"limit_mb": limit // (1024 * 1024)}, status=413)
    if not data:
        raise Invalid("file: the file is empty", code="file_empty")
    owner, filename = user.id, (file.filename or "upload")[:200]
    assert owner is not None
    return await run_in_threadpool(_store, session.get_bind(), owner, filename, data, folder, now)


def _store(engine: Any, owner: int, filename: str, data: bytes, folder: Path, now: datetime) -> dict[str, Any]:
    content_type = sniff(data[:8192] if not data.startswith(b"PK") else data)
    if content_type is None:
        raise ApiError("file: only PDF, JPG, PNG, DOCX and XLSX files are accepted (checked by content)",
                       code="file_type_refused", status=415)
    uid = secrets.token_hex(16)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / uid
    path.write_bytes(data)
    row = {"id": uid, "owner_user_id": owner, "filename": filename, "content_type": content_type, "size": len(data),
           "sha256": hashlib.sha256(data).hexdigest(), "path": str(path), "created_at": now}
    with session_scope(engine) as s:
        s.execute(_INSERT, row)
    return {k: row[k] for k in ("id", "sha256", "size", "content_type", "filename")}


_INSERT = insert(Upload.__table__)  # type: ignore[attr-defined]


def readable(session: Session, user: User, upload_id: str, *, now: datetime) -> Upload:
    """An upload `user` may read: their own, or one of the materials of a case as `user` sees the case (the case
    service's view, with its redaction: a provider party does not get the enterprise's materials), else 404."""
    from api.services import cases as case_service
    from api.services.objections import PUBLIC_UPLOADER

    up = session.get(Upload, upload_id)
    missing = NotFound(f"no upload {upload_id}", code="upload_not_found", params={"upload_id": upload_id})
    if up is None:
        raise missing
    if up.owner_user_id == PUBLIC_UPLOADER:  # an objector's evidence: the department investigates it, nobody else
        if user.role == "department" and up.case_id:
            return up
        raise missing
    if up.owner_user_id == user.id:
        return up
    if not up.case_id:
        raise missing
    try:
        view = case_service.view(session, user, up.case_id, now=now)
    except ApiError:
        raise missing from None
    if up.id not in {m["id"] for m in view.get("materials", [])}:
        raise missing
    return up


def published(kind: str) -> bool:
    """A document kind everyone may download: every public notice, and what a process publishes (its spec's
    `public_documents`, e.g. the certification notices listed at /api/public/certification/documents)."""
    from processes.registry import specs

    return kind == "public_notice" or any(kind in spec.public_documents for spec in specs().values())
