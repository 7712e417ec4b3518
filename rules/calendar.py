"""Working days under the State Council's holiday schedule, and periods counted in them (Civil Code art. 201, 203)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from rules.errors import RuleViolation

SHANGHAI = ZoneInfo("Asia/Shanghai")

DayKind = Literal["workday", "weekend", "holiday", "makeup"]

_ONE_DAY = timedelta(days=1)


class CalendarUnavailable(RuleViolation, KeyError):
    """No working-day schedule is known for a year (DOMAIN.md, time rules), so no period can be counted through it."""

    def __init__(self, year: int) -> None:
        super().__init__("calendar_unavailable", f"no working-day schedule is known for the year {year}")
        self.year = year

    def __reduce__(self) -> tuple[type[CalendarUnavailable], tuple[int]]:
        return (type(self), (self.year,))


@dataclass(frozen=True)
class YearSchedule:
    """One year of the State Council's holiday schedule (放假调休安排), official or computed by rule."""

    year: int
    holidays: frozenset[date]  # official days off that fall on Mon-Fri (weekend days in this set are harmless)
    makeup_workdays: frozenset[date]  # Saturdays/Sundays that are working days (调休)
    confirmed: bool  # True = official State Council schedule (chinese-calendar or admin-entered)

    def __post_init__(self) -> None:
        stray = sorted(d for d in self.holidays | self.makeup_workdays if d.year != self.year)
        if stray:
            raise ValueError(f"{stray[0].isoformat()} does not belong to the schedule of {self.year}")


class CalendarDay(NamedTuple):
    """One day of a year's calendar as shown to people (DOMAIN.md, time rules)."""

    day: date
    is_workday: bool
    kind: DayKind


def end_of_day_utc(day: date) -> datetime:
    """24:00 Asia/Shanghai of `day` (Civil Code art. 203), i.e. 00:00 of the next day, as an aware UTC datetime."""
    return datetime.combine(day + _ONE_DAY, time(0), tzinfo=SHANGHAI).astimezone(UTC)


class WorkCalendar:
    """Working days with make-up days (调休) and periods of N working days (Civil Code art. 201, 203)."""

    def __init__(self, schedules: Mapping[int, YearSchedule]) -> None:
        for year, schedule in schedules.items():
            if schedule.year != year:
                raise ValueError(f"the schedule of {schedule.year} is filed under {year}")
        self._schedules = dict(schedules)

    def schedule(self, year: int) -> YearSchedule:
        """The schedule of a year, or CalendarUnavailable (DOMAIN.md, time rules)."""
        try:
            return self._schedules[year]
        except KeyError:
            raise CalendarUnavailable(year) from None

    def is_workday(self, day: date) -> bool:
        """Whether people work on `day`: Mon-Fri except official days off, plus make-up Saturdays/Sundays (调休)."""
        schedule = self.schedule(day.year)
        if day in schedule.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in schedule.holidays

    def add_working_days(self, *, event_day: date, working_days: int) -> date:
        """The N-th working day after `event_day`; the event day itself is not counted (Civil Code art. 201)."""
        if working_days < 1:
            raise ValueError(f"a period needs at least 1 working day, got {working_days}")
        day, left = event_day, working_days
        while left:
            day += _ONE_DAY
            if self.is_workday(day):
                left -= 1
        return day

    def closes_at(self, *, event: datetime, working_days: int) -> datetime:
        """When a period of N working days after `event` closes: 24:00 Shanghai of its last day, in UTC (art. 203)."""
        if event.tzinfo is None or event.utcoffset() is None:
            raise ValueError("the event time must carry a time zone")
        event_day = event.astimezone(SHANGHAI).date()
        return end_of_day_utc(self.add_working_days(event_day=event_day, working_days=working_days))

    def confirmed_between(self, *, start: date, end: date) -> bool:
        """Whether every year from `start` to `end` follows an official schedule (DOMAIN.md: unconfirmed years)."""
        first, last = sorted((start.year, end.year))
        return all(year in self._schedules and self._schedules[year].confirmed for year in range(first, last + 1))

    def working_days_between(self, *, start: date, end: date) -> int:
        """Working days in (start, end]: the first day is not counted (Civil Code art. 201); 0 if end <= start."""
        count, day = 0, start
        while day < end:
            day += _ONE_DAY
            if self.is_workday(day):
                count += 1
        return count

    def year_days(self, year: int) -> list[CalendarDay]:
        """Every day of a year with whether it is a working day and why (State Council schedule with 调休)."""
        schedule = self.schedule(year)
        days: list[CalendarDay] = []
        day = date(year, 1, 1)
        while day.year == year:
            if day in schedule.makeup_workdays:
                days.append(CalendarDay(day, True, "makeup"))
            elif day in schedule.holidays:
                days.append(CalendarDay(day, False, "holiday"))
            elif day.weekday() >= 5:
                days.append(CalendarDay(day, False, "weekend"))
            else:
                days.append(CalendarDay(day, True, "workday"))
            day += _ONE_DAY
        return days
