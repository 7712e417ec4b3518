"""An expert panel's result from its members' blind verdicts (002 art. 12 for certification; 003 art. 8 and
000 四 for provider admission).

The seeds say the department decides "根据专家评审" (002 art. 12) and that the hub "组织专家综合审定" (000 四) but not
how verdicts combine; the house rule is a strict majority of the whole panel: the panel approves when more than half of
its members approve (a tie rejects). The department sees the result and may depart from it only with a recorded
reason (`departs`, `needs_departure_reason`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from rules.errors import RuleViolation

Verdict = Literal["approve", "reject"]
RULE_ZH = "专家组过半数同意为通过（同意票数超过专家组人数的一半；票数相等为不通过）"


class PanelError(RuleViolation):
    """A panel's verdicts cannot be aggregated (no verdict, an unknown verdict)."""


@dataclass(frozen=True)
class PanelResult:
    """The panel's aggregated verdict with its counts and the mean of the scores given."""

    decision: Verdict
    size: int
    approvals: int
    rejections: int
    mean_score: Decimal | None
    basis: str

    def as_dict(self) -> dict[str, Any]:
        """JSON for the case's result (the department's view)."""
        return {"decision": self.decision, "size": self.size, "approvals": self.approvals,
                "rejections": self.rejections,
                "mean_score": None if self.mean_score is None else str(self.mean_score),
                "rule": RULE_ZH, "basis": self.basis}


def aggregate(verdicts: Sequence[str], scores: Sequence[int | None] = (), *, basis: str) -> PanelResult:
    """A strict majority of the panel approves, else the panel rejects; `basis` names the seed article."""
    if not verdicts:
        raise PanelError("empty_panel", "a panel needs at least one verdict")
    bad = [v for v in verdicts if v not in ("approve", "reject")]
    if bad:
        raise PanelError("invalid_verdict", f"verdicts must be approve or reject, got {bad}")
    approvals = sum(1 for v in verdicts if v == "approve")
    given = [s for s in scores if isinstance(s, int) and not isinstance(s, bool)]
    mean = (Decimal(sum(given)) / len(given)).quantize(Decimal("0.1"), ROUND_HALF_UP) if given else None
    decision: Verdict = "approve" if 2 * approvals > len(verdicts) else "reject"
    return PanelResult(decision, len(verdicts), approvals, len(verdicts) - approvals, mean, basis)


def departs(panel_decision: str, decision: str) -> bool:
    """Whether a final approve/reject goes against the panel's result (a `return` departs from nothing)."""
    return decision in ("approve", "reject") and decision != panel_decision


def needs_departure_reason(panel_decision: str | None, decision: str, reason: str) -> bool:
    """A decision against the panel's result needs a recorded reason; with no panel result there is nothing to
    depart from."""
    return panel_decision is not None and departs(panel_decision, decision) and not reason.strip()
