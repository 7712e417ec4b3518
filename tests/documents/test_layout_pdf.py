"""The documents as an official prints them: rendered to PDF by LibreOffice, then measured (issue 15).

Page count, where the 落款 and the 版记 fall, how titles break, the one-sheet forms. Skipped where LibreOffice is
not installed (`make test` installs it: libreoffice-writer-nogui)."""

from __future__ import annotations

import inspect
import itertools
import shutil
import subprocess
from dataclasses import dataclass

import pdfplumber
import pytest

from documents import content
from documents.model import OfficialDocument
from documents.render import render_docx
from documents.title_lines import break_title
from tests.documents import factories

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

FOOT_TOP_PT = 680.0  # the 版心 ends 35 mm above the bottom of an 842 pt page: a line below this is at the foot


@dataclass
class Line:
    page: int
    top: float
    text: str


@dataclass
class Rendered:
    doc: object
    pages: int
    landscape: bool
    lines: list[Line]

    def find(self, needle: str) -> list[Line]:
        return [line for line in self.lines if needle in line.text]


def _settlement_2017():
    return content.settlement_statement(
        statement_no="FWQ-2027-000001-JS", voucher_no="FWQ-2027-000001", contract_no="HT-2027-0001",
        enterprise_name="银川市示例科技有限公司", provider_name="宁夏向量信息技术有限公司",
        service_item="云主机租用（一年）", contract_amount_fen=1_800_000, voucher_amount_fen=540_000,
        settled_fen=540_000, satisfaction="满意", settled_on=__import__("datetime").date(2027, 6, 1), policy="2017")


SENTENCE = "经审核，该单位按规定报送了材料，符合条件，现予批复并请按要求办理有关事项。"


def _sweep(paragraphs: int, table_rows: int):
    """A body of `paragraphs` two-line paragraphs and a table: walks the 落款 and 版记 across page ends."""
    from datetime import date

    from documents.content_common import numbered_table, official
    from documents.model import Paragraph

    blocks: list = [Paragraph(text=SENTENCE * (1 + i % 2)) for i in range(paragraphs)]
    if table_rows:
        blocks.insert(1, numbered_table(["名称", "结果"], [[f"示例平台{i}", "合格"] for i in range(table_rows)]))
    return lambda: official(kind="sweep", issuer="department", number=1, year=2026, title="关于示例事项的批复",
                            recipients="宁夏回族自治区中小企业服务中心：", blocks=blocks, issued_on=date(2026, 6, 1),
                            cc=["自治区财政厅"] if paragraphs % 2 else [])


SWEEP = {f"sweep_{n}_{rows}": _sweep(n, rows) for n in range(0, 40, 3) for rows in (0, 3, 7)}


def _builders() -> dict[str, object]:
    found = {name: fn for name, fn in inspect.getmembers(factories, inspect.isfunction)
             if not name.startswith("_") and fn.__module__ == factories.__name__}
    found["settlement_2017"] = _settlement_2017
    found["settlement_2016"] = lambda: factories.settlement_statement(policy="2016")
    return {**found, **SWEEP}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    out = tmp_path_factory.mktemp("pdf")
    docs = {name: build() for name, build in _builders().items()}
    for name, doc in docs.items():
        (out / f"{name}.docx").write_bytes(render_docx(doc))
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{out}/profile", "--convert-to", "pdf",
                    "--outdir", str(out), *[str(out / f"{n}.docx") for n in docs]],
                   check=True, capture_output=True, timeout=300)
    result = {}
    for name, doc in docs.items():
        with pdfplumber.open(out / f"{name}.pdf") as pdf:
            lines = [Line(index + 1, float(line["top"]), line["text"].replace(" ", ""))
                     for index, page in enumerate(pdf.pages) for line in page.extract_text_lines()]
            first = pdf.pages[0]
            result[name] = Rendered(doc, len(pdf.pages), first.width > first.height, lines)
    return result


OFFICIAL = [name for name, build in _builders().items() if isinstance(build(), OfficialDocument)]


