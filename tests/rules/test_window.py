"""Window-platform onboarding (seed 004 art. 8-10, 9(6), 12): the panel's verdict and the report calendar."""

from __future__ import annotations

from datetime import date

import pytest

from rules.calendar import WorkCalendar, YearSchedule
from rules.window import (
    ExpertScore,
    ReportSettings,
    WindowError,
    aggregate_panel,
    check_can_apply,
    connection_passed,
    count_report,
    data_due,
    due_at,
    handover_at,
    pick_experts,
    reports_of_period_year,
    reports_opening_in,
)


def _cal() -> WorkCalendar:
    """2026-2028 with a made-up schedule: New Year's Day off, a National Day week with a make-up Saturday."""
    def year(y: int) -> YearSchedule:
        holidays = {date(y, 1, 1)} | {date(y, 10, d) for d in range(1, 8)}
        return YearSchedule(year=y, holidays=frozenset(holidays), makeup_workdays=frozenset({date(y, 10, 9)})
                            if date(y, 10, 9).weekday() >= 5 else frozenset(), confirmed=True)

    return WorkCalendar({y: year(y) for y in (2026, 2027, 2028)})


def panel(*rows: tuple[int, bool]) -> list[ExpertScore]:
    return [ExpertScore(expert=f"expert{i}", score=s, approve=a) for i, (s, a) in enumerate(rows, start=1)]


class TestAggregatePanel:
    @pytest.mark.parametrize(("rows", "passed", "mean"), [
        (((80, True), (70, True), (60, True)), True, "70.0"),
        (((60, True), (60, True), (60, False)), True, "60.0"),  # mean exactly 60 and 2 of 3: passes
        (((59, True), (60, True), (60, True)), False, "59.7"),  # the mean falls short
        (((90, True), (90, False), (90, False)), False, "90.0"),  # one approval of three is no majority
        (((70, True), (70, False)), False, "70.0"),  # half is not a majority
        (((100, True),), True, "100.0"),
        (((61, True), (60, True), (60, False)), True, "60.3"),
        (((0, False), (0, False), (0, False)), False, "0.0"),
    ])
    def test_mean_and_majority(self, rows: tuple[tuple[int, bool], ...], passed: bool, mean: str) -> None:
        verdict = aggregate_panel(panel(*rows))
        assert verdict.passed is passed and verdict.mean_text == mean
        assert bool(verdict.reasons) is not passed

    def test_both_reasons_named(self) -> None:
        verdict = aggregate_panel(panel((50, False), (40, False), (70, True)))
        assert len(verdict.reasons) == 2 and "53.3" in verdict.reasons[0] and "未过半数" in verdict.reasons[1]

    @pytest.mark.parametrize(("pass_mean", "majority", "passed"), [(75, True, False), (70, True, False),
                                                                   (70, False, True), (75, False, False)])
    def test_settings(self, pass_mean: int, majority: bool, passed: bool) -> None:
        verdict = aggregate_panel(panel((70, True), (70, False), (70, False)), pass_mean=pass_mean, majority=majority)
        assert verdict.passed is passed

    @pytest.mark.parametrize(("scores", "code"), [
        ([], "empty_panel"),
        ([ExpertScore("a", 101, True)], "score_range"),
        ([ExpertScore("a", -1, True)], "score_range"),
        ([ExpertScore("a", 70, True), ExpertScore("a", 80, True)], "duplicate_expert"),
    ])
    def test_refused(self, scores: list[ExpertScore], code: str) -> None:
        with pytest.raises(WindowError) as exc:
            aggregate_panel(scores)
        assert exc.value.code == code

    def test_pass_mark_out_of_range(self) -> None:
        with pytest.raises(WindowError):
            aggregate_panel(panel((70, True)), pass_mean=101)


class TestPickExperts:
    def test_spread_and_capped(self) -> None:
        pool = ["e1", "e2", "e3", "e4", "e5"]
        chosen = pick_experts(pool, size=3, seed="WO-2026-abc")
        assert len(set(chosen)) == 3 and set(chosen) <= set(pool)
        assert sorted(pick_experts(pool, size=9, seed="x")) == pool  # never more than the pool
        assert pick_experts(pool, size=3, seed="WO-2026-abc") == chosen  # deterministic

    def test_empty_pool(self) -> None:
        with pytest.raises(WindowError):
            pick_experts([], size=3, seed="x")


