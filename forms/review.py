"""The forms of reviewers' tasks."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator


class ReviewForm(BaseModel):
    """A reviewer's decision needs nothing but the decision and a comment."""


class ExpertOpinionForm(BaseModel):
    """An expert's review of a provider and its service items."""

    score: int | None = Field(default=None, ge=0, le=100, title="评分（0-100）")
    opinion: str = Field(default="", max_length=2000, title="评审意见")
    # Declared before scoring (issue 15): see forms.certification.ExpertReviewForm.
    no_conflict: bool = Field(default=None, title="本人声明：与申请单位不存在利益冲突（如有利益冲突应回避）")  # type: ignore[assignment]

    @field_validator("no_conflict")
    @classmethod
    def _declared(cls, v: bool | None) -> bool | None:
        if v is False:
            raise ValueError("declare that you have no conflict of interest with the applicant before scoring; "
                             "an expert with a conflict recuses and the task is reassigned")
        return v


class ObjectionReviewForm(BaseModel):
    """A public-notice objection's investigation: the finding goes in the comment; nothing else is needed."""
