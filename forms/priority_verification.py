"""The enterprise's declaration of its voucher priority with proof (003 art. 11(3)) and the operator's verification."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator, model_validator

from forms.registration import credit_rating


class PriorityDeclarationForm(BaseModel):
    """专精特新 (with the department's list or certificate) and/or a credit rating (with the rating report)."""

    specialized: bool = Field(default=False, title="自治区“专精特新”中小企业")
    specialized_proof: str | None = Field(default=None, max_length=64, title="“专精特新”认定文件")
    credit_rating: str | None = Field(default=None, max_length=8, title="小微企业信用评级")
    credit_rating_proof: str | None = Field(default=None, max_length=64, title="信用评级报告")

    @field_validator("credit_rating")
    @classmethod
    def _rating(cls, v: str | None) -> str | None:
        return credit_rating(v)

    @model_validator(mode="after")
    def _proof_for_each_claim(self) -> PriorityDeclarationForm:
        if not self.specialized and self.credit_rating is None:
            raise ValueError("declare 专精特新 (specialized) or a credit rating (credit_rating)")
        if self.specialized and not self.specialized_proof:
            raise ValueError("specialized_proof: upload the 专精特新 certification (POST /api/uploads) and give its id")
        if self.credit_rating is not None and not self.credit_rating_proof:
            raise ValueError("credit_rating_proof: upload the credit rating report (POST /api/uploads) and give its id")
        return self


class PriorityVerifyForm(BaseModel):
    """priority_verification.review: approve what the proof shows; the operator may accept one claim only."""

    specialized: bool | None = Field(default=None, title="核验“专精特新”（不填则按申报）")
    credit_rating: str | None = Field(default=None, max_length=8, title="核验的信用评级（不填则按申报）")

    @field_validator("credit_rating")
    @classmethod
    def _rating(cls, v: str | None) -> str | None:
        return credit_rating(v)
