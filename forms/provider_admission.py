"""A provider's admission application (seed 003 art. 4 and 8; seed 000 四)."""

from __future__ import annotations

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

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in CATEGORIES]
        if bad:
            raise ValueError(f"unknown service category {', '.join(bad)}; expected one of {', '.join(CATEGORIES)}")
        return sorted(set(v))
