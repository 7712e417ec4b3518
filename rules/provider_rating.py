"""Star rating, ranking and dynamic adjustment of signed service providers (003 art. 11(2); 001 三(三)10).

003 art. 11(2): "运营单位负责定期开展服务机构服务情况审核，依据审核结果和企业满意度评价，提出服务机构评级排名和动态
调整建议，经自治区非公有制经济服务局审核后，在自治区中小企业公共服务平台公示。" 001 三(三)10: "开展服务机构评星定级…
建立准入淘汰机制". The seeds give no scale; the house rule, kept here as data:

- satisfaction score = (2 × 满意 + 1 × 基本满意) / (2 × rated services), from the enterprises' confirmations;
- stars 5/4/3/2/1 at a score of at least 90/80/70/60/0 %; each supervision finding (a settlement the operator lowered
  for an unsatisfactory or incomplete service, 003 art. 11(1)) takes one star off, never below one;
- adjustment: a voided voucher (collusion or falsification) → remove (淘汰); 1 star → remove; 2 stars → rectify
  (限期整改); 5 stars → recommend (重点推介); otherwise keep. A provider with no rated service is not rated (keep).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from rules.errors import RuleViolation

Adjustment = Literal["recommend", "keep", "rectify", "remove"]
ADJUSTMENT_ZH: dict[str, str] = {"recommend": "重点推介", "keep": "保持签约", "rectify": "限期整改", "remove": "取消签约资格"}
STAR_FLOORS: tuple[tuple[int, Fraction], ...] = (
    (5, Fraction(90, 100)), (4, Fraction(80, 100)), (3, Fraction(70, 100)), (2, Fraction(60, 100)), (1, Fraction(0)))


class RatingError(RuleViolation):
    """A rating input or an operator's change to it is not valid."""


@dataclass(frozen=True)
class ServiceRecord:
    """A provider's services in the period: the enterprises' ratings and the operator's findings."""

    org_id: int
    name: str
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    lowered: int = 0  # settlements lowered by the operator (supervision findings)
    voided: int = 0  # vouchers voided for collusion or falsification


@dataclass(frozen=True)
class Rating:
    org_id: int
    name: str
    stars: int | None
    score_pct: Fraction | None
    adjustment: Adjustment
    reason: str


def rate(rec: ServiceRecord) -> Rating:
    """One provider's stars and proposed adjustment (003 art. 11(2); the scale is the house rule above)."""
    counts = (rec.satisfied, rec.basic, rec.unsatisfied, rec.lowered, rec.voided)
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in counts):
        raise RatingError("rating_invalid", f"counts must be non-negative integers: {counts}")
    rated = rec.satisfied + rec.basic + rec.unsatisfied
    if rec.voided:
        return Rating(rec.org_id, rec.name, 1 if rated else None, None, "remove",
                      f"服务券因恶意串通、弄虚作假作废{rec.voided}张（003 第十一条（一））")
    if rated == 0:
        return Rating(rec.org_id, rec.name, None, None, "keep", "本期无企业评价的服务，不评星")
    score = Fraction(2 * rec.satisfied + rec.basic, 2 * rated)
    stars = next(s for s, floor in STAR_FLOORS if score >= floor)
    stars = max(1, stars - rec.lowered)
    adjustment: Adjustment = "remove" if stars == 1 else "rectify" if stars == 2 else \
        "recommend" if stars == 5 else "keep"
    reason = (f"企业评价{rated}次（满意{rec.satisfied}、基本满意{rec.basic}、不满意{rec.unsatisfied}），"
              f"满意度得分{float(score * 100):.1f}%" + (f"；核减结算{rec.lowered}次" if rec.lowered else ""))
    return Rating(rec.org_id, rec.name, stars, score * 100, adjustment, reason)


def rank(ratings: Sequence[Rating]) -> list[Rating]:
    """The ranking: most stars first, then the higher score, then the name; unrated providers last."""
    return sorted(ratings, key=lambda r: (r.stars is None, -(r.stars or 0), -(r.score_pct or 0), r.name))


def override(r: Rating, *, stars: int | None, adjustment: str, reason: str) -> Rating:
    """The operator's change to a proposed rating: allowed, with its reason (it goes to the department and the 公示)."""
    if adjustment not in ADJUSTMENT_ZH:
        raise RatingError("rating_invalid", f"adjustment must be one of {', '.join(ADJUSTMENT_ZH)}")
    if stars is not None and (isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5):
        raise RatingError("rating_invalid", "stars must be 1 to 5")
    if not reason.strip():
        raise RatingError("rating_reason_required", "a change to the proposed rating needs its reason")
    return Rating(r.org_id, r.name, stars, r.score_pct, adjustment, f"运营单位调整：{reason.strip()}")  # type: ignore[arg-type]
