"""Star rating and dynamic adjustment of providers (003 art. 11(2): 依据审核结果和企业满意度评价，提出服务机构评级排名和
动态调整建议; 001 三(三)10: 开展服务机构评星定级，建立准入淘汰机制)."""

from __future__ import annotations

import pytest

from rules.provider_rating import RatingError, ServiceRecord, override, rank, rate


@pytest.mark.parametrize(("satisfied", "basic", "unsatisfied", "stars", "adjustment"), [
    (9, 1, 0, 5, "recommend"),  # 95 %
    (8, 0, 2, 4, "keep"),  # 80 %
    (5, 4, 1, 3, "keep"),  # 70 %
    (4, 4, 2, 2, "rectify"),  # 60 %
    (2, 2, 6, 1, "remove"),  # 30 %
])
def test_stars_from_the_enterprises_satisfaction(satisfied: int, basic: int, unsatisfied: int, stars: int,
                                                 adjustment: str) -> None:
    """003 art. 11(2) 企业满意度评价 → 评星定级 and the proposed dynamic adjustment."""
    r = rate(ServiceRecord(1, "甲", satisfied, basic, unsatisfied))
    assert (r.stars, r.adjustment) == (stars, adjustment)


def test_supervision_findings_take_stars_off() -> None:
    """003 art. 11(2) 审核结果: each settlement the operator lowered takes one star off (never below one)."""
    assert rate(ServiceRecord(1, "甲", 10, lowered=1)).stars == 4
    assert rate(ServiceRecord(1, "甲", 10, lowered=9)).stars == 1


def test_a_voided_voucher_proposes_removal() -> None:
    """003 art. 11(1): collusion or falsification → the provider loses its signed status (淘汰)."""
    r = rate(ServiceRecord(1, "甲", 10, voided=1))
    assert r.adjustment == "remove" and "作废" in r.reason


def test_no_rated_service_is_not_rated_and_ranks_last() -> None:
    unrated = rate(ServiceRecord(3, "丙"))
    assert (unrated.stars, unrated.adjustment) == (None, "keep")
    ranked = rank([unrated, rate(ServiceRecord(1, "甲", 5, 5)), rate(ServiceRecord(2, "乙", 10))])
    assert [r.name for r in ranked] == ["乙", "甲", "丙"]


def test_the_operator_may_change_a_proposal_only_with_a_reason() -> None:
    r = rate(ServiceRecord(1, "甲", 2, 2, 6))
    with pytest.raises(RatingError) as exc:
        override(r, stars=2, adjustment="rectify", reason=" ")
    assert exc.value.code == "rating_reason_required"
    changed = override(r, stars=2, adjustment="rectify", reason="已整改到位")
    assert (changed.stars, changed.adjustment) == (2, "rectify") and "已整改到位" in changed.reason
    with pytest.raises(RatingError):
        override(r, stars=6, adjustment="keep", reason="x")
