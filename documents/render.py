"""Render a document model to .docx bytes in the GB/T 9704-2012 layout, with python-docx."""

import dataclasses
import re
from datetime import datetime
from functools import cache
from io import BytesIO
from typing import Any, NamedTuple

from docx import Document as new_docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from documents import ooxml, pagination
from documents.model import (
    Attachment,
    Document,
    FormDocument,
    Heading,
    OfficialDocument,
    Paragraph,
    Signature,
    Table,
    format_cn_date,
)
from documents.title_lines import break_title

FANGSONG = "仿宋_GB2312"
KAITI = "楷体_GB2312"
HEITI = "黑体"
SONGTI = "宋体"
XIAOBIAOSONG = "方正小标宋简体"  # 小标宋 for header and title; 宋体 is its declared fallback (FONT_FALLBACKS)
# Written to fontTable.xml as w:altName, so a machine without the GB2312-era fonts still finds a face.
FONT_FALLBACKS = {XIAOBIAOSONG: SONGTI, FANGSONG: "仿宋", KAITI: "楷体", HEITI: "SimHei", SONGTI: "SimSun"}
HEADING_FONTS = {1: HEITI, 2: KAITI, 3: FANGSONG, 4: FANGSONG}

RED = "FF0000"
BLACK = "000000"
BODY_PT = 16.0  # 3号
TITLE_PT = 22.0  # 2号
SMALL_PT = 14.0  # 4号: page numbers, 版记, table cells
ISSUER_PT = 36.0  # 小初; long issuer names are compressed (w:w) to fit the 版心
LINE_PT = 28.95  # 22 lines in the 225 mm 版心
TEXT_WIDTH_MM = 156.0
TEXT_WIDTH_PT = TEXT_WIDTH_MM / 25.4 * 72

_CENTER = WD_PARAGRAPH_ALIGNMENT.CENTER
_JUSTIFY = WD_PARAGRAPH_ALIGNMENT.JUSTIFY
_RIGHT = WD_PARAGRAPH_ALIGNMENT.RIGHT
_LEFT = WD_PARAGRAPH_ALIGNMENT.LEFT
_ALIGN = {"justify": _JUSTIFY, "center": _CENTER, "right": _RIGHT}


class _Style(NamedTuple):
    font: str
    size_pt: float
    align: WD_PARAGRAPH_ALIGNMENT
    indent_chars: int = 0
    line_pt: float | None = LINE_PT  # None: single spacing


_STYLES = {
    "GB Issuer": _Style(XIAOBIAOSONG, ISSUER_PT, _CENTER, line_pt=None),
    "GB Number": _Style(FANGSONG, BODY_PT, _CENTER),
    "GB Title": _Style(XIAOBIAOSONG, TITLE_PT, _CENTER),
    "GB Plain": _Style(FANGSONG, BODY_PT, _JUSTIFY),
    "GB Body": _Style(FANGSONG, BODY_PT, _JUSTIFY, indent_chars=2),
    **{f"GB Heading {level}": _Style(font, BODY_PT, _JUSTIFY, indent_chars=2) for level, font in HEADING_FONTS.items()},
    "GB Signature": _Style(FANGSONG, BODY_PT, _RIGHT),
    "GB Serial": _Style(FANGSONG, SMALL_PT, _RIGHT),
    "GB Table": _Style(FANGSONG, SMALL_PT, _CENTER, line_pt=None),
    "GB Record": _Style(FANGSONG, SMALL_PT, _LEFT),
    "GB Page Number": _Style(SONGTI, SMALL_PT, _RIGHT, line_pt=None),
}


# Characters XML 1.0 (and so python-docx) refuses: C0 controls other than tab and newlines, non-characters and lone
# surrogates. A name typed with one must not make the drafting activity fail and retry forever.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters a .docx cannot hold."""
    return _NOT_XML.sub("", text)


