"""Uploads in, documents and uploads out — each checked against the case's parties."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import FileResponse

from api.deps import NowDep, OptionalUserDep, SessionDep, UserDep
from api.errors import ApiError, Forbidden, NotFound
from api.services import files as service
from api.services.files import DOCX
from db.cases import can_view
from db.models import Case, Document

__all__ = ["DOCX", "router"]

router = APIRouter(prefix="/api")


@router.post("/uploads", status_code=201)
async def upload(file: UploadFile, request: Request, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """Store a material (pdf, jpg, png, docx, xlsx, checked by content) outside any served folder."""
    st = request.app.state
    return await service.upload(session, user, file, limit=st.settings.upload_max_bytes, folder=st.uploads_dir,
                                now=now)


@router.get("/uploads/{upload_id}")
def get_upload(upload_id: str, session: SessionDep, user: UserDep, now: NowDep) -> FileResponse:
    """Only the uploader and those who see it among the materials of its case may read an upload."""
    up = service.readable(session, user, upload_id, now=now)
    return FileResponse(up.path, media_type=up.content_type, filename=up.filename)


@router.get("/documents/{doc_id}")
def get_document(doc_id: str, session: SessionDep, user: OptionalUserDep) -> FileResponse:
    """A drafted .docx: public notices for anyone, other documents for the case's parties."""
    doc = session.get(Document, doc_id)
    if doc is None:
        raise NotFound(f"no document {doc_id}", code="document_not_found", params={"document_id": doc_id})
    if not service.published(doc.kind):
        case = session.get(Case, doc.case_id) if doc.case_id else None
        if user is None:
            raise ApiError("log in to download this document", code="login_required", status=401)
        if case is None or not can_view(session, user, case):
            raise Forbidden("only the parties of this case may download its documents", code="not_a_party")
    return FileResponse(doc.path, media_type=DOCX, filename=doc.filename)
