"""The year's documents of certification (seed 002 art. 9-10, 12, 13): the city bureau's summary report of its
recommended platforms, the 拟认定名单 notice and the certification notice built from a batch of cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from activities.certification_documents import batch_certification_notice, batch_city_summary, batch_public_notice
from db.models import Case, Task
from documents.content_platform import city_summary_report
from documents.model import OfficialDocument, Table
from documents.render import render_docx


def _case(n: int, city: str = "yinchuan", **result: Any) -> Case:
    return Case(id=f"CT-2026-{n}", type="certification", status="granted", applicant=f"运营单位{n}", city=city,
                data={"platform_name": f"示范平台{n}"}, result={"call_year": 2026, **result},
                created_at=datetime(2026, 3, 1))


def _rows(doc: OfficialDocument) -> list[list[str]]:
    table = next(b for b in doc.blocks if isinstance(b, Table))
    return [list(r) for r in table.rows]


class TestCitySummary:
    def test_002_art_9_10_one_report_of_the_citys_recommended_platforms(self) -> None:
        doc = city_summary_report(number=1, year=2026, call_year=2026, city="wuzhong", issued_on=date(2026, 4, 1),
                                  platforms=[("平台甲", "甲公司", "88.0"), ("平台乙", "乙公司", "91.5")])
        assert doc.issuer_code == "吴工信发" and doc.recipients == "自治区工业和信息化厅："
        assert "汇总报告" in doc.title and "2026年度" in doc.title
        assert [r[1:] for r in _rows(doc)] == [["平台甲", "甲公司", "88.0"], ["平台乙", "乙公司", "91.5"]]
        assert "第九条、第十条" in doc.blocks[0].text  # type: ignore[attr-defined]
        render_docx(doc)

    def test_002_art_9_10_a_report_lists_at_least_one_platform_of_a_known_city(self) -> None:
        with pytest.raises(ValueError):
            city_summary_report(number=1, year=2026, call_year=2026, city="wuzhong", issued_on=date(2026, 4, 1),
                                platforms=[])
        with pytest.raises(ValueError):
            city_summary_report(number=1, year=2026, call_year=2026, city="lanzhou", issued_on=date(2026, 4, 1),
                                platforms=[("平台", "公司", "1")])

    def test_the_batch_builder_takes_the_bureaus_mean_score(self) -> None:
        task = Task(id="t", case_id="CT-2026-1", type="certification.city_recommendation", title="", role="city_bureau",
                    data={"scores": {"运营情况": 90, "服务业绩": 86}})
        doc = batch_city_summary([(_case(1), task), (_case(2), None)], year=2026, city="yinchuan", day=date(2026, 4, 2))
        assert [r[1:] for r in _rows(doc)] == [["示范平台1", "运营单位1", "88.0"], ["示范平台2", "运营单位2", "—"]]


class TestYearlyNotices:
    def test_002_art_12_one_notice_lists_every_candidate_of_the_year(self) -> None:
        cases = [_case(1), _case(2, city="guyuan")]
        doc = batch_public_notice(cases, year=2026, day=date(2026, 6, 1),
                                  params={"starts_on": "2026-06-02", "ends_on": "2026-06-08", "working_days": 5})
        assert doc.title == "关于2026年度自治区中小企业公共服务示范平台拟认定名单的公示"
        assert [r[1:] for r in _rows(doc)] == [["示范平台1", "运营单位1", "银川市"], ["示范平台2", "运营单位2", "固原市"]]

    def test_002_art_13_one_certification_notice_lists_the_granted_platforms(self) -> None:
        granted = [_case(1, granted_on="2026-06-09", valid_until="2029-06-08"),
                   _case(2, granted_on="2026-06-10", valid_until="2029-06-09")]
        doc = batch_certification_notice(granted, year=2026, day=date(2026, 6, 10), starts_on=date(2026, 6, 2),
                                         ends_on=date(2026, 6, 8))
        assert doc.title == "关于认定2026年度自治区中小企业公共服务示范平台的通知"
        assert [r[1] for r in _rows(doc)] == ["示范平台1", "示范平台2"]
        assert "决定认定2家平台" in doc.blocks[0].text  # type: ignore[attr-defined]
        assert any("2029年6月8日" in getattr(b, "text", "") for b in doc.blocks)
