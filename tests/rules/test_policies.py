"""Policy versions carry their status and validity dates (002 征求意见稿; 004 art. 17; 003 art. 12)."""

from __future__ import annotations

from datetime import date

import pytest

from rules.policies import PolicyError, policy, policy_for


def test_002_is_a_draft_for_comment() -> None:
    """Seed 002 is "（征求意见稿）": whatever the day, its status is draft and the citation says so."""
    p = policy_for("certification")
    assert p.seed == "002" and p.draft
    assert p.status_on(date(2026, 1, 1)) == "draft"
    assert "征求意见稿" in p.citation()
    assert p.as_dict(date(2026, 1, 1))["status_label"] == "征求意见稿"


@pytest.mark.parametrize(("day", "status"), [
    (date(2018, 3, 5), "not_yet_in_force"), (date(2018, 3, 6), "in_force"), (date(2020, 3, 6), "in_force"),
    (date(2020, 3, 7), "expired"),
])
def test_004_in_force_2018_03_06_to_2020_03_06(day: date, status: str) -> None:
    """Seed 004 art. 17: 本办法自2018年3月6日施行，有效期至2020年3月6日."""
    p = policy("004-2018")
    assert p.status_on(day) == status
    assert p.citation().endswith("（宁非公经发〔2018〕23号）")


def test_003_in_force_from_issue() -> None:
    """Seed 003 art. 12: 自发布之日起施行, no end date."""
    p = policy_for("provider_admission")
    assert p.status_on(date(2016, 6, 23)) == "not_yet_in_force" and p.status_on(date(2030, 1, 1)) == "in_force"


def test_unknown() -> None:
    with pytest.raises(PolicyError):
        policy("1999")
    with pytest.raises(PolicyError):
        policy_for("nothing")
