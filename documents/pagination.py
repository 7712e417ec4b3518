"""Where an official document's body ends: which page, how many of its 22 lines are used (GB/T 9704-2012 §5.2.2).

The renderer writes .docx, which a word processor lays out later, but the 版记 must sit at the foot of the last
even page (§7.4.1: 版记应置于公文最后一页（封四）, its last element on the last line). Which page that is depends on
where the 落款 falls, so the renderer asks this estimate: the page is a grid of 22 lines of 28.95 pt, 3号 text
runs 27 characters a line, a 2号 title line takes two grid lines, a table (its text off the grid) is 20.3 pt a
line of 4号 text, as LibreOffice sets it with the fallback CJK faces; heights are counted in points (checked
against LibreOffice by tests/documents/test_layout_pdf.py).
"""

import math
from dataclasses import dataclass

from documents.model import Attachment, Block, Heading, OfficialDocument, Paragraph, Signature, Table
from documents.title_lines import width

LINES_PER_PAGE = 22
LINE_PT = 28.95
BODY_CHARS = 27  # 3号 (16 pt) characters in the 156 mm 版心
CELL_LINE_PT = 20.3
CELL_PAD_PT = 0.6
CELL_MARGIN_PT = 10.8
TABLE_PT = 14.0
TEXT_WIDTH_MM = 156.0
FIRST_PAGE_LINES = 10  # lines of page 1 under the 版头, before the title takes its two lines per title line


@dataclass(frozen=True)
class Item:
    """A run of lines the layout places together (height in points): kept with the next item, splittable or not."""

    height: float
    keep_with_next: bool = False
    splittable: bool = True
    repeat: float = 0.0  # a table's header row, set again at the top of each page it runs on to


@dataclass(frozen=True)
class Position:
    """The page an element ends on and the height of that page in use, in points (1-based page)."""

    page: int
    used: float


def text_lines(text: str, *, indent: int = 0) -> float:
    """Height of 3号 body text, with a first-line indent in characters: whole grid lines."""
    return max(1, math.ceil((width(text) + indent) / BODY_CHARS)) * LINE_PT


def row_heights(block: Table) -> list[float]:
    """Height of each row of a table, the header first (its text is off the grid: not whole lines)."""
    widths = block.col_widths_mm or [TEXT_WIDTH_MM / block.columns] * block.columns
    chars = [max(1, int((w / 25.4 * 72 - CELL_MARGIN_PT) // TABLE_PT)) for w in widths]
    heights = []
    for row in ([block.headers] if block.headers else []) + block.rows:
        lines = max(sum(max(1, math.ceil(width(part) / c)) for part in value.split("\n"))
                    for value, c in zip(row, chars, strict=True))
        heights.append(lines * CELL_LINE_PT + CELL_PAD_PT)
    return heights


def table_lines(block: Table) -> float:
    """Height of a table."""
    return sum(row_heights(block))


def _table_items(block: Table, *, last: bool) -> list[Item]:
    """A table; the body's last table keeps its last row with the 落款 (the renderer marks that row)."""
    heights = row_heights(block)
    repeat = heights[0] if block.headers else 0.0
    if last and len(heights) > 1:
        return [Item(sum(heights[:-1]), repeat=repeat), Item(heights[-1], keep_with_next=True, splittable=False)]
    return [Item(sum(heights), repeat=repeat)]


def block_items(blocks: list[Block]) -> list[Item]:
    """The items of the body blocks, as the renderer lays them out (blank lines included)."""
    items: list[Item] = []
    previous: Block | None = None
    for index, block in enumerate(blocks):
        match block:
            case Heading():
                items.append(Item(text_lines(block.text, indent=2), keep_with_next=True))
            case Paragraph():
                items.append(Item(text_lines(block.text, indent=2 if block.indent_first_line else 0)))
            case Table():
                if isinstance(previous, Table):
                    items.append(Item(LINE_PT))
                items.extend(_table_items(block, last=index == len(blocks) - 1))
            case Signature():
                items.append(Item((1 + len(block.lines)) * LINE_PT, splittable=False))
            case Attachment():
                if not isinstance(previous, Attachment):
                    items.append(Item(LINE_PT))
                items.append(Item(text_lines(block.text, indent=2)))
        previous = block
    if isinstance(previous, Table):
        items.append(Item(LINE_PT))
    return items


def place(items: list[Item], *, first_page_lines: int) -> Position:
    """Lay items on pages: a chain of kept items moves whole to the next page when it does not fit (unless it is
    longer than a page), a lone splittable item fills the page and runs on."""
    page, used = 1, 0

    def capacity() -> float:
        return (first_page_lines if page == 1 else LINES_PER_PAGE) * LINE_PT

    index = 0
    while index < len(items):
        chain = [items[index]]
        while chain[-1].keep_with_next and index + len(chain) < len(items):
            chain.append(items[index + len(chain)])
        index += len(chain)
        if len(chain) > 1 and chain[-1].splittable:
            # a heading kept with a splittable body needs only the body's first line beside it
            need = sum(item.height for item in chain[:-1]) + min(chain[-1].height, 2 * LINE_PT)
        else:
            need = sum(item.height for item in chain)
        total = sum(item.height for item in chain)
        if used + need > capacity() + 0.5 and (len(chain) > 1 or not chain[0].splittable) \
                and need <= LINES_PER_PAGE * LINE_PT:
            page, used = page + 1, 0
        used += total
        while used > capacity() + 0.5:
            used -= capacity()
            page += 1
            used += chain[-1].repeat
    return Position(page, used)


def title_grid_lines(title_lines: int) -> int:
    """Grid lines a 2号 title takes: two per line."""
    return 2 * title_lines


def signoff_items(doc: OfficialDocument, blocks_items: list[Item]) -> list[Item]:
    """The body's last item kept (whole) with the 落款: two blank lines, signer, date, 附注."""
    note = [Item(text_lines(f"（{doc.note}）", indent=2))] if doc.note else []
    tail = Item(4 * LINE_PT + sum(item.height for item in note), splittable=False)
    if blocks_items and blocks_items[-1].splittable and not blocks_items[-1].keep_with_next:
        last = blocks_items[-1]
        return [*blocks_items[:-1], Item(last.height, keep_with_next=True, splittable=False), tail]
    return [*blocks_items, tail]


def signoff_position(doc: OfficialDocument, *, title_lines: int) -> Position:
    """Page and lines in use after the 落款 (and 附注) of an official document."""
    first = FIRST_PAGE_LINES - title_grid_lines(title_lines)
    items = ([Item(LINE_PT)] if doc.recipients else []) + block_items(doc.blocks)
    return place(signoff_items(doc, items), first_page_lines=first)


def record_page(end: Position, *, record_lines: int) -> int:
    """The page of the 版记: the last page if it is even and has room above the foot, else the next even page."""
    if end.page % 2 == 0 and end.used + (1 + record_lines) * LINE_PT <= LINES_PER_PAGE * LINE_PT + 0.5:
        return end.page
    return end.page + 1 if end.page % 2 == 1 else end.page + 2