class TestReportCalendar:
    @pytest.mark.parametrize(("year", "quarter", "due"), [
        (2027, 1, date(2027, 4, 14)),  # Mar 31 Wed; Apr 1 is day 1, ten working days later
        (2027, 2, date(2027, 7, 14)),
        (2027, 3, date(2027, 10, 20)),  # National Day week off, Saturday 9 October worked (调休)
        (2026, 4, date(2027, 1, 15)),  # New Year's Day off: the 4th quarter's data in the next January
    ])
    def test_quarterly_data_due_in_working_days(self, year: int, quarter: int, due: date) -> None:
        assert data_due(year, quarter, calendar=_cal()) == due

    def test_a_year_of_reports(self) -> None:
        reports = reports_of_period_year(2027, calendar=_cal())
        assert [(r.kind, r.period, r.opens_on, r.due_on) for r in reports] == [
            ("service_plan", "2027", date(2027, 1, 1), date(2027, 1, 31)),
            ("service_data", "2027Q1", date(2027, 4, 1), date(2027, 4, 14)),
            ("service_data", "2027Q2", date(2027, 7, 1), date(2027, 7, 14)),
            ("service_data", "2027Q3", date(2027, 10, 1), date(2027, 10, 20)),
            ("service_data", "2027Q4", date(2028, 1, 1), date(2028, 1, 14)),
            ("service_summary", "2027", date(2027, 12, 1), date(2027, 12, 31)),
        ]
        assert reports[3].title == "2027年第3季度服务数据" and reports[0].title == "2027年度服务计划"
        assert due_at(date(2027, 1, 31)).isoformat() == "2027-02-01T00:00:00+08:00"
        # the yearly hand-over is never the instant a 31 December report falls due
        assert handover_at(2028) > due_at(reports[-1].due_on) and handover_at(2028).hour == 1

    def test_first_year_starts_at_the_connection(self) -> None:
        got = reports_opening_in(2027, connected_on=date(2027, 5, 20), calendar=_cal())
        # the plan was due before the connection and Q1 ended before it: not owed; Q2 ended after it: owed
        assert [(r.kind, r.period, r.opens_on) for r in got] == [
            ("service_data", "2027Q2", date(2027, 7, 1)),
            ("service_data", "2027Q3", date(2027, 10, 1)),
            ("service_summary", "2027", date(2027, 12, 1)),
        ]

    def test_connected_in_january_owes_the_plan_from_that_day(self) -> None:
        got = reports_opening_in(2027, connected_on=date(2027, 1, 20), calendar=_cal())
        assert (got[0].kind, got[0].opens_on, got[0].due_on) == ("service_plan", date(2027, 1, 20), date(2027, 1, 31))

    def test_a_later_year_opens_with_last_years_fourth_quarter(self) -> None:
        got = reports_opening_in(2028, connected_on=date(2027, 5, 20), calendar=_cal())
        assert [(r.kind, r.period) for r in got] == [
            ("service_data", "2027Q4"), ("service_plan", "2028"), ("service_data", "2028Q1"),
            ("service_data", "2028Q2"), ("service_data", "2028Q3"), ("service_summary", "2028")]
        assert got[0].year == 2027  # counted for the year it is about

    def test_settings_move_the_dates(self) -> None:
        s = ReportSettings(plan_due=(2, 29), data_working_days=5, summary_opens=(11, 15), summary_due=(12, 20))
        reports = {r.step: r for r in reports_of_period_year(2027, calendar=_cal(), settings=s)}
        assert reports["service_plan_2027"].due_on == date(2027, 2, 28)  # no 29 February in 2027
        assert reports["service_data_2027Q1"].due_on == date(2027, 4, 7)
        assert reports["service_summary_2027"].opens_on == date(2027, 11, 15)

    @pytest.mark.parametrize("kwargs", [{"plan_due": (2, 30)}, {"plan_opens": (2, 1), "plan_due": (1, 31)},
                                        {"data_working_days": 0}, {"summary_opens": (12, 31), "summary_due": (12, 1)}])
    def test_bad_settings(self, kwargs: dict[str, object]) -> None:
        with pytest.raises(WindowError):
            ReportSettings(**kwargs)  # type: ignore[arg-type]


class TestHelpers:
    @pytest.mark.parametrize(("open_case", "connected", "code"), [
        (None, None, None), ("WO-1", None, "open_onboarding"), (None, "WO-0", "already_connected"),
    ])
    def test_can_apply(self, open_case: str | None, connected: str | None, code: str | None) -> None:
        if code is None:
            check_can_apply(open_onboarding=open_case, connected=connected)
            return
        with pytest.raises(WindowError) as exc:
            check_can_apply(open_onboarding=open_case, connected=connected)
        assert exc.value.code == code

    @pytest.mark.parametrize(("decision", "passed", "ok"), [("approve", True, True), ("approve", False, False),
                                                            ("reject", True, False), ("approve", None, False)])
    def test_connection_passed(self, decision: str, passed: bool | None, ok: bool) -> None:
        assert connection_passed(decision=decision, passed=passed) is ok

    def test_count_report(self) -> None:
        counts = count_report({}, year=2027, sent=1)
        counts = count_report(counts, year=2027, overdue=1)
        counts2 = count_report(counts, year=2028, sent=1)
        assert counts == {"2027": {"sent": 1, "overdue": 1}}  # the input is not changed in place
        assert counts2 == {"2027": {"sent": 1, "overdue": 1}, "2028": {"sent": 1, "overdue": 0}}
