"""Tests of the pure document model."""

from dataclasses import replace
from datetime import date

import pytest

from documents.model import (
    LAYOUT_VERSION,
    Attachment,
    FormDocument,
    Heading,
    OfficialDocument,
    Paragraph,
    Signature,
    Table,
    format_cn_date,
    format_doc_number,
)
from payloads import DATA_CONVERTER
from tests.documents import factories


def _official(**changes) -> OfficialDocument:
    """A valid official document with some fields changed."""
    base = factories.provider_filing_notice()
    assert isinstance(base, OfficialDocument)
    return replace(base, **changes)


class TestDocNumber:
    def test_formats_with_tortoise_shell_brackets(self):
        assert _official().doc_number == "宁工信发\u30142026\u301512号"

    def test_has_no_leading_zeros_or_di(self):
        number = _official(number=7).doc_number
        assert number == "宁工信发〔2026〕7号"
        assert "第" not in number and "07" not in number

    def test_rejects_number_zero(self):
        with pytest.raises(ValueError, match=">= 1"):
            _official(number=0)

    def test_formatter_rejects_number_zero(self):
        with pytest.raises(ValueError):
            format_doc_number(issuer_code="宁工信发", year=2026, number=0)


class TestFormatCnDate:
    @pytest.mark.parametrize(
        ("day", "text"),
        [
            (date(2026, 1, 5), "2026年1月5日"),
            (date(2026, 12, 31), "2026年12月31日"),
            (date(2027, 10, 1), "2027年10月1日"),
        ],
    )
    def test_uses_arabic_numerals_without_padding(self, day, text):
        assert format_cn_date(day) == text


class TestOfficialDocument:
    def test_carries_the_layout_version(self):
        assert _official().layout_version == LAYOUT_VERSION == "gbt9704-2012/1"

    def test_rejects_recipients_without_colon(self):
        with pytest.raises(ValueError, match="colon"):
            _official(recipients="宁夏回族自治区中小企业服务中心")

    def test_rejects_print_date_before_date(self):
        with pytest.raises(ValueError, match="print_date"):
            _official(print_date=date(2026, 1, 4))


class TestBlocks:
    def test_heading_rejects_level_five(self):
        with pytest.raises(ValueError):
            Heading(level=5, text="（一）")

    def test_paragraph_rejects_unknown_alignment(self):
        with pytest.raises(ValueError):
            Paragraph(text="x", align="left")  # type: ignore[arg-type]

    def test_table_rejects_ragged_rows(self):
        with pytest.raises(ValueError, match="cells"):
            Table(headers=["a", "b"], rows=[["1"]])

    def test_table_rejects_widths_wider_than_text_block(self):
        with pytest.raises(ValueError, match="156"):
            Table(headers=["a", "b"], rows=[], col_widths_mm=[100.0, 60.0])

    def test_headerless_table_takes_columns_from_rows(self):
        assert Table(headers=[], rows=[["a", "b", "c"]]).columns == 3


class TestSerialization:
    @pytest.mark.parametrize("build", factories.ALL, ids=lambda build: build.__name__)
    async def test_round_trips_through_pydantic_converter(self, build):
        doc = build()
        payloads = await DATA_CONVERTER.encode([doc])
        [decoded] = await DATA_CONVERTER.decode(payloads, [OfficialDocument | FormDocument])
        assert decoded == doc

    async def test_block_kinds_survive_decoding(self):
        blocks = [Attachment(text="附件：1．推荐表"), Signature(lines=["甲", "2026年1月5日"]), Paragraph(text="正文")]
        doc = FormDocument(kind="x", title="t", blocks=blocks, date=date(2026, 1, 5))
        payloads = await DATA_CONVERTER.encode([doc])
        [decoded] = await DATA_CONVERTER.decode(payloads, [FormDocument])
        assert [type(block) for block in decoded.blocks] == [Attachment, Signature, Paragraph]
