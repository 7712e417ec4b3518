"""The assessment documents (P5; 004 art. 11-13): result notice, rectification notice, revocation decision and the
campaign's results bulletin, in GB/T 9704 form."""

from __future__ import annotations

from datetime import date

import pytest

from documents import content_assessment as content
from documents.model import OfficialDocument
from documents.render import render_docx
from tests.documents.test_content import text_of

DAY = date(2026, 12, 20)


def bulletin(**over: object) -> OfficialDocument:
    args: dict[str, object] = {
        "number": 3, "year": 2026, "issued_on": DAY, "assessment_year": 2026, "kind": "partner",
        "rows": [content.ResultRow("宁夏甲信息技术有限公司", 93.5, "excellent", supported=True),
                 content.ResultRow("宁夏乙咨询有限公司", 75.0, "qualified"),
                 content.ResultRow("宁夏丙代理有限公司", 40.0, "failed", revoked=True)],
        "indicators": [("服务中小企业数量和服务质量", 1.0), ("企业满意度", 1.0)],
        "excellent_min": 90.0, "qualified_min": 60.0}
    args.update(over)
    return content.results_bulletin(**args)  # type: ignore[arg-type]


class TestBulletin:
    def test_lists_every_subject_with_total_rating_and_consequence(self) -> None:
        doc = bulletin()
        text = text_of(doc)
        assert doc.title == "关于2026年度合作服务机构绩效考核结果的通报" and doc.doc_number == "宁中小服发〔2026〕3号"
        for words in ("93.5", "优秀", "优先支持", "不合格", "撤销资格", "优秀的1个，合格的1个，不合格的1个",
                      "企业满意度（50%）", "第十一条至第十三条"):
            assert words in text, words

    def test_the_bureau_issues_the_hubs(self) -> None:
        doc = bulletin(kind="hub", rows=[content.ResultRow("宁夏回族自治区中小企业服务中心", 88.0, "qualified")])
        assert doc.doc_number.startswith("宁工信发") and "枢纽平台" in doc.title

    @pytest.mark.parametrize("over", [{"kind": "platform"}, {"rows": [content.ResultRow("甲", 1.0, "pass")]}])
    def test_refused(self, over: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            bulletin(**over)

    def test_renders(self) -> None:
        assert render_docx(bulletin())[:2] == b"PK"


class TestOneSubject:
    def test_result_notice_names_the_total(self) -> None:
        doc = content.result_notice(number=1, year=2026, issued_on=DAY, assessment_year=2026, kind="window",
                                    subject_name="测试窗口平台", total=58.0, rating="failed")
        assert "测试窗口平台（58分）" in text_of(doc) and doc.recipients == "测试窗口平台："

    def test_rectification_deadline(self) -> None:
        doc = content.rectification(number=1, year=2026, issued_on=DAY, assessment_year=2026, kind="partner",
                                    subject_name="宁夏丙代理有限公司", problems=["服务数量不足"], deadline=date(2027, 2, 5))
        assert "2027年2月5日前完成整改" in text_of(doc)

    def test_revocation_cites_the_rectification(self) -> None:
        doc = content.revocation(number=1, year=2027, issued_on=date(2027, 3, 1), kind="partner",
                                 subject_name="宁夏丙代理有限公司", reason="整改后服务数量仍不足",
                                 rectification_doc_number="宁中小服发〔2026〕9号")
        text = text_of(doc)
        assert "经宁中小服发〔2026〕9号限期整改后" in text and doc.doc_number.startswith("宁工信发")