@pytest.mark.parametrize("name", OFFICIAL)
def test_record_at_the_foot_of_the_last_even_page(rendered: dict[str, Rendered], name: str) -> None:
    """GB/T 9704 §7.4.1: the 版记 is on the last page, which is even, on its last lines; its 印发机关 is the office."""
    r = rendered[name]
    (record,) = r.find("印发")[-1:]
    assert record.page == r.pages and r.pages % 2 == 0
    assert record.top > FOOT_TOP_PT
    assert record.text.startswith(r.doc.printer) and r.doc.printer.endswith("办公室")  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", OFFICIAL)
def test_signoff_is_not_alone_on_its_page(rendered: dict[str, Rendered], name: str) -> None:
    """§7.3.5: the 落款 (signer and date) shares its page with the body's last lines."""
    r = rendered[name]
    doc = r.doc
    date_line = [line for line in r.lines if line.text == f"{doc.date.year}年{doc.date.month}月{doc.date.day}日"][-1]  # type: ignore[attr-defined]
    signer = [line for line in r.lines if line.text == doc.signer][-1]  # type: ignore[attr-defined]
    assert signer.page == date_line.page
    body_above = [line for line in r.lines if line.page == signer.page and line.top < signer.top]
    assert body_above, f"{name}: the 落款 stands alone on page {signer.page}"


@pytest.mark.parametrize("name", list(_builders()))
def test_title_breaks_between_words(rendered: dict[str, Rendered], name: str) -> None:
    """§7.3.1: a title wraps where break_title breaks it (示范平台 never split), not where the line runs out."""
    r = rendered[name]
    lines = break_title(r.doc.title)  # type: ignore[attr-defined]
    for expected in lines:
        assert r.find(expected.replace(" ", "").replace("\u3000", "")), f"{name}: title line {expected!r} not set as one line"


def test_title_breaks_keep_domain_terms_whole() -> None:
    assert break_title("关于认定2026年度自治区中小企业公共服务示范平台的通知") == [
        "关于认定2026年度自治区中小企业", "公共服务示范平台的通知"]
    for title in ("自治区中小企业公共服务平台网络服务合作协议",
                  "关于撤销吴忠市中小企业综合服务平台“自治区中小企业公共服务示范平台”称号的决定"):
        lines = break_title(title)
        assert "".join(lines) == title and len(lines) > 1
        assert not any(a.endswith("示范") and b.startswith("平台") for a, b in itertools.pairwise(lines))
        assert not any(a.endswith("公共服务") and b.startswith("平台") for a, b in itertools.pairwise(lines))


@pytest.mark.parametrize("name", ["voucher_certificate", "settlement_statement", "settlement_2016", "settlement_2017"])
def test_one_sheet_forms_fit_one_page_with_a_seal_place(rendered: dict[str, Rendered], name: str) -> None:
    r = rendered[name]
    assert r.pages == 1
    assert r.find("（盖章）")


def test_settlement_cites_the_vouchers_policy(rendered: dict[str, Rendered]) -> None:
    """A 2017 voucher is settled under 宁非公经发〔2017〕101号 (000 七), a 2016 one under 〔2016〕73号 (003 art. 10)."""
    text_2017 = "".join(line.text for line in rendered["settlement_2017"].lines)
    text_2016 = "".join(line.text for line in rendered["settlement_2016"].lines)
    assert "使用管理办法（试行）》（宁非公经发〔2017〕101" in text_2017 and "〔2016〕" not in text_2017
    assert "〔2016〕73" in text_2016 and "〔2017〕" not in text_2016


def test_certificate_is_one_landscape_page_with_a_human_serial(rendered: dict[str, Rendered]) -> None:
    r = rendered["certificate"]
    assert r.pages == 1 and r.landscape
    assert r.find("宁示范〔2026〕第1号")
    assert r.find("2026年5月20日至2029年5月19日")
    assert not r.find("—1—")  # a certificate carries no page number
