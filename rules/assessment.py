"""Annual assessment outcomes of the platform network (004 art. 11-13; 001 三(五)2-4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from rules.errors import RuleViolation

Subject = Literal["hub", "operator", "window", "service_org"]
Rating = Literal["excellent", "qualified", "failed"]
Standing = Literal["active", "rectifying", "revoked"]
Action = Literal["record", "keep", "priority_support", "rectify", "revoke"]

# 004 art. 13 says 限期整改 without a period; this default (working days) is a setting, not a seed number.
DEFAULT_RECTIFICATION_WORKING_DAYS = 30


class AssessmentError(RuleViolation):
    """An assessment cannot be applied (unknown subject or rating, or a revoked subject); has `code` and `message`."""


@dataclass(frozen=True)
class AssessmentOutcome:
    """What a rating does: the action, the standing after it, and the rectification period if one is set."""

    action: Action
    standing: Standing
    rectification_working_days: int | None = None


def assess(*, subject: Subject, standing: Standing, rating: Rating,
           rectification_working_days: int = DEFAULT_RECTIFICATION_WORKING_DAYS) -> AssessmentOutcome:
    """Apply a yearly (or post-rectification) rating to a subject's standing (004 art. 11, 13).

    - hub: the result only goes into the centre's efficiency assessment (art. 11) → "record".
    - qualified → "keep" (an operator keeps its contract); excellent → "priority_support" for windows and
      partner service organisations, "keep" for the operator (art. 13 names priority support for those two only).
    - failed while active → "rectify" with a deadline; failed again while rectifying → "revoke" (art. 13).
    - a passing rating while rectifying ends the rectification (standing back to active).
    """
    if subject not in get_args(Subject):
        raise AssessmentError("invalid_subject", f"subject must be one of {get_args(Subject)}, got {subject!r}")
    if rating not in get_args(Rating):
        raise AssessmentError("invalid_rating", f"rating must be one of {get_args(Rating)}, got {rating!r}")
    if standing not in get_args(Standing):
        raise AssessmentError("invalid_standing", f"standing must be one of {get_args(Standing)}, got {standing!r}")
    if standing == "revoked":
        raise AssessmentError("already_revoked", "a revoked qualification is not assessed again")
    if subject == "hub":
        return AssessmentOutcome("record", "active")
    if rating == "failed":
        if standing == "rectifying":
            return AssessmentOutcome("revoke", "revoked")
        if not isinstance(rectification_working_days, int) or rectification_working_days <= 0:
            raise AssessmentError("invalid_period", "the rectification period must be a positive number of days")
        return AssessmentOutcome("rectify", "rectifying", rectification_working_days)
    if rating == "excellent" and subject in ("window", "service_org"):
        return AssessmentOutcome("priority_support", "active")
    return AssessmentOutcome("keep", "active")
