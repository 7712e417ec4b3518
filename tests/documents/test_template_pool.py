"""Issue 12: drafts reuse parsed base documents (`documents.ooxml.PackageTemplate`). Every sample document comes out
byte for byte as when each draft opened the base document itself, drafted in any order and side by side."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

from docx import Document as open_docx

from documents import ooxml, render
from documents.model import FormDocument, OfficialDocument
from tests.documents import factories


def _opening_the_base(doc) -> bytes:
    """The renderer as it was: open the base .docx for every draft, write every part."""
    doc = render._scrubbed(doc)
    docx = open_docx(BytesIO(render._base_docx(landscape=isinstance(doc, FormDocument) and doc.landscape)))
    if isinstance(doc, OfficialDocument):
        render._render_head(docx, doc)
    else:
        render._render_form_head(docx, doc)
    render._render_blocks(docx, doc.blocks)
    if isinstance(doc, OfficialDocument):
        render._render_signoff(docx, doc)
        render._render_record(docx, doc)
    render._set_properties(docx, doc)
    return ooxml.package_bytes(docx, stamp=doc.date, font_fallbacks=render.FONT_FALLBACKS)


def test_every_document_is_the_same_as_opening_the_base_in_any_order_and_side_by_side() -> None:
    docs = [build() for build in factories.ALL]
    expected = [_opening_the_base(d) for d in docs]
    order = [i for i in range(len(docs)) for _ in range(3)]
    random.Random(168).shuffle(order)
    assert [render.render_docx(docs[i]) for i in order] == [expected[i] for i in order]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda i: render.render_docx(docs[i]), order))
    assert got == [expected[i] for i in order]


def test_a_template_that_gained_a_part_is_not_lent_again() -> None:
    pool = ooxml.TemplatePool(render._base_docx(landscape=False), font_fallbacks=render.FONT_FALLBACKS)
    template = pool.take()
    docx = template.fresh()
    docx.part.relate_to("http://example.invalid/", "http://schemas.openxmlformats.org/officeDocument/2006/"
                        "relationships/hyperlink", is_external=True)
    data = template.package_bytes(stamp=factories.ALL[0]().date)
    assert b"example.invalid" in _member(data, "word/_rels/document.xml.rels")
    pool.give_back(template)
    assert pool.take() is not template


def _member(data: bytes, name: str) -> bytes:
    from zipfile import ZipFile

    with ZipFile(BytesIO(data)) as z:
        return z.read(name)
