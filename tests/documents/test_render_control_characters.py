"""A name typed with control characters (issue 11) once made python-docx refuse the document, and the drafting
activity retried for ever: the renderer drops what XML cannot hold, everywhere in the document."""

from __future__ import annotations

import dataclasses
from io import BytesIO

import docx

from documents.model import Paragraph
from documents.render import render_docx, xml_safe
from tests.documents import factories


def test_control_characters_are_dropped_not_fatal() -> None:
    doc = factories.certification_notice()
    bad = "宁夏\x0b测试\x01平台\x1f"
    doc = dataclasses.replace(doc, title=doc.title + bad, blocks=[*doc.blocks, Paragraph(text=f"申报单位：{bad}")])
    reopened = docx.Document(BytesIO(render_docx(doc)))
    text = "\n".join(p.text for p in reopened.paragraphs)
    assert "申报单位：宁夏测试平台" in text and "\x0b" not in text and "\x01" not in text
    assert reopened.core_properties.title.endswith("宁夏测试平台")


def test_xml_safe_keeps_tabs_and_newlines() -> None:
    assert xml_safe("a\tb\nc\r\x00d\ufffe") == "a\tb\nc\rd"
