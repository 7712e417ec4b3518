"""A provider's admission application (seed 003 art. 4 and 8; seed 000 四)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from forms.uploads import UploadId
from rules.voucher import CATEGORIES


class ServiceItem(BaseModel):
    name: str = Field(min_length=1, max_length=100, title="服务项目名称")
    price_fen: int = Field(gt=0, le=100_000_000_00, title="价格（分）")


class ProviderAdmissionForm(BaseModel):
    """The categories the provider serves, its service items and a description."""

    categories: list[str] = Field(min_length=1, title="服务类别")
    service_items: list[ServiceItem] = Field(min_length=1, max_length=100, title="服务项目")
    description: str = Field(default="", max_length=5000, title="机构及服务简介")
    materials: list[UploadId] = Field(default_factory=list, max_length=50, title="证明材料（营业执照、资质证书等）")
    # 000 四: the way in, checked by rules.provider (the operator verifies the proof in the materials).
    basis: Literal["ningxia_legal_person", "licensed_body", "out_of_region_office"] = Field(
        default="ningxia_legal_person", title="签约资格依据（000 四）")
    independent_legal_person: bool = Field(default=True, title="具有独立法人资格")
    pays_tax_in_ningxia: bool = Field(default=True, title="在我区登记纳税")
    licences: list[UploadId] = Field(default_factory=list, max_length=10,
                                     title="国家规定的执业许可证明（法律、知识产权类别必填）")
    office_since: date | None = Field(default=None, title="区外机构驻宁办事机构依法经营起始日期")

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in CATEGORIES]
        if bad:
            raise ValueError(f"unknown service category {', '.join(bad)}; expected one of {', '.join(CATEGORIES)}")
        return sorted(set(v))


class FilingForm(BaseModel):
    """The department's filing (003 art. 8): against the expert panel's result only with a recorded reason."""

    departure_reason: str = Field(default="", max_length=5000, title="与专家组综合审定结论不一致的理由")


class PanelSettingsForm(BaseModel):
    """The operator's setting of the blind panel of 000 四 "组织专家综合审定" (the seed fixes no number)."""

    experts: int = Field(default=1, ge=1, le=15, title="综合审定专家人数")


FORMS = {"provider_admission_filing": FilingForm}
