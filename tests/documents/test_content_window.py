"""Window onboarding's documents (seed 004 art. 9(6), 10, 13): content, and the GB/T 9704 frame when rendered."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import docx
import pytest

from documents import content_window as content
from documents.model import FormDocument, OfficialDocument
from documents.render import render_docx
from tests.documents.test_content import text_of

ROW = ("银川市中小企业窗口服务平台", "宁夏测试科技有限公司", "银川市", "区域：兴庆区")


def notice() -> OfficialDocument:
    return content.window_public_notice(number=3, year=2026, issued_on=date(2026, 12, 1), windows=[ROW],
                                        starts_on=date(2026, 12, 2), ends_on=date(2026, 12, 8), working_days=5,
                                        contact_name="自治区中小企业服务中心", contact_phone="0951-96168")


def disconnection(ground: str = "withdrawn") -> OfficialDocument:
    return content.disconnection_notice(number=1, year=2027, issued_on=date(2027, 3, 1), platform_name=ROW[0],
                                        platform_org=ROW[1], reason="单位业务调整", ground=ground,  # type: ignore[arg-type]
                                        connected_on=date(2026, 12, 20))


class TestWindowDocuments:
    def test_public_notice_states_basis_list_period_and_how_to_object(self) -> None:
        doc = notice()
        text = text_of(doc)
        assert "第十条" in text and ROW[0] in text and "2026年12月2日至2026年12月8日" in text
        assert "匿名异议不予受理" in text and "覆盖范围" in text
        assert doc.doc_number == "宁工信发〔2026〕3号"

    @pytest.mark.parametrize(("ground", "phrase"), [("withdrawn", "申请"), ("revoked", "第十三条")])
    def test_disconnection_notice(self, ground: str, phrase: str) -> None:
        doc = disconnection(ground)
        text = text_of(doc)
        assert doc.issuer_code == "宁中小服发" and "退出" in doc.title and phrase in text
        assert "服务合作协议" in text and "2026年12月20日" in text

    def test_unknown_ground_refused(self) -> None:
        with pytest.raises(ValueError):
            disconnection("bored")

    def test_mutual_agreement(self) -> None:
        doc = content.mutual_agreement(agreement_no="WA-1", first=(ROW[0], ROW[1]), second=("吴忠窗口", "吴忠某公司"),
                                       signed_on=date(2027, 5, 6), scope="共享服务资源，互相推荐服务机构")
        assert isinstance(doc, FormDocument) and "第九条第（六）项" in text_of(doc)

    @pytest.mark.parametrize("build", [notice, disconnection], ids=["notice", "disconnection"])
    def test_renders_with_east_asian_fonts_on_a4(self, build: object) -> None:
        rendered = docx.Document(BytesIO(render_docx(build())))  # type: ignore[operator]
        section = rendered.sections[0]
        assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
        assert any("退出" in p.text or "公示" in p.text for p in rendered.paragraphs)
