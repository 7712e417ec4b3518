"""Working days under the State Council schedule and periods counted in them (Civil Code art. 201, 203)."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.calendar import SHANGHAI, CalendarUnavailable, WorkCalendar, YearSchedule, end_of_day_utc
from rules.errors import RuleViolation
from rules.official_calendar import build_calendar, builtin_schedule, schedule_from_entry

CAL = build_calendar(years=range(2024, 2029), overrides={})


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def shanghai(*args: int) -> datetime:
    """An aware Asia/Shanghai datetime."""
    return datetime(*args, tzinfo=SHANGHAI)


# A made-up official 2027 schedule (the real one is not published yet): 4 January off, Saturday 9 January worked.
ENTERED_2027 = schedule_from_entry(
    year=2027, holidays=[date(2027, 1, 1), date(2027, 1, 4)], makeup_workdays=[date(2027, 1, 9)]
)


class TestEndOfDayUtc:
    """24:00 Asia/Shanghai of a day is 16:00 UTC of that day (art. 203: a period ends at 24:00)."""

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (date(2026, 5, 11), utc(2026, 5, 11, 16)),
            (date(2026, 12, 31), utc(2026, 12, 31, 16)),
            (date(2028, 2, 29), utc(2028, 2, 29, 16)),
        ],
    )
    def test_midnight_shanghai_in_utc(self, day: date, expected: datetime) -> None:
        assert end_of_day_utc(day) == expected
        assert end_of_day_utc(day).utcoffset() == timedelta(0)


class TestClosesAt:
    """A period of N working days starts the day after the event and closes at 24:00 Shanghai (art. 201, 203)."""

    @pytest.mark.parametrize(
        "event",
        [
            shanghai(2026, 4, 30, 0, 0),
            shanghai(2026, 4, 30, 9, 30),
            shanghai(2026, 4, 30, 23, 59, 59),
            utc(2026, 4, 29, 16, 0),  # 00:00 Shanghai on 30 April
            utc(2026, 4, 30, 15, 59),  # 23:59 Shanghai on 30 April
        ],
    )
    def test_may_day_2026(self, event: datetime) -> None:
        # May 1-5 off; Sat May 9 is a make-up working day: May 6, 7, 8, 9, 11.
        assert CAL.closes_at(event=event, working_days=5) == utc(2026, 5, 11, 16)

    @pytest.mark.parametrize(
        ("event", "working_days", "expected"),
        [
            # 23:30 Shanghai is 15:30 UTC of the same date: the period counts from the Shanghai date.
            (utc(2026, 4, 29, 15, 30), 1, utc(2026, 4, 30, 16)),
            # 00:30 Shanghai on Sat May 9 is still May 8 in UTC: the event day is May 9, so Mon May 11 is day 1.
            (utc(2026, 5, 8, 16, 30), 1, utc(2026, 5, 11, 16)),
            (shanghai(2026, 5, 8, 23, 30), 1, utc(2026, 5, 9, 16)),
        ],
    )
    def test_event_day_is_the_shanghai_date(self, event: datetime, working_days: int, expected: datetime) -> None:
        assert CAL.closes_at(event=event, working_days=working_days) == expected

    def test_national_day_2026_with_makeup_saturday(self) -> None:
        # Oct 1-7 off; Sat Oct 10 is a make-up working day: Oct 8, 9, 10, 12, 13.
        assert CAL.closes_at(event=shanghai(2026, 9, 30, 10), working_days=5) == utc(2026, 10, 13, 16)

    def test_naive_event_is_refused(self) -> None:
        with pytest.raises(ValueError, match="time zone"):
            CAL.closes_at(event=datetime(2026, 4, 30, 10), working_days=5)

    def test_result_is_utc(self) -> None:
        assert CAL.closes_at(event=shanghai(2026, 3, 2, 9), working_days=1).tzinfo is UTC


class TestAddWorkingDays:
    """The N-th working day after the event day; the event day is not counted (Civil Code art. 201)."""

    @pytest.mark.parametrize(
        ("event_day", "working_days", "expected"),
        [
            (date(2026, 4, 30), 5, date(2026, 5, 11)),  # May Day 2026
            (date(2026, 4, 30), 4, date(2026, 5, 9)),  # Saturday May 9 is worked (调休)
            (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Sunday Sep 20 is worked before National Day
            (date(2026, 9, 24), 1, date(2026, 9, 28)),  # Mid-Autumn Friday Sep 25 off
            (date(2026, 9, 30), 3, date(2026, 10, 10)),  # Oct 1-7 off, Oct 8, 9, Sat Oct 10
            (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Sat Feb 14 worked before Spring Festival
            (date(2026, 2, 14), 1, date(2026, 2, 24)),  # Feb 15-23 off
            (date(2026, 3, 6), 1, date(2026, 3, 9)),  # an ordinary weekend
            (date(2026, 3, 7), 1, date(2026, 3, 9)),  # the event day may itself be a day off
        ],
    )
    def test_official_2026(self, event_day: date, working_days: int, expected: date) -> None:
        assert CAL.add_working_days(event_day=event_day, working_days=working_days) == expected

    @pytest.mark.parametrize("working_days", [0, -1])
    def test_needs_at_least_one_day(self, working_days: int) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            CAL.add_working_days(event_day=date(2026, 3, 2), working_days=working_days)


class TestIsWorkday:
    """Working days follow the State Council schedule with its make-up days, not a weekday count (DOMAIN.md)."""

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (date(2026, 9, 20), True),  # Sunday, make-up for National Day
            (date(2026, 9, 25), False),  # Friday, Mid-Autumn Festival
            (date(2026, 9, 26), False),
            (date(2026, 10, 1), False),
            (date(2026, 10, 7), False),  # Wednesday, last day off
            (date(2026, 10, 8), True),
            (date(2026, 10, 10), True),  # Saturday, make-up for National Day
            (date(2026, 10, 11), False),
            (date(2026, 1, 4), True),  # Sunday, make-up for New Year
            (date(2026, 2, 28), True),  # Saturday, make-up for Spring Festival
        ],
    )
    def test_national_day_2026(self, day: date, expected: bool) -> None:
        assert CAL.is_workday(day) is expected

    def test_agrees_with_chinese_calendar_2024_to_2026(self) -> None:
        day = date(2024, 1, 1)
        while day.year <= 2026:
            assert CAL.is_workday(day) == chinese_calendar.is_workday(day), day
            day += timedelta(days=1)

    def test_missing_year_is_unavailable(self) -> None:
        with pytest.raises(CalendarUnavailable, match="2040") as info:
            CAL.is_workday(date(2040, 1, 2))
        assert isinstance(info.value, KeyError) and isinstance(info.value, RuleViolation)
        assert info.value.code == "calendar_unavailable" and info.value.year == 2040

    def test_unavailable_survives_pickling(self) -> None:
        err = pickle.loads(pickle.dumps(CalendarUnavailable(2040)))
        assert err.year == 2040 and str(err) == "no working-day schedule is known for the year 2040"


class TestUnconfirmedYears:
    """A year without a published schedule is computed by rule and marked unconfirmed (DOMAIN.md time rules)."""

    def test_new_year_2027_by_rule(self) -> None:
        # Dec 31 (2026, official), then Jan 1 2027 off by rule: Jan 4, 5, 6, 7.
        due = CAL.closes_at(event=shanghai(2026, 12, 30, 10), working_days=5)
        assert due == utc(2027, 1, 7, 16)
        assert CAL.confirmed_between(start=date(2026, 12, 30), end=date(2027, 1, 7)) is False

    def test_admin_entered_2027_wins(self) -> None:
        cal = build_calendar(years=range(2024, 2029), overrides={2027: ENTERED_2027})
        # Dec 31, then Jan 4 off (entered): Jan 5, 6, 7, 8.
        assert cal.closes_at(event=shanghai(2026, 12, 30, 10), working_days=5) == utc(2027, 1, 8, 16)
        assert cal.is_workday(date(2027, 1, 9)) is True
        assert cal.confirmed_between(start=date(2026, 12, 30), end=date(2027, 1, 8)) is True

    def test_override_wins_over_builtin_confirmed_year(self) -> None:
        extra_day_off = schedule_from_entry(
            year=2026,
            holidays=builtin_schedule(2026).holidays | {date(2026, 3, 2)},
            makeup_workdays=builtin_schedule(2026).makeup_workdays,
        )
        cal = build_calendar(years=[2026], overrides={2026: extra_day_off})
        assert cal.is_workday(date(2026, 3, 2)) is False
        assert CAL.is_workday(date(2026, 3, 2)) is True


class TestConfirmedBetween:
    """Whether a period only crosses years with an official schedule (DOMAIN.md: unconfirmed years)."""

    @pytest.mark.parametrize(
        ("start", "end", "expected"),
        [
            (date(2026, 1, 5), date(2026, 12, 31), True),
            (date(2025, 12, 20), date(2026, 1, 10), True),
            (date(2026, 12, 30), date(2027, 1, 7), False),
            (date(2027, 3, 1), date(2027, 3, 9), False),
            (date(2028, 12, 30), date(2029, 1, 3), False),  # 2029 is not even in the calendar
        ],
    )
    def test_years_touched(self, start: date, end: date, expected: bool) -> None:
        assert CAL.confirmed_between(start=start, end=end) is expected


class TestWorkingDaysBetween:
    """Working days in (start, end], the first day not counted (Civil Code art. 201)."""

    @pytest.mark.parametrize(
        ("start", "end", "expected"),
        [
            (date(2026, 4, 30), date(2026, 5, 11), 5),
            (date(2026, 4, 30), date(2026, 5, 5), 0),
            (date(2026, 9, 30), date(2026, 10, 13), 5),
            (date(2026, 5, 11), date(2026, 5, 11), 0),
            (date(2026, 5, 11), date(2026, 4, 30), 0),
        ],
    )
    def test_counts(self, start: date, end: date, expected: int) -> None:
        assert CAL.working_days_between(start=start, end=end) == expected

    @settings(database=None)
    @given(
        start=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
        working_days=st.integers(min_value=1, max_value=60),
    )
    def test_inverse_of_add_working_days(self, start: date, working_days: int) -> None:
        end = CAL.add_working_days(event_day=start, working_days=working_days)
        assert CAL.is_workday(end)
        assert CAL.working_days_between(start=start, end=end) == working_days


class TestYearDays:
    """A year's days as the calendar page shows them: workday, weekend, holiday, make-up (State Council schedule)."""

    def test_2026(self) -> None:
        days = {d.day: d for d in CAL.year_days(2026)}
        assert len(days) == 365
        assert days[date(2026, 10, 10)] == (date(2026, 10, 10), True, "makeup")
        assert days[date(2026, 10, 1)] == (date(2026, 10, 1), False, "holiday")
        assert days[date(2026, 10, 4)] == (date(2026, 10, 4), False, "weekend")
        assert days[date(2026, 10, 8)] == (date(2026, 10, 8), True, "workday")
        workdays = sum(d.is_workday for d in days.values())
        assert workdays == len(chinese_calendar.get_workdays(date(2026, 1, 1), date(2026, 12, 31)))

    def test_leap_year_2028(self) -> None:
        assert len(CAL.year_days(2028)) == 366

    def test_missing_year(self) -> None:
        with pytest.raises(CalendarUnavailable):
            CAL.year_days(2050)


