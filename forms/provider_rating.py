"""The forms of the providers' star rating (003 art. 11(2); 001 三(三)10)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class RatingCaseForm(BaseModel):
    """The operator opens a year's rating."""

    year: int = Field(ge=2016, le=2100, title="评级年度")


class ProposalForm(BaseModel):
    """The operator's review of the proposal: changes by provider id, each {stars, adjustment, reason}."""

    changes: dict[str, dict[str, Any]] = Field(default_factory=dict, title="调整（服务机构编号：星级、动态调整、理由）")


FORMS = {"provider_rating_proposal": ProposalForm}
