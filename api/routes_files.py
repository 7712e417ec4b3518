"""Uploads in, documents and uploads out — each checked against the case's parties."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

import filetype
from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import FileResponse

from api.deps import NowDep, OptionalUserDep, SessionDep, UserDep
from api.errors import ApiError, Forbidden, Invalid, NotFound
from db.cases import can_view
from db.models import Case, Document, Upload

router = APIRouter(prefix="/api")

ALLOWED = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DOCX = ALLOWED["docx"]


def sniff(head: bytes) -> str | None:
    """The allowed type the content really is (never the file name's word for it), or None."""
    kind = filetype.guess(head)
    if kind is None or kind.extension not in ALLOWED:
        return None
    return ALLOWED[kind.extension]


@router.post("/uploads", status_code=201)
async def upload(file: UploadFile, request: Request, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """Store a material (pdf, jpg, png, docx, xlsx, checked by content) outside any served folder."""
    limit = request.app.state.settings.upload_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(f"the file is larger than the limit of {limit // (1024 * 1024)} MB",
                       code="file_too_large", params={"limit_mb": limit // (1024 * 1024)}, status=413)
    if not data:
        raise Invalid("file: the file is empty", code="file_empty")
    content_type = sniff(data[:8192] if not data.startswith(b"PK") else data)
    if content_type is None:
        raise ApiError("file: only PDF, JPG, PNG, DOCX and XLSX files are accepted (checked by content)",
                       code="file_type_refused", status=415)
    uid = secrets.token_hex(16)
    folder: Path = request.app.state.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / uid
    path.write_bytes(data)
    row = Upload(id=uid, owner_user_id=user.id, filename=(file.filename or "upload")[:200],  # type: ignore[arg-type]
                 content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(), path=str(path),
                 created_at=now)
    session.add(row)
    return {"id": uid, "sha256": row.sha256, "size": row.size, "content_type": content_type, "filename": row.filename}


@router.get("/uploads/{upload_id}")
async def get_upload(upload_id: str, session: SessionDep, user: UserDep) -> FileResponse:
    """Only the uploader and the reviewers of the case it belongs to may read an upload."""
    up = session.get(Upload, upload_id)
    if up is None:
        raise NotFound(f"no upload {upload_id}", code="upload_not_found", params={"upload_id": upload_id})
    case = session.get(Case, up.case_id) if up.case_id else None
    if up.owner_user_id != user.id and not (case is not None and can_view(session, user, case)):
        raise NotFound(f"no upload {upload_id}", code="upload_not_found", params={"upload_id": upload_id})
    return FileResponse(up.path, media_type=up.content_type, filename=up.filename)


@router.get("/documents/{doc_id}")
async def get_document(doc_id: str, session: SessionDep, user: OptionalUserDep) -> FileResponse:
    """A drafted .docx: public notices for anyone, other documents for the case's parties."""
    doc = session.get(Document, doc_id)
    if doc is None:
        raise NotFound(f"no document {doc_id}", code="document_not_found", params={"document_id": doc_id})
    if doc.kind != "public_notice":
        case = session.get(Case, doc.case_id) if doc.case_id else None
        if user is None:
            raise ApiError("log in to download this document", code="login_required", status=401)
        if case is None or not can_view(session, user, case):
            raise Forbidden("only the parties of this case may download its documents", code="not_a_party")
    return FileResponse(doc.path, media_type=DOCX, filename=doc.filename)