class TestBuiltinSchedule:
    """chinese-calendar's official schedules are confirmed; later years follow the statutory holidays by rule."""

    def test_2026_is_official(self) -> None:
        schedule = builtin_schedule(2026)
        assert schedule.confirmed is True
        assert sorted(schedule.makeup_workdays) == [
            date(2026, 1, 4),  # Sunday, New Year
            date(2026, 2, 14),  # Saturday, Spring Festival
            date(2026, 2, 28),  # Saturday, Spring Festival
            date(2026, 5, 9),  # Saturday, May Day
            date(2026, 9, 20),  # Sunday, National Day
            date(2026, 10, 10),  # Saturday, National Day
        ]
        assert all(d.weekday() < 5 for d in schedule.holidays)
        assert {date(2026, 10, d) for d in (1, 2, 5, 6, 7)} <= schedule.holidays

    def test_2027_is_by_rule(self) -> None:
        schedule = builtin_schedule(2027)
        assert schedule.confirmed is False
        assert schedule.makeup_workdays == frozenset()
        assert {date(2027, 1, 1), date(2027, 10, 1)} <= schedule.holidays
        assert all(d.weekday() < 5 and d.year == 2027 for d in schedule.holidays)

    def test_cached(self) -> None:
        assert builtin_schedule(2026) is builtin_schedule(2026)


