"""Low-level WordprocessingML helpers python-docx has no API for (borders, fields, fonts, packaging)."""

from datetime import date
from io import BytesIO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from docx.document import Document as DocxDocument
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

Rule = tuple[int, str, int]  # (width in eighths of a point, RGB hex colour, gap to the text in points)

# The elements that may follow w:pBdr in w:pPr, w:w in w:rPr and w:tblBorders in w:tblPr (ECMA-376 order).
_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
_AFTER_FRAMEPR = (
    "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
    "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
    "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
    "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)
_AFTER_W = (
    "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText",
    "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath",
)  # fmt: skip
_AFTER_TBLBORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")


def insert_ordered(parent, child, successors: tuple[str, ...]) -> None:
    """Insert child before its schema successors, replacing any same-named one (Word rejects disorder)."""
    for existing in parent.findall(child.tag):
        parent.remove(existing)
    parent.insert_element_before(child, *successors)


def set_fonts(rfonts, name: str) -> None:
    """Name one font for every script slot, dropping theme fonts (which would win over names)."""
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        rfonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        rfonts.set(qn(f"w:{attr}"), name)
    # Ambiguous-width characters (“”、—) take the East Asian font, as Chinese typesetting expects.
    rfonts.set(qn("w:hint"), "eastAsia")


def set_text_scale(rpr, percent: int) -> None:
    """Compress characters horizontally (w:w), as issuing-body headers do to fit the 版心."""
    scale = OxmlElement("w:w")
    scale.set(qn("w:val"), str(percent))
    insert_ordered(rpr, scale, _AFTER_W)


def paragraph_border(paragraph: DocxParagraph, **sides: Rule) -> None:
    """Give a paragraph single-line borders on the named sides (top, bottom, between)."""
    pbdr = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right", "between"):
        if side not in sides:
            continue
        size, colour, space = sides[side]
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), str(size))
        edge.set(qn("w:space"), str(space))
        edge.set(qn("w:color"), colour)
        pbdr.append(edge)
    insert_ordered(paragraph._p.get_or_add_pPr(), pbdr, _AFTER_PBDR)


def page_border(sectpr, *, size: int, colour: str, space: int) -> None:
    """A double rule round the page (w:pgBorders), measured from the text."""
    borders = OxmlElement("w:pgBorders")
    borders.set(qn("w:offsetFrom"), "text")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        for name, value in (("val", "double"), ("sz", str(size)), ("space", str(space)), ("color", colour)):
            edge.set(qn(f"w:{name}"), value)
        borders.append(edge)
    insert_ordered(sectpr, borders, ("w:lnNumType", "w:pgNumType", "w:cols", "w:formProt", "w:vAlign",
                                     "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi", "w:rtlGutter",
                                     "w:docGrid", "w:printerSettings", "w:sectPrChange"))


def no_grid_snap(ppr) -> None:
    """Let a paragraph (style) keep its own line height instead of snapping to the document grid."""
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    insert_ordered(ppr, snap, _AFTER_PBDR[_AFTER_PBDR.index("w:snapToGrid") + 1:])


def bottom_frame(paragraph: DocxParagraph, *, width_twips: int) -> None:
    """Put a paragraph in a frame at the foot of the 版心, full width, text above and below it (w:framePr)."""
    frame = OxmlElement("w:framePr")
    for name, value in (("w", str(width_twips)), ("wrap", "notBeside"), ("vAnchor", "margin"),
                        ("hAnchor", "margin"), ("xAlign", "center"), ("yAlign", "bottom")):
        frame.set(qn(f"w:{name}"), value)
    insert_ordered(paragraph._p.get_or_add_pPr(), frame, _AFTER_FRAMEPR)


def add_field(paragraph: DocxParagraph, instruction: str, placeholder: str) -> list:
    """Append a complex field (fldChar begin/instrText/separate/end) and return its runs."""
    runs = []
    for part in ("begin", "instr", "separate", "result", "end"):
        run = paragraph.add_run()
        if part == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._r.append(instr)
        elif part == "result":
            run.text = placeholder
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), part)
            run._r.append(char)
        runs.append(run)
    return runs


def table_borders(table: DocxTable, *, size: int) -> None:
    """Draw every outer and inner table line, single and black."""
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), str(size))
        edge.set(qn("w:space"), "0")
        edge.set(qn("w:color"), "000000")
        borders.append(edge)
    insert_ordered(table._tbl.tblPr, borders, _AFTER_TBLBORDERS)


def repeat_as_header(row) -> None:
    """Repeat a table row at the top of each page the table spans."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def cant_split(row) -> None:
    """Keep a table row whole on one page."""
    row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))


def doc_grid(sectpr, *, line_pitch_twips: int) -> None:
    """Set the section's line grid (GB/T 9704: 22 lines of 28.95 pt)."""
    grid = sectpr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sectpr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(line_pitch_twips))


