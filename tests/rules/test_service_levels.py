"""Service-level aggregation (001 三(三)1), without Temporal or a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.service_levels import TaskRecord, claimed_at, percentile, service_levels

T0 = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
H = timedelta(hours=1)


def rec(type_: str = "a.review", *, opened: float = 0, claimed: float | None = None, done: float | None = None,
        due: float = 48, status: str | None = None, person: str | None = "op1", city: str | None = None) -> TaskRecord:
    return TaskRecord(type=type_, status=status or ("completed" if done is not None else "open"),
                      opened_at=T0 + opened * H, due_at=T0 + due * H,
                      claimed_at=None if claimed is None else T0 + claimed * H,
                      completed_at=None if done is None else T0 + done * H, person=person, city=city)


def test_percentile_interpolates_and_handles_edges() -> None:
    assert percentile([], 50) is None
    assert percentile([7], 90) == 7
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9.1


def test_levels_per_type_median_p90_share_and_overdue() -> None:
    rs = [rec(claimed=1, done=10), rec(claimed=3, done=20), rec(claimed=5, done=60),  # last one late (due 48 h)
          rec(opened=1, claimed=2, status="claimed", due=5),  # overdue now
          rec("b.check", claimed=0, done=1)]
    now = T0 + 100 * H
    rows = {r["group"]: r for r in service_levels(rs, by="type", start=T0, end=T0 + 30 * 24 * H, now=now)}
    a = rows["a.review"]
    assert (a["opened"], a["completed"]) == (4, 3)
    assert a["claim_median_h"] == 2 and a["claim_p90_h"] == 4.4
    assert a["complete_median_h"] == 20 and a["complete_p90_h"] == 52
    assert a["within_due_share"] == round(2 / 3, 4) and a["overdue_now"] == 1
    assert rows["b.check"]["within_due_share"] == 1 and rows["b.check"]["overdue_now"] == 0


def test_period_bounds_and_groups_by_person_and_city() -> None:
    rs = [rec(person="x", city="guyuan", done=2), rec(opened=-100, person="y", city="guyuan", done=-90),
          rec(opened=-100, person="y", status="open", due=-50, city="wuzhong"), rec(status="cancelled", person="z")]
    now = T0 + 10 * H
    by_person = {r["group"]: r for r in service_levels(rs, by="person", start=T0, end=T0 + 24 * H, now=now)}
    assert set(by_person) == {"x", "y"}  # z's task was cancelled; y shows only for its overdue task
    assert by_person["y"]["opened"] == 0 and by_person["y"]["overdue_now"] == 1
    by_city = {r["group"]: r for r in service_levels(rs, by="city", start=T0, end=T0 + 24 * H, now=now)}
    assert by_city["guyuan"]["completed"] == 1 and by_city["wuzhong"]["overdue_now"] == 1


def test_claimed_at_rules() -> None:
    done = T0 + 5 * H
    assert claimed_at(opened_at=T0, assigned_at_open=True, claims=[T0 + H], completed_at=done) == T0
    assert claimed_at(opened_at=T0, assigned_at_open=False, claims=[T0 + 2 * H, T0 + H], completed_at=done) == T0 + H
    assert claimed_at(opened_at=T0, assigned_at_open=False, claims=[], completed_at=done) == done
    assert claimed_at(opened_at=T0, assigned_at_open=False, claims=[], completed_at=None) is None
