"""Service levels of the human steps (seed 001 三(三)1: the platform's service data are collected, analysed and
reported): for each task type, person or city bureau, the time to claim and to complete (median, p90), the share
completed within the due time and what is overdue now. Pure: the caller passes the task records."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

GroupBy = Literal["type", "person", "city"]
OPEN = ("open", "claimed")


@dataclass(frozen=True)
class TaskRecord:
    """One task as the aggregation needs it (times are aware datetimes)."""

    type: str
    status: str
    opened_at: datetime
    due_at: datetime
    claimed_at: datetime | None = None
    completed_at: datetime | None = None
    person: str | None = None  # who completed it, else who holds it
    city: str | None = None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    xs = sorted(values)
    if len(xs) == 1:
        return float(xs[0])
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return float(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo))


def _hours(a: datetime, b: datetime) -> float:
    return max((b - a).total_seconds(), 0.0) / 3600


def _key(by: GroupBy) -> Callable[[TaskRecord], str]:
    if by == "type":
        return lambda r: r.type
    if by == "person":
        return lambda r: r.person or "（未认领）"
    return lambda r: r.city or "（全区）"


def service_levels(records: Iterable[TaskRecord], *, by: GroupBy, start: datetime, end: datetime,
                   now: datetime) -> list[dict[str, Any]]:
    """One row per group. Durations and the within-due share count the tasks opened in [start, end); `overdue_now`
    counts every task of the group still open past its due time at `now`, whenever it was opened."""
    key = _key(by)
    groups: dict[str, list[TaskRecord]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    rows = []
    for name, rs in groups.items():
        period = [r for r in rs if start <= r.opened_at < end and r.status != "cancelled"]
        claim = [_hours(r.opened_at, r.claimed_at) for r in period if r.claimed_at is not None]
        done = [r for r in period if r.status == "completed" and r.completed_at is not None]
        complete = [_hours(r.opened_at, r.completed_at) for r in done if r.completed_at is not None]
        in_time = sum(1 for r in done if r.completed_at is not None and r.completed_at <= r.due_at)
        overdue = sum(1 for r in rs if r.status in OPEN and r.due_at < now)
        if not period and not overdue:
            continue
        rows.append({
            "group": name, "opened": len(period), "completed": len(done),
            "claim_median_h": _round(percentile(claim, 50)), "claim_p90_h": _round(percentile(claim, 90)),
            "complete_median_h": _round(percentile(complete, 50)), "complete_p90_h": _round(percentile(complete, 90)),
            "within_due_share": round(in_time / len(done), 4) if done else None,
            "overdue_now": overdue,
        })
    rows.sort(key=lambda x: (-x["opened"], x["group"]))
    return rows


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def claimed_at(*, opened_at: datetime, assigned_at_open: bool, claims: Sequence[datetime],
               completed_at: datetime | None) -> datetime | None:
    """When a task was first taken: at opening when it was opened for a named person, else its first claim, else
    (completed straight from the pool) when it was completed."""
    if assigned_at_open:
        return opened_at
    if claims:
        return min(claims)
    return completed_at