def _font_table_with_fallbacks(blob: bytes, fallbacks: dict[str, str]) -> bytes:
    """Declare each named font with an alternate name (w:altName) Word may use when it is missing."""
    root = etree.fromstring(blob)
    for name, alt in fallbacks.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        etree.SubElement(font, qn("w:altName")).set(qn("w:val"), alt)
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86")  # GB2312
        etree.SubElement(font, qn("w:family")).set(qn("w:val"), "auto")
        etree.SubElement(font, qn("w:pitch")).set(qn("w:val"), "variable")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class _StampedZip:
    """python-docx's physical package writer, with fixed entry times and the font table's fallbacks added."""

    def __init__(self, *, stamp: date, font_fallbacks: dict[str, str]) -> None:
        # python-docx stamps every zip entry with the current time; the document's own date replaces it.
        self._date_time = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
        self._font_fallbacks = font_fallbacks
        self.out = BytesIO()
        self._zip = ZipFile(self.out, "w", ZIP_DEFLATED)

    def write(self, pack_uri, blob: bytes) -> None:
        name = pack_uri.membername
        if name == "word/fontTable.xml":
            blob = _font_table_with_fallbacks(blob, self._font_fallbacks)
        self.write_member(name, blob)

    def write_member(self, name: str, blob: bytes) -> None:
        entry = ZipInfo(name, date_time=self._date_time)
        entry.compress_type = ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        # Level 1 (an entry takes its own level, not the ZipFile's): a document's parts are small XML, and the default
        # level took an eighth of a draft's time (issue 12).
        self._zip.writestr(entry, blob, compresslevel=1)

    def close(self) -> None:
        self._zip.close()


def package_bytes(document: DocxDocument, *, stamp: date, font_fallbacks: dict[str, str]) -> bytes:
    """The .docx bytes of a python-docx document, written once with fixed entry times so equal input gives equal
    bytes (what `document.save` followed by a rewrite of the zip gave, without writing and reading the zip twice)."""
    package = document.part.package
    for part in package.parts:
        part.before_marshal()
    # PackageWriter.write with its zip writer replaced by _StampedZip (its three steps, in its order).
    writer = _StampedZip(stamp=stamp, font_fallbacks=font_fallbacks)
    PackageWriter._write_content_types_stream(writer, package.parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(writer, package.parts)
    writer.close()
    return writer.out.getvalue()


class PackageTemplate:
    """A parsed base document that drafts reuse one after another (issue 12): opening the base .docx parsed its ~10
    parts every time, a third of a draft. A draft starts from a fresh copy of the template's main document part and
    core properties (the only parts rendering changes; a copy of an empty body costs microseconds), and its package
    is written with the other parts' bytes as written once (serialising them was a fifth of a draft).

    One draft at a time per template (`TemplatePool` lends them out). The bytes are those of a draft that opened the
    base document itself (tests/documents: every sample document, in any order)."""

    def __init__(self, blob: bytes, *, font_fallbacks: dict[str, str]) -> None:
        from copy import deepcopy

        from docx import Document as open_docx

        docx = open_docx(BytesIO(blob))
        self._part = docx.part
        self._core = self._part.package._core_properties_part
        self._body = deepcopy(self._part._element)
        self._core_element = deepcopy(self._core._element)
        self._rels = len(self._part.rels)
        self._font_fallbacks = font_fallbacks
        package = self._part.package
        for part in package.parts:
            part.before_marshal()
        # Every member of the package in PackageWriter's order; None where a draft's own bytes go.
        recorder = _Recorder(font_fallbacks)
        PackageWriter._write_content_types_stream(recorder, package.parts)
        PackageWriter._write_pkg_rels(recorder, package.rels)
        PackageWriter._write_parts(recorder, package.parts)
        live = {self._part.partname.membername, self._core.partname.membername}
        self._members = [(name, None if name in live else data) for name, data in recorder.members]

    def fresh(self) -> DocxDocument:
        """The base document with an empty body again (and the base's core properties)."""
        from copy import deepcopy

        self._part._element = deepcopy(self._body)
        self._core._element = deepcopy(self._core_element)
        return DocxDocument(self._part._element, self._part)

    def package_bytes(self, *, stamp: date) -> bytes:
        """The draft's .docx bytes (as `package_bytes` would write them)."""
        if len(self._part.rels) != self._rels:
            # A draft related a new part (an image, a link): nothing does yet. The parts' bytes recorded here would
            # be stale, so write the package whole; `TemplatePool` drops this template afterwards.
            current = DocxDocument(self._part._element, self._part)
            return package_bytes(current, stamp=stamp, font_fallbacks=self._font_fallbacks)
        writer = _StampedZip(stamp=stamp, font_fallbacks={})
        live = {self._part.partname.membername: self._part, self._core.partname.membername: self._core}
        for name, data in self._members:
            writer.write_member(name, live[name].blob if data is None else data)
        writer.close()
        return writer.out.getvalue()

    @property
    def intact(self) -> bool:
        return len(self._part.rels) == self._rels


class _Recorder:
    """Takes what PackageWriter writes, member by member (the font table with its fallbacks, as _StampedZip)."""

    def __init__(self, font_fallbacks: dict[str, str]) -> None:
        self.members: list[tuple[str, bytes]] = []
        self._font_fallbacks = font_fallbacks

    def write(self, pack_uri, blob: bytes) -> None:
        name = pack_uri.membername
        if name == "word/fontTable.xml":
            blob = _font_table_with_fallbacks(blob, self._font_fallbacks)
        self.members.append((name, blob))


class TemplatePool:
    """Templates of one base document, one per draft in progress (the activity threads draft side by side)."""

    def __init__(self, blob: bytes, *, font_fallbacks: dict[str, str]) -> None:
        import queue

        self._blob = blob
        self._font_fallbacks = font_fallbacks
        self._idle: queue.SimpleQueue[PackageTemplate] = queue.SimpleQueue()

    def take(self) -> PackageTemplate:
        import queue

        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return PackageTemplate(self._blob, font_fallbacks=self._font_fallbacks)

    def give_back(self, template: PackageTemplate) -> None:
        if template.intact:
            self._idle.put(template)
