"""The forms of demonstration-platform certification (seed 002; ARCHITECTURE.md "Certification case data")."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from forms.review import no_conflict_field, refuse_declared_conflict
from forms.uploads import UploadId, named_map, score_map
from rules.certification import (
    DEFAULT_RELAXED_PCT,
    FUNCTION_LABELS,
    FUNCTION_THRESHOLDS,
    MATERIALS,
    MAX_RELAXED_PCT,
    MIN_RELAXED_PCT,
    CertificationError,
    PlatformApplication,
    check_eligibility,
    expiry_reminder_days,
    missing_materials,
)

__all__ = ["MATERIALS"]  # 002 art. 11: the materials the applicant uploads (upload ids), with their Chinese names
_NOT_FIGURES = ("materials", "audit_covers_service")

# The figures a service function of art. 7 is judged by (the union of its alternatives), named for the web form.
FIGURE_LABELS = {
    "smes_served_offline": "线下年服务企业数量", "events": "年服务活动次数", "trainee_times": "年培训人次",
    "financed_fen": "帮助中小企业融资总额", "new_guarantees_fen": "年新增担保额",
    "free_diagnoses": "年公益性诊断咨询活动次数", "enterprise_times": "年服务企业家次",
}
FUNCTION_FIGURES = {name: {k: FIGURE_LABELS.get(k, k) for alt in alts for k in alt}
                    for name, alts in FUNCTION_THRESHOLDS.items()}


class CertificationForm(BaseModel):
    """The application report's figures (002 art. 6-7) and the materials of art. 11."""

    platform_name: str = Field(min_length=1, max_length=200, title="平台名称")
    city: str = Field(title="所在地区")
    org_type: Literal["enterprise", "institution", "social_org"] = Field(title="单位性质")
    mountain_area: bool = Field(default=False, title="山区市县")
    years_operating: int = Field(ge=0, title="运营年限")
    total_assets_fen: int = Field(ge=0, title="资产总额（分）")
    smes_served_last_year: int = Field(ge=0, title="上年服务中小企业数")
    smes_served_prev_year: int = Field(ge=0, title="前年服务中小企业数")
    satisfaction_pct: float = Field(ge=0, le=100, title="用户满意度（%）")
    service_orgs_aggregated: int = Field(ge=0, title="集聚服务机构数")
    public_benefit_share_pct: float = Field(ge=0, le=100, title="公益性或低收费服务占比（%）")
    staff_serving_smes: int = Field(ge=0, title="服务中小企业人员数")
    qualified_staff_share_pct: float = Field(ge=0, le=100, title="大专以上或中级以上职称人员占比（%）")
    functions: dict[str, dict[str, int]] = Field(
        min_length=1, title="服务功能（第七条，至少具备一项；填写具备的功能的各项数据）",
        json_schema_extra=named_map(FUNCTION_LABELS, sub=FUNCTION_FIGURES))
    materials: dict[str, UploadId] = Field(default_factory=dict, title="申报材料（第十一条）",
                                           json_schema_extra=named_map(MATERIALS))
    audit_covers_service: bool = Field(default=False, title="上一年度审计报告已包含服务收支情况（第十一条（三））")

    @model_validator(mode="after")
    def _well_formed(self) -> CertificationForm:
        unknown = set(self.materials) - set(MATERIALS)
        if unknown:
            raise ValueError(f"materials: unknown {sorted(unknown)}; expected {', '.join(MATERIALS)}")
        try:
            to_application(self.model_dump())
        except CertificationError as exc:
            raise ValueError(exc.message) from None
        return self


def to_application(data: dict[str, Any]) -> PlatformApplication:
    """The rules' view of the form (percentages as given; the rules read floats through their decimal text)."""
    fields = {k: v for k, v in data.items() if k not in _NOT_FIGURES}
    return PlatformApplication(**fields)


def materials_missing(data: dict[str, Any]) -> list[str]:
    """The keys of the art. 11 materials not given (002 art. 11, incl. (三) the special audit report)."""
    return missing_materials(data.get("materials") or {}, audit_covers_service=bool(data.get("audit_covers_service")))


