"""The working-day calendar as flow168 uses it: built-in schedules plus admin-entered ones."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

from sqlmodel import Session, select

from db.models import CalendarYear
from rules.calendar import SHANGHAI, WorkCalendar, YearSchedule
from rules.official_calendar import build_calendar, schedule_from_entry

YEARS = range(2015, 2051)


def entered_schedules(session: Session) -> dict[int, YearSchedule]:
    """Every schedule an admin has entered, by year."""
    return dict(_entered(_entries(session)))


def load_calendar(session: Session) -> WorkCalendar:
    """The calendar in force now (entered schedules override the built-in ones). Built once per set of entered
    schedules: every task that opens reads the calendar inside its writing transaction (issue 12)."""
    return _calendar(_entries(session))


Entries = tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...]


def _entries(session: Session) -> Entries:
    rows = session.exec(select(CalendarYear.year, CalendarYear.holidays, CalendarYear.makeup_workdays)).all()
    return tuple(sorted((year, tuple(holidays), tuple(makeup)) for year, holidays, makeup in rows))


@lru_cache(maxsize=8)
def _entered(entries: Entries) -> tuple[tuple[int, YearSchedule], ...]:
    return tuple(
        (year, schedule_from_entry(year=year, holidays=[date.fromisoformat(d) for d in holidays],
                                   makeup_workdays=[date.fromisoformat(d) for d in makeup]))
        for year, holidays, makeup in entries
    )


@lru_cache(maxsize=8)
def _calendar(entries: Entries) -> WorkCalendar:
    return build_calendar(years=YEARS, overrides=dict(_entered(entries)))


def due_times(
    cal: WorkCalendar, *, at: datetime, working_days: int, remind_before: int
) -> tuple[datetime, datetime | None, bool]:
    """Due time (24:00 of the N-th working day after `at`), reminder time (09:00 some working days earlier), confirmed."""
    due = cal.closes_at(event=at, working_days=working_days)
    event_day = at.astimezone(SHANGHAI).date()
    reminder = None
    if remind_before > 0 and working_days - remind_before >= 1:
        day = cal.add_working_days(event_day=event_day, working_days=working_days - remind_before)
        reminder = datetime.combine(day, time(9, 0), tzinfo=SHANGHAI).astimezone(due.tzinfo)
    confirmed = cal.confirmed_between(start=event_day, end=due.astimezone(SHANGHAI).date() - timedelta(days=1))
    return due, reminder, confirmed


def fixed_due_times(
    cal: WorkCalendar, *, at: datetime, due: datetime, remind_before: int
) -> tuple[datetime, datetime | None, bool, int]:
    """For a due time fixed by a rule: (due, reminder at 09:00 some working days before, confirmed, working days)."""
    start = at.astimezone(SHANGHAI).date()
    last = (due.astimezone(SHANGHAI) - timedelta(microseconds=1)).date()
    days = cal.working_days_between(start=start, end=last)
    reminder = None
    if remind_before > 0 and days - remind_before >= 1:
        day = cal.add_working_days(event_day=start, working_days=days - remind_before)
        reminder = datetime.combine(day, time(9, 0), tzinfo=SHANGHAI).astimezone(due.tzinfo)
    return due, reminder, cal.confirmed_between(start=start, end=last), max(days, 1)