def _scrubbed(value: Any) -> Any:
    """The document (a tree of frozen dataclasses, lists and tuples) with every string made `xml_safe`."""
    if isinstance(value, str):
        return xml_safe(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _scrubbed(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, list | tuple):
        return type(value)(_scrubbed(v) for v in value)
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    return value


def render_docx(doc: Document) -> bytes:
    """Render an official or form document to .docx bytes; the same document always gives the same bytes."""
    doc = _scrubbed(doc)
    pool = _templates(landscape=isinstance(doc, FormDocument) and doc.landscape)
    template = pool.take()
    try:
        docx = template.fresh()
        if isinstance(doc, OfficialDocument):
            _render_head(docx, doc)
        else:
            _render_form_head(docx, doc)
        _render_blocks(docx, doc.blocks)
        if isinstance(doc, OfficialDocument):
            _render_signoff(docx, doc)
            _render_record(docx, doc)
        _set_properties(docx, doc)
        return template.package_bytes(stamp=doc.date)
    finally:
        pool.give_back(template)


@cache
def _templates(*, landscape: bool) -> ooxml.TemplatePool:
    """The parsed base documents drafts start from (`ooxml.PackageTemplate`), one per draft in progress."""
    return ooxml.TemplatePool(_base_docx(landscape=landscape), font_fallbacks=FONT_FALLBACKS)


@cache
def _base_docx(*, landscape: bool) -> bytes:
    """The styled, paged, empty document every draft starts from, built once per process.

    Setting up the ~20 GB styles in python-docx's default template (~160 styles, searched linearly by name) and the
    footers cost more than most documents' content; a draft opens these bytes instead, which gives the same XML."""
    docx = new_docx()
    _setup_page(docx)
    _setup_styles(docx)
    if landscape:
        _setup_certificate_page(docx)
    else:
        _setup_footers(docx)
    buffer = BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


@cache
def _style_ids() -> dict[str, str]:
    """The w:styleId of each GB style in the base document."""
    styles = new_docx(BytesIO(_base_docx(landscape=False))).styles
    return {name: styles[name].style_id for name in _STYLES}


def _add_styled(container, style: str) -> DocxParagraph:
    """`container.add_paragraph(style=style)` without python-docx's per-call lookups (by name, then of the default
    paragraph style, each a scan of the ~160 styles): the paragraph gets the style's id directly, the same XML."""
    paragraph = container.add_paragraph()
    paragraph._p.style = _style_ids()[style]
    return paragraph


def _set_run_font(run: Run, *, east_asia: str, size_pt: float, bold: bool = False, color: str | None = None) -> None:
    """Set a run's font in every script slot (python-docx alone sets only the Latin name) and its size."""
    if run._r.rPr is None:
        # A new run: its properties written in schema order at once, the same XML python-docx's setters give
        # (each of them scans for its place among ~40 possible siblings: a seventh of a draft's time, issue 12).
        rpr = OxmlElement("w:rPr")
        rfonts = OxmlElement("w:rFonts")
        ooxml.set_fonts(rfonts, east_asia)
        rpr.append(rfonts)
        if bold:
            rpr.append(OxmlElement("w:b"))
        if color is not None:
            rpr.append(OxmlElement("w:color", {qn("w:val"): str(RGBColor.from_string(color))}))
        rpr.append(OxmlElement("w:sz", {qn("w:val"): str(int(Pt(size_pt).pt * 2))}))
        run._r.insert(0, rpr)
        return
    ooxml.set_fonts(run._r.get_or_add_rPr().get_or_add_rFonts(), east_asia)
    run.font.size = Pt(size_pt)
    if bold:
        run.font.bold = True
    if color is not None:
        run.font.color.rgb = RGBColor.from_string(color)


def _setup_page(docx: DocxDocument) -> None:
    """A4 with the GB/T 9704 margins (版心 156 × 225 mm) and a 28.95 pt line grid."""
    section = docx.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    # Word measures the footer from the page edge to its baseline box; this puts the page number's top
    # about 7 mm below the 版心 as GB/T 9704 §7.5 asks.
    section.footer_distance = Mm(35 - 7) - Pt(SMALL_PT * 1.3)
    ooxml.doc_grid(section._sectPr, line_pitch_twips=round(LINE_PT * 20))


def _setup_certificate_page(docx: DocxDocument) -> None:
    """A certificate: A4 landscape, wide margins, a double frame round the page, no page number."""
    section = docx.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(30), Mm(25)
    section.left_margin = section.right_margin = Mm(40)
    ooxml.page_border(section._sectPr, size=24, colour="C00000", space=20)


def _setup_styles(docx: DocxDocument) -> None:
    """Normal and the GB styles, with East Asian fonts named at every level (defaults, styles, runs)."""
    defaults = docx.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    ooxml.set_fonts(defaults.get_or_add_rFonts(), FANGSONG)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    normal = docx.styles["Normal"]
    _apply_style(normal, _STYLES["GB Body"]._replace(indent_chars=0))
    normal.paragraph_format.widow_control = False  # keeps every page on the 22-line grid
    for name, spec in _STYLES.items():
        style = docx.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        _apply_style(style, spec)
    # Table text keeps its own single spacing: snapped to the 28.95 pt grid, every wrapped cell line took a grid line.
    ooxml.no_grid_snap(docx.styles["GB Table"].element.get_or_add_pPr())
    docx.styles["GB Record"].paragraph_format.tab_stops.add_tab_stop(
        Mm(TEXT_WIDTH_MM) - Pt(SMALL_PT), WD_TAB_ALIGNMENT.RIGHT
    )


def _apply_style(style, spec: _Style) -> None:
    """Write one style spec into a python-docx paragraph style."""
    ooxml.set_fonts(style.element.get_or_add_rPr().get_or_add_rFonts(), spec.font)
    style.font.size = Pt(spec.size_pt)
    fmt = style.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.alignment = spec.align
    fmt.first_line_indent = Pt(spec.size_pt * spec.indent_chars)
    if spec.line_pt is None:
        fmt.line_spacing = 1.0
    else:
        fmt.line_spacing = Pt(spec.line_pt)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY


def _setup_footers(docx: DocxDocument) -> None:
    """Page numbers "— 1 —" in 4号宋体: odd pages right, even pages left, one character in."""
    docx.settings.odd_and_even_pages_header_footer = True
    section = docx.sections[0]
    for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = docx.styles["GB Page Number"]
        fmt = paragraph.paragraph_format
        fmt.alignment = _RIGHT if odd else _LEFT
        if odd:
            fmt.right_indent = Pt(SMALL_PT)
        else:
            fmt.left_indent = Pt(SMALL_PT)
        runs = [paragraph.add_run("— "), *ooxml.add_field(paragraph, "PAGE", "1"), paragraph.add_run(" —")]
        for run in runs:
            _set_run_font(run, east_asia=SONGTI, size_pt=SMALL_PT)


def _para(container, text: str, *, style: str, color: str | None = None, bold: bool = False) -> DocxParagraph:
    """Add a paragraph of one run in a GB style, the run's fonts set explicitly."""
    spec = _STYLES[style]
    paragraph = _add_styled(container, style)
    run = paragraph.add_run(text)
    _set_run_font(run, east_asia=spec.font, size_pt=spec.size_pt, bold=bold, color=color)
    return paragraph


def _blank(container, lines: int = 1) -> None:
    """Add empty body lines (GB/T 9704 spaces elements by whole lines: 空一行, 空二行)."""
    for _ in range(lines):
        _add_styled(container, "GB Plain")


def _width(text: str) -> float:
    """Width in Chinese characters: half-width characters count one half."""
    return sum(0.5 if ord(char) < 0x2E80 else 1.0 for char in text)


def _render_head(docx: DocxDocument, doc: OfficialDocument) -> None:
    """版头 and title: red issuing-body header, document number over a red rule, title, 主送机关."""
    header = _para(docx, doc.issuer_name, style="GB Issuer", color=RED)
    header.paragraph_format.space_before = Mm(35)
    scale = int(TEXT_WIDTH_PT * 0.98 * 100 // (_width(doc.issuer_name) * ISSUER_PT))
    if scale < 100:
        ooxml.set_text_scale(header.runs[0]._r.get_or_add_rPr(), scale)
    _blank(docx, 2)
    number = _para(docx, doc.doc_number, style="GB Number")
    # The rule runs 4 mm (11 pt) under the number, across the paragraph, i.e. the full 156 mm 版心.
    ooxml.paragraph_border(number, bottom=(18, RED, 11))
    _blank(docx, 2)
    _para(docx, "\n".join(break_title(doc.title)), style="GB Title")
    _blank(docx)
    if doc.recipients:
        _para(docx, doc.recipients, style="GB Plain")


def _render_form_head(docx: DocxDocument, doc: FormDocument) -> None:
    """A form's head: optional serial number at the top right, then the title."""
    if doc.serial:
        _para(docx, f"编号：{doc.serial}", style="GB Serial")
    _para(docx, "\n".join(break_title(doc.title)), style="GB Title")
    _blank(docx)


def _render_blocks(docx: DocxDocument, blocks: list) -> None:
    """Render the body blocks in order."""
    previous = None
    for block in blocks:
        match block:
            case Heading():
                _para(docx, block.text, style=f"GB Heading {block.level}").paragraph_format.keep_with_next = True
            case Paragraph():
                paragraph = _para(docx, block.text, style="GB Body" if block.indent_first_line else "GB Plain")
                paragraph.alignment = _ALIGN[block.align]
            case Table():
                if isinstance(previous, Table):
                    _blank(docx)  # Word would fuse two adjacent tables into one
                _render_table(docx, block)
            case Signature():
                _keep_last_with_next(docx)
                _blank(docx)
                _keep_last_with_next(docx)
                for index, line in enumerate(block.lines):
                    paragraph = _para(docx, line, style="GB Signature")
                    paragraph.paragraph_format.right_indent = Pt(BODY_PT * 2)
                    paragraph.paragraph_format.keep_with_next = index < len(block.lines) - 1
            case Attachment():
                if not isinstance(previous, Attachment):
                    _blank(docx)
                _para(docx, block.text, style="GB Body")
        previous = block
    if isinstance(previous, Table):
        _keep_last_row_with_next(docx)
        _blank(docx)  # a body should end with a paragraph, not a table


def _render_table(docx: DocxDocument, block: Table) -> None:
    """A bordered, centred table in 4号; the header row is 黑体 and repeats on each page."""
    widths = block.col_widths_mm or [TEXT_WIDTH_MM / block.columns] * block.columns
    rows = ([block.headers] if block.headers else []) + block.rows
    table = docx.add_table(rows=len(rows), cols=block.columns)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    ooxml.table_borders(table, size=4)
    tbl_width = table._tbl.tblPr.find(qn("w:tblW"))
    tbl_width.set(qn("w:type"), "dxa")
    tbl_width.set(qn("w:w"), str(round(sum(widths) / 25.4 * 1440)))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    for index, (row, values) in enumerate(zip(table.rows, rows, strict=True)):
        is_header = bool(block.headers) and index == 0
        if is_header:
            ooxml.repeat_as_header(row)
        for cell, value, width in zip(row.cells, values, widths, strict=True):
            cell.width = Mm(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph._p.style = _style_ids()["GB Table"]
            # Short values (names, numbers) sit centred as in printed forms; running text reads better left.
            if not is_header and ("\n" in value or _width(value) > 16):
                paragraph.alignment = _JUSTIFY
            _set_run_font(paragraph.add_run(value), east_asia=HEITI if is_header else FANGSONG, size_pt=SMALL_PT)


def _signoff_indents(*, signer: str, date_text: str) -> tuple[float, float]:
    """Right indents (in characters) of signer and date: date 4 in, signer centred over it (GB/T 9704 §7.3.5)."""
    signer_w, date_w = _width(signer), _width(date_text)
    signer_right = 4 + (date_w - signer_w) / 2
    if signer_right >= 2:
        return signer_right, 4.0
    # A long signer would reach the margin: hold it 2 characters in and move the date to stay centred.
    return 2.0, 2 + (signer_w - date_w) / 2


def _keep_last_row_with_next(docx: DocxDocument) -> None:
    """Keep a body's closing table's last row on the page of what follows (the 落款), never split."""
    row = docx.tables[-1].rows[-1]
    ooxml.cant_split(row)
    for cell in row.cells:
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True


def _keep_last_with_next(docx: DocxDocument) -> None:
    """Keep the last body paragraph whole and on the page of what follows (a 落款 never stands alone, §7.3.5)."""
    paragraphs = docx.element.body.findall(qn("w:p"))  # not docx.paragraphs: a wrapper for every paragraph, each call
    if paragraphs:
        fmt = DocxParagraph(paragraphs[-1], docx._body).paragraph_format
        fmt.keep_with_next = True
        fmt.keep_together = True


def _render_signoff(docx: DocxDocument, doc: OfficialDocument) -> None:
    """发文机关署名, 成文日期 and 附注, with room above for the seal, kept on the page of the body's last paragraph."""
    _keep_last_with_next(docx)
    for _ in range(2):
        _blank(docx)
        _keep_last_with_next(docx)
    date_text = format_cn_date(doc.date)
    signer_right, date_right = _signoff_indents(signer=doc.signer, date_text=date_text)
    signer = _para(docx, doc.signer, style="GB Signature")
    signer.paragraph_format.right_indent = Pt(BODY_PT * signer_right)
    signer.paragraph_format.keep_with_next = True
    dated = _para(docx, date_text, style="GB Signature")
    dated.paragraph_format.right_indent = Pt(BODY_PT * date_right)
    if doc.note:
        dated.paragraph_format.keep_with_next = True
        _para(docx, f"（{doc.note}）", style="GB Body")


def _render_record(docx: DocxDocument, doc: OfficialDocument) -> None:
    """版记: 抄送 and 印发机关/印发日期 between a thick rule, thin rules between lines, and a thick rule, at the foot
    of the last even page (§7.4.1): a frame anchored to the bottom of the 版心, after page breaks to that page."""
    lines = [f"\u3000抄送：{'，'.join(doc.cc)}。"] if doc.cc else []
    lines.append(f"\u3000{doc.printer}\t{format_cn_date(doc.print_date)}印发")
    end = pagination.signoff_position(doc, title_lines=len(break_title(doc.title)))
    for _ in range(pagination.record_page(end, record_lines=len(lines)) - end.page):
        _add_styled(docx, "GB Plain").paragraph_format.page_break_before = True
    # One framed paragraph, its lines broken: LibreOffice drops a frame of several bordered paragraphs to the top
    # of the page, so the thin rule between 抄送 and 印发 is not drawn (the thick rules above and below are).
    paragraph = _para(docx, "\n".join(lines), style="GB Record")
    ooxml.bottom_frame(paragraph, width_twips=round(TEXT_WIDTH_MM / 25.4 * 1440))
    # No indents here, since indents would shorten the rules; a full-width space indents the text instead.
    ooxml.paragraph_border(paragraph, top=(8, BLACK, 1), bottom=(8, BLACK, 1))


def _set_properties(docx: DocxDocument, doc: Document) -> None:
    """Core properties from the document itself (never the clock), carrying kind and layout version."""
    props = docx.core_properties
    props.created = props.modified = datetime(doc.date.year, doc.date.month, doc.date.day)
    props.title = doc.title.replace("\n", "")
    props.author = doc.signer if isinstance(doc, OfficialDocument) else "flow168"
    props.last_modified_by = "flow168"
    props.comments = ""
    props.category = doc.kind
    props.version = doc.layout_version
    props.identifier = doc.doc_number if isinstance(doc, OfficialDocument) else (doc.serial or "")
    props.revision = 1