def eligibility(data: dict[str, Any], relaxed_pct: int = DEFAULT_RELAXED_PCT) -> dict[str, Any]:
    """Art. 6 and 7 condition by condition (relaxed items at the call's `relaxed_pct`), for the reviewers; art. 11
    materials not yet uploaded."""
    result = check_eligibility(to_application(data), relaxed_pct=relaxed_pct)
    return {
        "eligible": result.eligible,
        "relaxed_pct": relaxed_pct,
        "conditions": [{"code": c.code, "label": c.label_zh, "passed": c.passed, "relaxed": c.relaxed,
                        "meets_normal": c.meets_normal, "required": c.required, "detail": c.detail}
                       for c in result.conditions],
        "missing": result.missing(),
        "relaxed_shortfalls": result.relaxed_shortfalls(),
        "materials_missing": [MATERIALS[k] for k in materials_missing(data)],
    }


def derived(data: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The figures a certification case's result derives from its data: the eligibility check (002 art. 6-7), at
    the relaxation of the call it applied under (kept in the result at submission)."""
    try:
        return {"eligibility": eligibility(data, int(result.get("relaxed_pct", DEFAULT_RELAXED_PCT)))}
    except (CertificationError, TypeError, ValueError):
        return {}  # not a well-formed application (the API validates corrections; a retry would not help)


# 002 art. 10: the city bureau evaluates the platform's operation, service performance and users' satisfaction.
RECOMMENDATION_CRITERIA = ("运营情况", "服务业绩", "用户满意度")


class RecommendationForm(BaseModel):
    """The city bureau's evaluation (002 art. 10): operation, performance, satisfaction, and its opinion."""

    opinion: str = Field(min_length=1, max_length=5000, title="推荐意见")
    # A finite score 0-100 per criterion (NaN and Infinity are refused: 422, never stored).
    scores: dict[str, Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]] = Field(
        default_factory=dict, title="测评得分", json_schema_extra=score_map(criteria=list(RECOMMENDATION_CRITERIA)))


class ExpertReviewForm(BaseModel):
    score: int = Field(ge=0, le=100, title="评分（0-100）")
    opinion: str = Field(default="", max_length=5000, title="评审意见")
    no_conflict: bool = no_conflict_field("申报单位")  # declared before scoring (forms.review)

    _declared = field_validator("no_conflict")(refuse_declared_conflict)


class DecisionForm(BaseModel):
    """The department's decision (002 art. 12): against the experts' panel result only with a recorded reason."""

    departure_reason: str = Field(default="", max_length=5000, title="与专家组评审结论不一致的理由")


class OnsiteForm(BaseModel):
    passed: bool = Field(title="实地考察是否通过")
    report: str = Field(min_length=1, max_length=10000, title="考察报告")


class AnnualSummaryForm(BaseModel):
    summary: str = Field(default="", max_length=20000, title="年度工作总结")
    attachments: list[UploadId] = Field(default_factory=list, max_length=20, title="附件")


class CityReportForm(BaseModel):
    """The city bureau's inspection of quality, fees and satisfaction (002 art. 18)."""

    report: str = Field(default="", max_length=20000, title="检查情况报告")
    service_quality: str = Field(default="", max_length=2000, title="服务质量")
    fees: str = Field(default="", max_length=2000, title="服务收费情况")
    satisfaction_pct: float | None = Field(default=None, ge=0, le=100, title="服务满意度（%）")


class AssessmentForm(BaseModel):
    rating: Literal["excellent", "qualified", "failed"] = Field(title="考核结果")


class CallForm(BaseModel):
    """The department's yearly call (002 art. 14)."""

    year: int = Field(ge=2000, le=2100, title="年度")
    deadline: date = Field(title="申报截止日期（当日24:00止）")
    title: str = Field(default="", max_length=200, title="通知标题")
    experts: int = Field(default=3, ge=1, le=15, title="评审专家人数")
    expiry_reminder_days: list[int] = Field(default=[180, 30], max_length=5, title="称号到期前提醒（天）")
    relaxed_pct: int = Field(default=DEFAULT_RELAXED_PCT, ge=MIN_RELAXED_PCT, le=MAX_RELAXED_PCT,
                             title="适当放宽的条件按正常标准的百分比（第六条）")

    @field_validator("expiry_reminder_days")
    @classmethod
    def _reminders(cls, v: list[int]) -> list[int]:
        try:
            return list(expiry_reminder_days(v))
        except CertificationError as exc:
            raise ValueError(exc.message) from None


FORMS = {
    "certification": CertificationForm,
    "certification_recommendation": RecommendationForm,
    "certification_expert_review": ExpertReviewForm,
    "certification_onsite": OnsiteForm,
    "certification_decision": DecisionForm,
    "certification_annual_summary": AnnualSummaryForm,
    "certification_city_report": CityReportForm,
    "certification_assessment": AssessmentForm,
}