class TestScheduleFromEntry:
    """An admin-entered official schedule is checked before it replaces the computed one (DOMAIN.md time rules)."""

    def test_valid_entry_is_confirmed(self) -> None:
        assert ENTERED_2027 == YearSchedule(
            year=2027,
            holidays=frozenset({date(2027, 1, 1), date(2027, 1, 4)}),
            makeup_workdays=frozenset({date(2027, 1, 9)}),
            confirmed=True,
        )

    @pytest.mark.parametrize(
        ("holidays", "makeup", "message"),
        [
            ([date(2026, 12, 31)], [], "2026-12-31 is not in 2027"),
            ([], [date(2028, 1, 1)], "2028-01-01 is not in 2027"),
            ([date(2027, 1, 9)], [date(2027, 1, 9)], "2027-01-09 is listed both as a holiday and as a make-up"),
            ([], [date(2027, 1, 8)], "2027-01-08 is a Friday; a make-up working day must be a Saturday or Sunday"),
        ],
    )
    def test_invalid_entries(self, holidays: list[date], makeup: list[date], message: str) -> None:
        with pytest.raises(ValueError, match=message) as info:
            schedule_from_entry(year=2027, holidays=holidays, makeup_workdays=makeup)
        assert isinstance(info.value, RuleViolation) and info.value.code == "invalid_calendar_entry"


class TestWorkCalendar:
    """The calendar refuses schedules filed under the wrong year, so no day is looked up in the wrong one."""

    def test_key_must_match_year(self) -> None:
        with pytest.raises(ValueError, match="2027"):
            WorkCalendar({2026: ENTERED_2027})

    def test_schedule_with_stray_date(self) -> None:
        with pytest.raises(ValueError, match="2026-12-31"):
            YearSchedule(
                year=2027, holidays=frozenset({date(2026, 12, 31)}), makeup_workdays=frozenset(), confirmed=True
            )

    def test_schedule_lookup(self) -> None:
        assert CAL.schedule(2026) is builtin_schedule(2026)
