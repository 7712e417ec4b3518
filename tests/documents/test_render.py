"""Tests of the GB/T 9704 renderer: every builder's output, rendered and reopened with python-docx."""

import re
import time
from functools import cache
from io import BytesIO

import docx
import pytest
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from documents.model import LAYOUT_VERSION, OfficialDocument
from documents.render import render_docx
from tests.documents import factories

BUILDERS = factories.ALL
OFFICIAL = [build for build in BUILDERS if isinstance(build(), OfficialDocument)]
FORMS = [build for build in BUILDERS if build not in OFFICIAL]
ids = pytest.mark.parametrize("build", BUILDERS, ids=lambda build: build.__name__)
official_ids = pytest.mark.parametrize("build", OFFICIAL, ids=lambda build: build.__name__)
form_ids = pytest.mark.parametrize("build", FORMS, ids=lambda build: build.__name__)
# The certificate is a landscape page without page numbers (issue 15); every other document is GB/T 9704 A4.
PAGED = [build for build in BUILDERS if not getattr(build(), "landscape", False)]
paged_ids = pytest.mark.parametrize("build", PAGED, ids=lambda build: build.__name__)
BODY_STYLES = {"GB Body", "GB Plain", "GB Heading 1", "GB Heading 2", "GB Heading 3", "GB Heading 4", "GB Signature"}


@cache
def _rendered(build) -> bytes:
    """Render a factory's document once per test session."""
    return render_docx(build())


def reopen(build):
    """Render a factory's document and open the bytes again."""
    return docx.Document(BytesIO(_rendered(build)))


def _footers(document):
    """The odd-page (default) and even-page footers."""
    section = document.sections[0]
    return [section.footer, section.even_page_footer]


def _text(element) -> str:
    """All w:t text under an element."""
    return "".join(node.text or "" for node in element.iter(qn("w:t")))


def _styled(document, style: str):
    """Body paragraphs of one style."""
    return [paragraph for paragraph in document.paragraphs if paragraph.style.name == style]


def _within_tenth_mm(length, mm: float) -> bool:
    """A python-docx length equals mm to 0.1 mm."""
    return abs(length - Mm(mm)) <= Mm(0.1)


class TestPage:
    @paged_ids
    def test_is_a4(self, build):
        section = reopen(build).sections[0]
        assert _within_tenth_mm(section.page_width, 210) and _within_tenth_mm(section.page_height, 297)

    @paged_ids
    def test_has_gbt9704_margins(self, build):
        section = reopen(build).sections[0]
        assert _within_tenth_mm(section.top_margin, 37)
        assert _within_tenth_mm(section.bottom_margin, 35)
        assert _within_tenth_mm(section.left_margin, 28)
        assert _within_tenth_mm(section.right_margin, 26)


class TestFonts:
    @ids
    def test_every_run_with_text_names_an_east_asian_font(self, build):
        document = reopen(build)
        parts = [document.element.body, *(footer._element for footer in _footers(document))]
        runs = [run for part in parts for run in part.iter(qn("w:r")) if _text(run)]
        assert runs
        for run in runs:
            fonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
            assert fonts is not None and fonts.get(qn("w:eastAsia")), _text(run)

    def test_normal_style_names_an_east_asian_font(self):
        normal = reopen(factories.public_notice).styles["Normal"]
        assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
        assert normal.font.size == Pt(16)

    @ids
    def test_body_runs_are_16pt(self, build):
        document = reopen(build)
        runs = [run for style in BODY_STYLES for paragraph in _styled(document, style) for run in paragraph.runs]
        assert runs
        assert {run.font.size for run in runs} == {Pt(16)}

    @ids
    def test_title_is_22pt_xiaobiaosong(self, build):
        [title] = _styled(reopen(build), "GB Title")
        assert {run.font.size for run in title.runs} == {Pt(22)}
        assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
        assert title.style.paragraph_format.alignment == WD_PARAGRAPH_ALIGNMENT.CENTER

    def test_headings_take_the_level_fonts(self):
        document = reopen(factories.provider_filing_notice)
        [heading, *_] = _styled(document, "GB Heading 1")
        assert heading.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"

    def test_table_cells_name_east_asian_fonts(self):
        table = reopen(factories.monthly_voucher_statistics).tables[0]
        run = table.rows[1].cells[0].paragraphs[0].runs[0]
        assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
        assert run.font.size == Pt(14)

    def test_body_line_spacing_is_exactly_28_95pt(self):
        style = reopen(factories.public_notice).styles["GB Body"]
        assert style.paragraph_format.line_spacing == Pt(28.95)


