"""The expert panel's result (002 art. 12 for certification; 000 四 "组织专家综合审定" for provider admission)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules import panel
from rules.certification import PANEL_BASIS, expert_panel_result


@pytest.mark.parametrize(("verdicts", "decision"), [
    (["approve", "approve", "reject"], "approve"),
    (["approve", "reject", "reject"], "reject"),
    (["approve", "reject"], "reject"),  # a tie is not a majority
    (["approve"], "approve"),
    (["approve", "approve", "reject", "reject", "approve"], "approve"),
])
def test_majority_of_the_panel(verdicts: list[str], decision: str) -> None:
    """002 art. 12: the department decides "根据专家评审"; the panel's result is a strict majority of its members."""
    result = expert_panel_result(verdicts, [80] * len(verdicts))
    assert result.decision == decision
    assert result.approvals + result.rejections == result.size == len(verdicts)
    assert result.basis == PANEL_BASIS and "第十二条" in result.basis


def test_mean_score_and_json() -> None:
    """The panel's mean score is shown to the department (scores not given are left out)."""
    result = expert_panel_result(["approve", "approve", "reject"], [90, None, 75])
    assert result.mean_score == Decimal("82.5")
    assert result.as_dict()["decision"] == "approve" and result.as_dict()["mean_score"] == "82.5"
    assert "过半数" in result.as_dict()["rule"]


@pytest.mark.parametrize("verdicts", [[], ["return"], ["approve", "maybe"]])
def test_bad_panels_refused(verdicts: list[str]) -> None:
    with pytest.raises(panel.PanelError):
        expert_panel_result(verdicts)


def test_departure_needs_a_reason() -> None:
    """002 art. 12: the department may decide against the panel's result only with a recorded reason."""
    assert panel.needs_departure_reason("approve", "reject", "")
    assert panel.needs_departure_reason("reject", "approve", "  ")
    assert not panel.needs_departure_reason("reject", "approve", "实地考察表明服务业绩突出")
    assert not panel.needs_departure_reason("approve", "approve", "")
    assert not panel.needs_departure_reason("approve", "return", "")
    assert not panel.needs_departure_reason(None, "reject", "")
