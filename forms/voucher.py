"""The forms of the voucher process (P1; seed 000 五, seed 003 art. 9-11): field names are a public contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from forms.uploads import BASIS_POINTS, UploadId
from rules.voucher import CATEGORIES


class VoucherDemandForm(BaseModel):
    """An enterprise's service demand: what it needs, in which category, for about how much."""

    category: str = Field(title="服务类别")
    title: str = Field(min_length=1, max_length=100, title="服务项目")
    description: str = Field(default="", max_length=5000, title="需求描述")
    budget_fen: int = Field(gt=0, le=100_000_000_00, title="预算（分）")

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(f"unknown service category {v!r}; expected one of {', '.join(CATEGORIES)}")
        return v


class DemandReviewForm(BaseModel):
    """voucher.demand_review: the operator confirms the demand's category or corrects it; the ratio follows the
    confirmed category (000 二: 25 % for 财务代理 / 财务信息化 cannot be dodged by filing them as 管理咨询)."""

    category: str | None = Field(default=None, title="核定服务类别（不填则确认企业申报的类别）")

    @field_validator("category")
    @classmethod
    def _category(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        if v not in CATEGORIES:
            raise ValueError(f"unknown service category {v!r}; expected one of {', '.join(CATEGORIES)}")
        return v


class DepositForm(BaseModel):
    """voucher.deposit (2016, 003 art. 9(二)): the operator records the rest of the fee the enterprise paid to it as a
    deposit (保证金), which it passes to the provider at settlement."""

    deposit_fen: int = Field(ge=0, le=100_000_000_00, title="企业交付的保证金（分）")
    receipt: str | None = Field(default=None, max_length=64, title="保证金收款凭证")


class ChooseBidForm(BaseModel):
    """The enterprise picks one of the bids (voucher.choose_bid)."""

    bid_id: int = Field(gt=0, title="选定的报价编号")


class VoucherMaterials(BaseModel):
    """The five materials of seed 000 五.4, as upload ids (a tax return is not tax-payment proof)."""

    premises_proof: UploadId = Field(title="经营场所证明（租赁合同或产权证明）")
    office_photo: UploadId = Field(title="办公场所照片")
    financial_statements: UploadId = Field(title="财务报表")
    social_security_proof: UploadId = Field(title="社保缴纳证明")
    tax_payment_proof: UploadId = Field(title="纳税证明（银行缴税回单）")


class VoucherApplyForm(BaseModel):
    """voucher.apply: the contract amount with the chosen provider and the materials."""

    contract_amount_fen: int = Field(gt=0, le=100_000_000_00, title="服务合同金额（分）")
    materials: VoucherMaterials = Field(title="申领材料")


class FirstReviewForm(BaseModel):
    """voucher.first_review: the operator may lower the computed amount, never raise it (003 art. 9(二))."""

    amount_fen: int | None = Field(default=None, gt=0, title="核定服务券金额（分，不填则按计算金额）")


class DeliveryForm(BaseModel):
    """voucher.delivery: the provider's completion proof, the invoice and what the enterprise paid (000 七)."""

    completion_proof: UploadId = Field(title="项目完成证明")
    invoice: UploadId = Field(title="发票（收费凭证）")
    paid_fen: int = Field(ge=0, le=100_000_000_00, title="企业已支付金额（分）")


class ConfirmForm(BaseModel):
    """voucher.confirm: the enterprise confirms the service and rates it."""

    satisfaction: Literal["satisfied", "basic", "unsatisfied"] = Field(title="满意度")
    # What the enterprise itself paid of the contract (000 七), confirmed or corrected; left out, the provider's
    # figure of voucher.delivery stands as confirmed. At most the contract amount.
    paid_fen: int | None = Field(default=None, ge=0, le=100_000_000_00, title="企业确认的已支付金额（分，不填则按服务机构报送）")


class SettlementReviewForm(BaseModel):
    """voucher.settlement_review: lower the settled amount (with a reason in the comment) only as 003 art. 11(1) allows."""

    settled_fen: int | None = Field(default=None, ge=0, title="核定结算金额（分，不填则按服务券面值）")
    supervision_fee_bp: int | None = Field(default=None, ge=0, le=10_000, title="监理服务费率（3%-6%，不填按默认）",
                                           json_schema_extra=BASIS_POINTS)
    fully_performed: bool = Field(default=True, title="合同已全面履行")
