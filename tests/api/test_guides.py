"""办事指南 (issue 15): one page per process, declared by its spec, with templates, time limits and articles."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from api.services import guides
from processes.registry import specs
from tests.conftest import Stack

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "templates"


def test_every_guide_is_declared_by_its_spec_with_articles_and_due_days() -> None:
    listed = {g["type"] for g in guides.index()}
    assert {"certification", "voucher", "provider_admission"} <= listed
    for case_type in listed:
        g = guides.guide(case_type)
        assert g["who"] and g["conditions"] and g["materials"] and g["steps"] and g["basis"]
        assert all("条" in b or "、" in b for b in g["basis"])  # the legal basis names its articles
        spec = specs()[case_type]
        for step, declared in zip(g["steps"], spec.guide.steps, strict=True):  # type: ignore[union-attr]
            if declared.task_type:
                assert step["time_limit"] == f"{spec.due_days[declared.task_type]}个工作日"
    cert = guides.guide("certification")
    assert any("5个工作日" in s["time_limit"] for s in cert["steps"])  # the notice period (002 art. 12)
    assert any("第十一条" in m["basis"] for m in cert["materials"])


def test_templates_are_blank_forms_of_their_labels() -> None:
    name, data = guides.template("certification", 1)
    assert name == "自治区中小企业公共服务示范平台申请报告.docx" and data[:2] == b"PK"
    cells = [c.text for t in docx.Document(io.BytesIO(data)).tables for row in t.rows for c in row.cells]
    assert "平台名称" in cells and "统一社会信用代码" in cells
    with pytest.raises(Exception, match="no template"):
        guides.template("certification", 2)  # 营业执照 has no template


@pytest.mark.parametrize(("template", "case_type"), [("apply_certification.html", "certification"),
                                                     ("apply_provider.html", "provider_admission"),
                                                     ("voucher_enterprise.html", "voucher"),
                                                     ("apply_window.html", "window_onboarding"),
                                                     ("assessment_campaigns.html", "assessment"),
                                                     ("certification_calls.html", "certification")])
def test_application_forms_and_the_call_link_their_guide(template: str, case_type: str) -> None:
    assert f'href="/public/guide/{case_type}"' in (TEMPLATES / template).read_text()


async def test_guide_pages(stack: Stack) -> None:
    http = stack.http
    page = await http.get("/public/guide/certification")
    assert page.status_code == 200
    assert "申请条件" in page.text and "第六条" in page.text and "15个工作日" in page.text and "下载模板" in page.text
    assert 'href="/apply/certification"' in page.text
    r = await http.get("/public/guide/certification/templates/1.docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert (await http.get("/public/guide/nope")).status_code == 404
    assert (await http.get("/public/guide/certification/templates/2.docx")).status_code == 404
    index = await http.get("/public/guide")
    assert all(f"/public/guide/{t}" in index.text for t in ("certification", "voucher", "provider_admission"))


@pytest.mark.parametrize(("case_type", "article", "due", "template_label"), [
    ("window_onboarding", "第十条", "40个工作日", "窗口平台名称"),  # 004 art. 10: 申报、审核、接入; adaptation
    ("assessment", "第十三条", "15个工作日", "各项指标完成情况"),  # 004 art. 13: results; the self-report
])
async def test_window_and_assessment_guides_render_with_their_legal_basis(
        stack: Stack, case_type: str, article: str, due: str, template_label: str) -> None:
    """P4 and P5 declare their guides from seed 004 (art. 8-13) and 001 三(五): the page answers in Chinese with the
    conditions, the steps' time limits from the spec and the legal basis naming the articles."""
    page = await stack.http.get(f"/public/guide/{case_type}")
    assert page.status_code == 200, page.text[:300]
    text = page.text
    assert "办事指南" in text and "申请条件" in text and "设定依据" in text
    assert "《宁夏回族自治区中小企业公共服务平台网络运营管理暂行办法》" in text and article in text and due in text
    assert f'data-guide="{case_type}"' in text and "下载模板" in text
    r = await stack.http.get(f"/public/guide/{case_type}/templates/1.docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    cells = [c.text for t in docx.Document(io.BytesIO(r.content)).tables for row in t.rows for c in row.cells]
    assert template_label in cells
    index = (await stack.http.get("/public/guide")).text
    assert f"/public/guide/{case_type}" in index
