"""Text as a form accepts it: no control characters (a name typed with one broke the drafting of documents)."""

from __future__ import annotations

import re
from typing import Any

# XML 1.0 refuses these (C0 controls but tab and newlines, DEL, lone surrogates, non-characters): a .docx cannot hold
# them, and no form field needs them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# A name is one line: every control character goes (tabs and newlines included).
_NOT_IN_NAME = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: Any) -> Any:
    """`value` (a form's data: strings, lists, dicts) with the characters no document can hold removed."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, dict):
        return {k: clean_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_text(v) for v in value]
    return value


def clean_name(value: str) -> str:
    """A name (organisation, platform, person) without control characters, trimmed."""
    return _NOT_IN_NAME.sub("", value).strip()
