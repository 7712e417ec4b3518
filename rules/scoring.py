"""Summaries of experts' scores for the deciding official: the average, and the average without the highest and the
lowest score (the usual 去掉一个最高分和一个最低分 of an expert panel; seed 002 art. 12 has experts 评审, seed 004
art. 10 评估审查, neither fixes the arithmetic, so both figures are shown and the decision stays the official's)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ScoreSummary:
    count: int
    average: float | None
    trimmed_average: float | None  # None with fewer than three scores (nothing is left to trim)
    highest: int | None
    lowest: int | None


def summarise(scores: list[int]) -> ScoreSummary:
    """Average (one decimal) and trimmed average of 0-100 scores."""
    if not scores:
        return ScoreSummary(0, None, None, None, None)
    ordered = sorted(scores)
    average = round(sum(ordered) / len(ordered), 1)
    trimmed = round(sum(ordered[1:-1]) / (len(ordered) - 2), 1) if len(ordered) >= 3 else None
    return ScoreSummary(len(ordered), average, trimmed, ordered[-1], ordered[0])
