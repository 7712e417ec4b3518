"""Year schedules from bundled data: chinese-calendar for published years, statutory holidays by rule after them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache

import chinese_calendar
import holidays as holidays_lib

from rules.calendar import WorkCalendar, YearSchedule
from rules.errors import RuleViolation


@lru_cache(maxsize=128)
def builtin_schedule(year: int) -> YearSchedule:
    """The State Council schedule bundled in chinese-calendar (confirmed), else statutory holidays by rule."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    try:
        days_off = chinese_calendar.get_holidays(first, last, include_weekends=False)
        workdays = chinese_calendar.get_workdays(first, last, include_weekends=True)
    except NotImplementedError:
        # Not published yet (or before the library's data): 全国年节及纪念日放假办法 by rule, including the weekday
        # given in place of a holiday that falls on a weekend; make-up days cannot be foreseen.
        by_rule = holidays_lib.country_holidays("CN", years=year)
        weekday_off = frozenset(d for d in by_rule if d.year == year and d.weekday() < 5)
        return YearSchedule(year=year, holidays=weekday_off, makeup_workdays=frozenset(), confirmed=False)
    return YearSchedule(
        year=year,
        holidays=frozenset(d for d in days_off if d.weekday() < 5),
        makeup_workdays=frozenset(d for d in workdays if d.weekday() >= 5),
        confirmed=True,
    )


def schedule_from_entry(*, year: int, holidays: Iterable[date], makeup_workdays: Iterable[date]) -> YearSchedule:
    """An official schedule an admin entered from the State Council notice (DOMAIN.md, time rules), checked."""
    days_off, makeup = frozenset(holidays), frozenset(makeup_workdays)
    for day in sorted(days_off | makeup):
        if day.year != year:
            raise RuleViolation("invalid_calendar_entry", f"{day.isoformat()} is not in {year}")
    both = sorted(days_off & makeup)
    if both:
        raise RuleViolation(
            "invalid_calendar_entry", f"{both[0].isoformat()} is listed both as a holiday and as a make-up working day"
        )
    for day in sorted(makeup):
        if day.weekday() < 5:
            raise RuleViolation(
                "invalid_calendar_entry",
                f"{day.isoformat()} is a {day.strftime('%A')}; a make-up working day must be a Saturday or Sunday",
            )
    return YearSchedule(year=year, holidays=days_off, makeup_workdays=makeup, confirmed=True)


def build_calendar(*, years: Iterable[int], overrides: Mapping[int, YearSchedule]) -> WorkCalendar:
    """A calendar of the built-in schedules for `years`, where admin-entered schedules win (DOMAIN.md, time rules)."""
    schedules = {year: builtin_schedule(year) for year in years}
    schedules.update(overrides)
    return WorkCalendar(schedules)
