"""The forms of the yearly assessments (P5): self-report, scoring, rectification report, reassessment; the
indicator set and the campaign the hub enters."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field

from forms.uploads import UploadId, score_map

Score = Annotated[float, Field(ge=0, le=100)]


class SelfReportForm(BaseModel):
    """The subject reports each indicator's figures and a summary; the figures the system knows are pre-filled."""

    figures: dict[str, Any] = Field(default_factory=dict, title="各项指标完成情况",
                                    json_schema_extra=score_map(criteria_from="indicators", figures=True))
    summary: str = Field(min_length=1, max_length=20000, title="自评总结")
    attachments: list[UploadId] = Field(default_factory=list, max_length=20, title="附件")


class ScoringForm(BaseModel):
    """The assessor scores every indicator 0-100 (checked against the campaign's indicator set) with an opinion."""

    scores: dict[str, Score] = Field(title="各项指标得分（0-100）",
                                     json_schema_extra=score_map(criteria_from="indicators"))
    opinion: str = Field(default="", max_length=5000, title="考核意见")


class RectificationForm(BaseModel):
    report: str = Field(min_length=1, max_length=20000, title="整改报告")
    attachments: list[UploadId] = Field(default_factory=list, max_length=20, title="佐证材料")


class ReassessmentForm(BaseModel):
    opinion: str = Field(default="", max_length=5000, title="复核意见")


class IndicatorIn(BaseModel):
    key: str = Field(min_length=1, max_length=60, title="指标代码")
    name: str = Field(min_length=1, max_length=200, title="指标名称")
    weight: float = Field(gt=0, le=1000, title="权重")


class IndicatorSetForm(BaseModel):
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=50, title="考核指标")
    excellent_min: float = Field(default=90, gt=0, le=100, title="优秀分数线")
    qualified_min: float = Field(default=60, gt=0, le=100, title="合格分数线")


class CampaignForm(BaseModel):
    year: int = Field(ge=2000, le=2100, title="考核年度")
    kind: str = Field(title="考核对象类别")
    self_report_due: date | None = Field(default=None, title="自评截止日期（当日24:00止）")
    subjects: list[int] | None = Field(default=None, max_length=5000, title="考核对象（机构编号；默认全部）")


class SettingsForm(BaseModel):
    schedule_kinds: list[str] = Field(default=["window", "partner"], title="自动开展考核的对象类别")
    schedule_month: int = Field(default=12, ge=1, le=12, title="自动开展考核的月份（当月第一个工作日）")
    rectification_working_days: int = Field(default=30, ge=1, le=250, title="整改期限（工作日）")


FORMS: dict[str, type[BaseModel]] = {
    "assessment_self_report": SelfReportForm,
    "assessment_scoring": ScoringForm,
    "assessment_rectification": RectificationForm,
    "assessment_reassessment": ReassessmentForm,
}
