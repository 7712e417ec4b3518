"""The type of a form field that holds an upload id: the web form shows it as a file picker (api/pages_forms.py reads
the mark from the JSON schema), the API takes the id `POST /api/uploads` returned."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

UPLOAD_FORMAT = "upload-id"  # the JSON schema's "format" of an upload id

# One uploaded file (its id); `list[UploadId]` for several.
UploadId = Annotated[str, Field(min_length=1, max_length=64, json_schema_extra={"format": UPLOAD_FORMAT})]
