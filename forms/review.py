"""The forms of reviewers' tasks."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

NO_CONFLICT = "no_conflict"  # the field of an expert's declaration (issue 15)


def no_conflict_field(party: str) -> Any:
    """An expert's declaration before scoring (issue 15): the page's checkbox must be ticked; an API client may omit it
    (recorded as not given), but an expert who declares a conflict may not score: the task is reassigned instead."""
    return Field(default=None, title=f"本人声明：与{party}不存在利益冲突（如有利益冲突应回避）")


def refuse_declared_conflict(cls: type, v: bool | None) -> bool | None:
    """The validator of `no_conflict` (use as `field_validator("no_conflict")(refuse_declared_conflict)`)."""
    if v is False:
        raise ValueError("declare that you have no conflict of interest with the applicant before scoring; "
                         "an expert with a conflict recuses and the task is reassigned")
    return v


class ReviewForm(BaseModel):
    """A reviewer's decision needs nothing but the decision and a comment."""


class ExpertOpinionForm(BaseModel):
    """An expert's review of a provider and its service items."""

    score: int | None = Field(default=None, ge=0, le=100, title="评分（0-100）")
    opinion: str = Field(default="", max_length=2000, title="评审意见")
    no_conflict: bool = no_conflict_field("申请单位")

    _declared = field_validator("no_conflict")(refuse_declared_conflict)


class ObjectionReviewForm(BaseModel):
    """A public-notice objection's investigation: the finding goes in the comment; nothing else is needed."""
