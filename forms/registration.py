"""Registration of an enterprise, provider or platform organisation (seed 000 五.1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from forms.text import clean_name
from rules.cities import validate_city
from rules.errors import RuleViolation
from rules.fund import FundError, credit_grade
from rules.size_class import INDUSTRIES, check_declared_size
from rules.uscc import validate_uscc
from rules.voucher import CATEGORIES


class OrgForm(BaseModel):
    """The organisation behind a new account."""

    name: str = Field(min_length=2, max_length=100, title="单位名称")
    uscc: str = Field(title="统一社会信用代码")
    city: str = Field(title="所在市")
    size: Literal["micro", "small", "medium", "large"] = Field(title="企业规模")
    employees: int = Field(ge=0, le=10_000_000, title="从业人员（人）")
    revenue_fen: int = Field(ge=0, title="营业收入（分；租赁和商务服务业为资产总额）")
    industry: str = Field(title="所属行业")
    categories: list[str] = Field(default_factory=list, title="服务类别（服务机构填写）")
    # 003 art. 5 具有独立法人资格: declared; an enterprise that declares it is not one is refused (True when left out).
    independent_legal_person: bool = Field(default=True, title="具有独立法人资格")
    # 000 一: 生产性制造业 / 生产性服务业 (None: taken from the industry where it implies one, rules.voucher).
    sector: Literal["production_manufacturing", "producer_services", "other"] | None = Field(
        default=None, title="行业类型（生产性制造业/生产性服务业）")
    # 003 art. 11(3): declared only; the operator verifies them with the proof (priority_verification process).
    declared_specialized: bool = Field(default=False, title="自治区“专精特新”中小企业（申报）")
    declared_credit_rating: str | None = Field(default=None, max_length=8, title="小微企业信用评级（申报）")
    email: str | None = Field(default=None, max_length=200, title="电子邮箱")
    phone: str | None = Field(default=None, max_length=30, title="手机号码")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        name = clean_name(v)
        if len(name) < 2:
            raise ValueError("the name needs at least 2 characters besides control characters")
        return name

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, v: str) -> str:
        try:
            return validate_uscc(v)
        except RuleViolation as exc:
            raise ValueError(exc.message) from None

    @field_validator("city")
    @classmethod
    def _city(cls, v: str) -> str:
        try:
            return validate_city(v)
        except RuleViolation as exc:
            raise ValueError(exc.message) from None

    @field_validator("industry")
    @classmethod
    def _industry(cls, v: str) -> str:
        if v not in INDUSTRIES:
            raise ValueError(f"unknown industry '{v}'; expected one of {', '.join(INDUSTRIES)}")
        return v

    @field_validator("declared_credit_rating")
    @classmethod
    def _rating(cls, v: str | None) -> str | None:
        return credit_rating(v)

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in CATEGORIES]
        if bad:
            raise ValueError(f"unknown service category {', '.join(bad)}; expected one of {', '.join(CATEGORIES)}")
        return sorted(set(v))

    @model_validator(mode="after")
    def _size_matches_figures(self) -> OrgForm:
        reason = check_declared_size(declared=self.size, industry=self.industry, employees=self.employees,
                                     revenue_fen=self.revenue_fen)
        if reason:
            raise ValueError(reason)
        return self


def credit_rating(v: str | None) -> str | None:
    """A declared or verified credit rating (003 art. 11(3)): blank is none; else a grade the fund rules know, upper-case."""
    if v is None or not v.strip():
        return None
    try:
        credit_grade(v)
    except FundError as exc:
        raise ValueError(exc.message) from None
    return v.strip().upper()


class RegistrationForm(BaseModel):
    """POST /api/register."""

    kind: Literal["enterprise", "provider", "platform_org", "operating_unit"] = Field(title="账户类型")
    username: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$", title="用户名")
    password: str = Field(min_length=8, max_length=128, title="密码")
    org: OrgForm

    @model_validator(mode="after")
    def _provider_needs_categories(self) -> RegistrationForm:
        if self.kind == "provider" and not self.org.categories:
            raise ValueError("a provider must name at least one service category (org.categories)")
        return self
