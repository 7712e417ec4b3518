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


# --- indicator sets, the weighted total and the rating (004 art. 11-12; 001 三(五)2) --------------------------------

Kind = Literal["window", "partner", "operating_unit", "hub"]
KINDS: tuple[str, ...] = get_args(Kind)

# The subject of `assess` each campaign kind is.
SUBJECT_OF_KIND: dict[str, Subject] = {"window": "window", "partner": "service_org", "operating_unit": "operator",
                                       "hub": "hub"}

# Who reports for a subject (its own organisation's users) and who scores it: the hub (operator) assesses windows,
# partners and the operating unit (004 art. 12), the bureau (department) assesses the hub (art. 11).
SELF_ROLE = {"window": "platform_org", "partner": "provider", "operating_unit": "operating_unit",
             "hub": "operator"}
ASSESSOR_ROLE = {"window": "operator", "partner": "operator", "operating_unit": "operator", "hub": "department"}

KIND_LABELS = {"window": "窗口平台", "partner": "合作服务机构", "operating_unit": "运营机构", "hub": "枢纽平台"}

DEFAULT_EXCELLENT_MIN = 90.0
DEFAULT_QUALIFIED_MIN = 60.0


@dataclass(frozen=True)
class Indicator:
    """One indicator of a set: a stable key, its Chinese name and its (relative, positive) weight."""

    key: str
    name: str
    weight: float = 1.0


@dataclass(frozen=True)
class IndicatorSet:
    """The hub's assessment method for one kind (001 三(五)2: the hub writes it), as data."""

    kind: str
    indicators: tuple[Indicator, ...]
    excellent_min: float = DEFAULT_EXCELLENT_MIN
    qualified_min: float = DEFAULT_QUALIFIED_MIN
    provisional: bool = False

    def keys(self) -> list[str]:
        return [i.key for i in self.indicators]

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "indicators": [{"key": i.key, "name": i.name, "weight": i.weight}
                                                  for i in self.indicators],
                "excellent_min": self.excellent_min, "qualified_min": self.qualified_min,
                "provisional": self.provisional}


def _defaults(kind: str, pairs: list[tuple[str, str]]) -> IndicatorSet:
    return IndicatorSet(kind=kind, indicators=tuple(Indicator(k, n, 1.0) for k, n in pairs), provisional=True)


# The seeds name the indicators but give no weights (004 art. 11-12): equal weights, provisional until the hub
# (the bureau for the hub) sets its own.
DEFAULT_SETS: dict[str, IndicatorSet] = {
    # 004 art. 12: 窗口平台重点考核基本服务条件、服务中小企业数量和服务质量、公共服务活动数量和效果、企业满意度、服务数据报送等
    "window": _defaults("window", [("conditions", "基本服务条件"), ("smes_served", "服务中小企业数量和服务质量"),
                                   ("public_events", "公共服务活动数量和效果"), ("satisfaction", "企业满意度"),
                                   ("data_reporting", "服务数据报送")]),
    # 004 art. 12: 合作服务机构重点考核服务中小企业数量和服务质量、企业满意度等
    "partner": _defaults("partner", [("smes_served", "服务中小企业数量和服务质量"), ("satisfaction", "企业满意度")]),
    # 004 art. 12: 运营机构重点考核平台网络整体运营管理、服务绩效、资金使用等
    "operating_unit": _defaults("operating_unit", [("operation", "平台网络整体运营管理"), ("performance", "服务绩效"),
                                                   ("fund_use", "资金使用")]),
    # 004 art. 11: 平台网络年度目标完成情况、枢纽平台运营管理情况、服务质量和效果、资金使用情况、信息安全
    "hub": _defaults("hub", [("annual_targets", "平台网络年度目标完成情况"), ("operation", "枢纽平台运营管理情况"),
                             ("service_quality", "服务质量和效果"), ("fund_use", "资金使用情况"),
                             ("information_security", "信息安全")]),
}


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise AssessmentError("invalid_kind", f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return kind


def indicator_set(kind: str, data: dict[str, object]) -> IndicatorSet:
    """Validate an indicator set the hub enters (001 三(五)2): keys unique, weights positive, 0 < qualified ≤ excellent ≤ 100."""
    check_kind(kind)
    raw = data.get("indicators")
    if not isinstance(raw, list) or not raw:
        raise AssessmentError("no_indicators", "indicators: give at least one indicator")
    items: list[Indicator] = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            raise AssessmentError("invalid_indicator", f"indicators[{n}]: expected an object with key, name, weight")
        key, name, weight = str(item.get("key") or "").strip(), str(item.get("name") or "").strip(), item.get("weight", 1)
        if not key or not name:
            raise AssessmentError("invalid_indicator", f"indicators[{n}]: key and name are required")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1000:
            raise AssessmentError("invalid_weight", f"indicators[{n}].weight: a positive number up to 1000")
        items.append(Indicator(key, name, float(weight)))
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        raise AssessmentError("duplicate_indicator", "indicators: every key must be unique")
    excellent = data.get("excellent_min", DEFAULT_EXCELLENT_MIN)
    qualified = data.get("qualified_min", DEFAULT_QUALIFIED_MIN)
    for label, v in (("excellent_min", excellent), ("qualified_min", qualified)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= 100:
            raise AssessmentError("invalid_threshold", f"{label}: a number above 0 and up to 100")
    if float(qualified) > float(excellent):  # type: ignore[arg-type]
        raise AssessmentError("invalid_threshold", "qualified_min may not exceed excellent_min")
    return IndicatorSet(kind=kind, indicators=tuple(items), excellent_min=float(excellent),  # type: ignore[arg-type]
                        qualified_min=float(qualified))  # type: ignore[arg-type]


def check_scores(ind: IndicatorSet, scores: object) -> dict[str, float]:
    """Every indicator of the set scored 0-100, none other (the hub's method, 004 art. 12)."""
    if not isinstance(scores, dict):
        raise AssessmentError("invalid_scores", "scores: an object of indicator key -> score 0-100")
    unknown = sorted(set(scores) - set(ind.keys()))
    if unknown:
        raise AssessmentError("unknown_indicator", f"scores: not indicators of this assessment: {', '.join(unknown)}")
    missing = [i.key for i in ind.indicators if scores.get(i.key) is None]
    if missing:
        raise AssessmentError("missing_score", f"scores: every indicator needs a score; missing {', '.join(missing)}")
    out: dict[str, float] = {}
    for key in ind.keys():
        v = scores[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 100:
            raise AssessmentError("score_out_of_range", f"scores.{key}: a score from 0 to 100, got {v!r}")
        out[key] = float(v)
    return out


def weighted_total(ind: IndicatorSet, scores: dict[str, float]) -> float:
    """Σ weight × score / Σ weight, rounded to 2 decimals (scores checked by `check_scores`)."""
    total_weight = sum(i.weight for i in ind.indicators)
    return round(sum(i.weight * scores[i.key] for i in ind.indicators) / total_weight, 2)


def rating(ind: IndicatorSet, total: float) -> Rating:
    """excellent ≥ excellent_min, qualified ≥ qualified_min, failed below (the hub's thresholds; 90/60 by default)."""
    if total >= ind.excellent_min:
        return "excellent"
    if total >= ind.qualified_min:
        return "qualified"
    return "failed"


def score(ind: IndicatorSet, scores: object) -> tuple[dict[str, float], float, Rating]:
    """Check the scores, weigh them and rate the total, in one call."""
    checked = check_scores(ind, scores)
    total = weighted_total(ind, checked)
    return checked, total, rating(ind, total)
