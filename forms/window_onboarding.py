"""The forms of window-platform onboarding (P4; seed 004 art. 8-10, 9(6); ARCHITECTURE.md "P4" data)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from forms.review import no_conflict_field, refuse_declared_conflict
from forms.uploads import UploadId
from rules.cities import CITIES

# 004 art. 10 "申请单位按要求申报材料": the uploads an application carries, with their Chinese names.
MATERIALS = {
    "application_form": "窗口平台接入申请表",
    "service_capability": "服务能力说明",
    "security_measures": "信息安全保障措施",
}


class ServiceProduct(BaseModel):
    """A service product the window offers (art. 8 "具有优质服务产品")."""

    name: str = Field(min_length=1, max_length=200, title="服务产品名称")
    description: str = Field(default="", max_length=5000, title="服务产品说明")


class WindowMaterials(BaseModel):
    """The three materials of the application, as upload ids."""

    application_form: UploadId = Field(title=MATERIALS["application_form"])
    service_capability: UploadId = Field(title=MATERIALS["service_capability"])
    security_measures: UploadId = Field(title=MATERIALS["security_measures"])


class WindowOnboardingForm(BaseModel):
    """A builder's application to connect its window platform (art. 8: covering a region or an industry)."""

    platform_name: str = Field(min_length=1, max_length=200, title="窗口平台名称")
    city: str = Field(title="所在地区")
    coverage: Literal["region", "industry"] = Field(title="覆盖范围类型（区域/行业）")
    coverage_detail: str = Field(min_length=1, max_length=500, title="覆盖区域或行业")
    service_products: list[ServiceProduct] = Field(min_length=1, max_length=100, title="服务产品")
    staff: int = Field(ge=1, le=100_000, title="服务人员数")
    premises_sqm: int = Field(ge=1, le=10_000_000, title="服务场所面积（平方米）")
    materials: WindowMaterials = Field(title="申报材料")

    @field_validator("city")
    @classmethod
    def _city(cls, v: str) -> str:
        if v not in CITIES:
            raise ValueError(f"unknown city {v!r}; expected one of {', '.join(CITIES)}")
        return v


class WindowCorrectionForm(WindowOnboardingForm):
    """A returned application, corrected and sent again (the same fields)."""


class ExpertScoreForm(BaseModel):
    """window_onboarding.expert_assessment: one expert's score, blind to the others (art. 10 "评估审查")."""

    score: int = Field(ge=0, le=100, title="评分（0-100）")
    opinion: str = Field(default="", max_length=5000, title="评估意见")
    no_conflict: bool = no_conflict_field("申报单位")  # declared before scoring (forms.review)

    _declared = field_validator("no_conflict")(refuse_declared_conflict)


class AdaptationForm(BaseModel):
    """window_onboarding.adaptation: the builder's software/hardware adaptation (art. 10 "软硬件改造")."""

    report: str = Field(min_length=1, max_length=20000, title="软硬件改造情况报告")
    materials: list[UploadId] = Field(default_factory=list, max_length=20, title="附件")


class ConnectionCheckForm(BaseModel):
    """window_onboarding.connection_check: the hub verifies the connection (art. 10 "接入平台网络")."""

    passed: bool = Field(title="接入验证是否通过")
    report: str = Field(min_length=1, max_length=20000, title="接入验证报告")


class ServiceReportForm(BaseModel):
    """A connected window's plan, quarterly data or summary (art. 9(6) "定期报送服务计划、服务数据、服务总结")."""

    report: str = Field(default="", max_length=20000, title="报送内容")
    figures: dict[str, int] = Field(default_factory=dict, title="服务数据（指标：数量）")
    attachments: list[UploadId] = Field(default_factory=list, max_length=20, title="附件")

    @field_validator("figures")
    @classmethod
    def _figures(cls, v: dict[str, int]) -> dict[str, int]:
        bad = [k for k, n in v.items() if n < 0 or not k.strip()]
        if bad:
            raise ValueError(f"figures must be named counts of 0 or more: {', '.join(bad)}")
        return v


class AgreementDecisionForm(BaseModel):
    """window_onboarding.agreement: accept or reject another window's proposal (a rejection gives its reason)."""


class AgreementProposalForm(BaseModel):
    """POST /api/windows/{case_id}/agreements: the partner window and what the two will cooperate on (art. 9(6))."""

    partner_case_id: str = Field(min_length=1, max_length=64, title="合作窗口平台（案件编号）")
    scope: str = Field(min_length=1, max_length=2000, title="合作内容")


class WithdrawForm(BaseModel):
    """The builder withdraws its connected window from the network."""

    reason: str = Field(min_length=1, max_length=5000, title="退出理由")


FORMS: dict[str, type[BaseModel]] = {
    "window_onboarding": WindowCorrectionForm,
    "window_onboarding_expert_score": ExpertScoreForm,
    "window_onboarding_adaptation": AdaptationForm,
    "window_onboarding_connection_check": ConnectionCheckForm,
    "window_onboarding_report": ServiceReportForm,
    "window_onboarding_agreement": AgreementDecisionForm,
}