class TestOfficialHead:
    def test_document_number_has_no_leading_zeros(self):
        [number] = _styled(reopen(factories.provider_filing_notice), "GB Number")
        assert re.fullmatch(r"^宁工信发〔2026〕12号$", number.text)

    @official_ids
    def test_document_number_is_centred_under_header(self, build):
        [number] = _styled(reopen(build), "GB Number")
        assert re.fullmatch(r"[\u4e00-\u9fff]+\u3014\d{4}\u3015[1-9]\d*号", number.text)
        assert number.style.paragraph_format.alignment == WD_PARAGRAPH_ALIGNMENT.CENTER

    @official_ids
    def test_red_rule_runs_under_the_number(self, build):
        [number] = _styled(reopen(build), "GB Number")
        rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
        assert rule.get(qn("w:color")) in {"FF0000", "C00000"}
        assert number.paragraph_format.left_indent is None and number.paragraph_format.right_indent is None

    @official_ids
    def test_issuing_body_header_is_red_and_centred(self, build):
        [header] = _styled(reopen(build), "GB Issuer")
        assert header.text.endswith("文件")
        assert str(header.runs[0].font.color.rgb) in {"FF0000", "C00000"}
        assert header.style.paragraph_format.alignment == WD_PARAGRAPH_ALIGNMENT.CENTER


class TestFooters:
    @paged_ids
    def test_both_footers_hold_a_page_field_between_dashes(self, build):
        for footer in _footers(reopen(build)):
            element = footer._element
            instructions = "".join(node.text for node in element.iter(qn("w:instrText")))
            assert "PAGE" in instructions
            assert _text(element).startswith("— ") and _text(element).endswith(" —")

    def test_odd_pages_right_and_even_pages_left(self):
        odd, even = _footers(reopen(factories.public_notice))
        assert odd.paragraphs[0].alignment == WD_PARAGRAPH_ALIGNMENT.RIGHT
        assert even.paragraphs[0].alignment == WD_PARAGRAPH_ALIGNMENT.LEFT

    def test_page_numbers_are_4hao_songti(self):
        run = _footers(reopen(factories.public_notice))[0].paragraphs[0].runs[0]
        assert run.font.size == Pt(14)
        assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"

    @paged_ids
    def test_even_and_odd_headers_are_enabled(self, build):
        document = reopen(build)
        assert document.settings.odd_and_even_pages_header_footer
        assert document.settings.element.find(qn("w:evenAndOddHeaders")) is not None


class TestRecord:
    def test_is_one_bottom_frame_between_thick_rules(self):
        """The 版记 is framed at the foot of the 版心 (GB/T 9704 §7.4.1); its 印发机关 is the issuer's office."""
        record = _styled(reopen(factories.provider_filing_notice), "GB Record")
        assert [paragraph.text for paragraph in record] == [
            "\u3000抄送：自治区财政厅。\n\u3000宁夏回族自治区工业和信息化厅办公室\t2026年1月5日印发",
        ]
        frame = record[0]._p.pPr.find(qn("w:framePr"))
        assert (frame.get(qn("w:vAnchor")), frame.get(qn("w:yAlign"))) == ("margin", "bottom")
        borders = record[0]._p.pPr.find(qn("w:pBdr"))
        assert {side: int(borders.find(qn(f"w:{side}")).get(qn("w:sz"))) for side in ("top", "bottom")} == {
            "top": 8, "bottom": 8}

    @form_ids
    def test_forms_have_no_head_or_record(self, build):
        document = reopen(build)
        for style in ("GB Issuer", "GB Number", "GB Record"):
            assert not _styled(document, style)


class TestText:
    def test_dates_are_not_padded(self):
        text = _text(reopen(factories.provider_filing_notice).element.body)
        assert "2026年1月5日" in text and "2026年01月05日" not in text

    def test_public_notice_states_period_and_objection_rules(self):
        text = _text(reopen(factories.public_notice).element.body)
        assert "公示期为2026年5月11日至2026年5月15日" in text
        assert "实名" in text and "匿名" in text and "书面" in text
        assert "乔秀山" in text and "0951-6038381" in text

    def test_tables_carry_the_rows(self):
        table = reopen(factories.public_notice).tables[0]
        assert [cell.text for cell in table.rows[0].cells] == ["序号", "平台名称", "运营单位", "所在地区"]
        assert table.rows[1].cells[1].text == "吴忠市中小企业综合服务平台"


class TestDeterminism:
    @ids
    def test_same_document_gives_same_bytes(self, build, monkeypatch):
        monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)
        first = render_docx(build())
        monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)
        assert render_docx(build()) == first

    def test_core_properties_carry_kind_number_and_layout_version(self):
        props = reopen(factories.provider_filing_notice).core_properties
        assert props.category == "provider_filing_notice"
        assert props.identifier == "宁工信发〔2026〕12号"
        assert props.version == LAYOUT_VERSION
        assert props.created.date().isoformat() == "2026-01-05"
