"""Pure content model of the documents flow168 drafts: what they say, not how they look."""

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

LAYOUT_VERSION = "gbt9704-2012/1"

Align = Literal["justify", "center", "right"]


def format_cn_date(d: date) -> str:
    """Format a date the GB/T 9704 way: Arabic numerals, no padding (2026年1月5日)."""
    return f"{d.year}年{d.month}月{d.day}日"


def format_doc_number(*, issuer_code: str, year: int, number: int) -> str:
    """Format a 发文字号 such as 宁工信发〔2026〕12号 (U+3014/U+3015, no leading zeros, no 第)."""
    if number < 1:
        raise ValueError(f"document number must be >= 1, got {number}")
    if not issuer_code:
        raise ValueError("issuer_code is empty")
    return f"{issuer_code}\u3014{year}\u3015{number}号"


def format_certificate_no(*, year: int, number: int) -> str:
    """A title certificate's serial, e.g. 宁示范〔2026〕第3号 (allocated per year, no gaps, by the caller)."""
    if number < 1:
        raise ValueError(f"certificate number must be >= 1, got {number}")
    return f"宁示范\u3014{year}\u3015第{number}号"


CERTIFICATE_SERIES = "宁示范"  # the counter key of certificate serials (db.documents.next_number)


# Each block carries a `kind` literal so a serializer (e.g. Temporal's JSON converter) can tell the
# variants of the Block union apart when decoding; never set it by hand.


@dataclass(frozen=True)
class Heading:
    """A heading whose text carries its own numbering (一、 （一） 1. （1）); the level picks the font."""

    level: int
    text: str
    kind: Literal["heading"] = "heading"

    def __post_init__(self) -> None:
        """Reject levels GB/T 9704 does not have."""
        if self.level not in (1, 2, 3, 4):
            raise ValueError(f"heading level must be 1-4, got {self.level}")


@dataclass(frozen=True)
class Paragraph:
    """A body paragraph; by default justified with a two-character first-line indent."""

    text: str
    indent_first_line: bool = True
    align: Align = "justify"
    kind: Literal["paragraph"] = "paragraph"

    def __post_init__(self) -> None:
        """Reject unknown alignments."""
        if self.align not in ("justify", "center", "right"):
            raise ValueError(f"unknown alignment {self.align!r}")


@dataclass(frozen=True)
class Table:
    """A bordered table; an empty header list gives a label/value form table without a header row."""

    headers: list[str]
    rows: list[list[str]]
    col_widths_mm: list[float] | None = None
    kind: Literal["table"] = "table"

    @property
    def columns(self) -> int:
        """Number of columns."""
        return len(self.headers) if self.headers else len(self.rows[0])

    def __post_init__(self) -> None:
        """Reject ragged rows and widths that do not fit the 156 mm 版心."""
        if not self.headers and not self.rows:
            raise ValueError("a table needs headers or rows")
        if any(len(row) != self.columns for row in self.rows):
            raise ValueError(f"every row must have {self.columns} cells")
        if self.col_widths_mm is not None:
            if len(self.col_widths_mm) != self.columns:
                raise ValueError(f"col_widths_mm must have {self.columns} entries")
            if sum(self.col_widths_mm) > 156.05 or min(self.col_widths_mm) <= 0:
                raise ValueError("column widths must be positive and fit within 156 mm")


@dataclass(frozen=True)
class Signature:
    """A right-aligned block of lines, e.g. a signing body and its date, or a party's seal line."""

    lines: list[str]
    kind: Literal["signature"] = "signature"


@dataclass(frozen=True)
class Attachment:
    """An attachment note (附件说明), text such as "附件：1．推荐表"."""

    text: str
    kind: Literal["attachment"] = "attachment"


Block = Heading | Paragraph | Table | Signature | Attachment


@dataclass(frozen=True)
class OfficialDocument:
    """A numbered official document: 版头 (header, number, red rule), 主体 (title to date) and 版记."""

    kind: str
    issuer_name: str
    issuer_code: str
    year: int
    number: int
    title: str
    recipients: str | None
    blocks: list[Block]
    signer: str
    date: date
    printer: str
    print_date: date
    cc: list[str] = field(default_factory=list)
    note: str | None = None
    layout_version: str = LAYOUT_VERSION

    def __post_init__(self) -> None:
        """Check the parts GB/T 9704 fixes: number, 主送机关 colon, print date not before the date."""
        format_doc_number(issuer_code=self.issuer_code, year=self.year, number=self.number)
        if self.recipients is not None and not self.recipients.endswith("："):
            raise ValueError("recipients (主送机关) must end with a full-width colon")
        if self.print_date < self.date:
            raise ValueError("print_date (印发日期) must not be before the date (成文日期)")

    @property
    def doc_number(self) -> str:
        """The 发文字号, e.g. 宁工信发〔2026〕12号."""
        return format_doc_number(issuer_code=self.issuer_code, year=self.year, number=self.number)


@dataclass(frozen=True)
class FormDocument:
    """An unnumbered document (form, certificate, contract, statement): title and blocks, no 版头 or 版记."""

    kind: str
    title: str
    blocks: list[Block]
    date: date
    serial: str | None = None
    layout_version: str = LAYOUT_VERSION
    landscape: bool = False  # a certificate: A4 landscape, framed, no page number


Document = OfficialDocument | FormDocument
