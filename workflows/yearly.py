"""The yearly cycle of a title, as date arithmetic the workflow can run deterministically (seed 002 art. 16-18)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from rules.calendar import SHANGHAI
from rules.certification import annual_summary_due, city_report_due

# The summary task opens a month before its year ends (art. 16: "每年年底前"); a setting of the policy later.
SUMMARY_OPENS = (12, 1)


def end_of(day: date) -> datetime:
    """24:00 Asia/Shanghai of `day` (Civil Code art. 203)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def summary_opens(year: int) -> datetime:
    return datetime.combine(date(year, *SUMMARY_OPENS), time(9, 0), tzinfo=SHANGHAI)


def summary_due(year: int) -> datetime:
    return end_of(annual_summary_due(year=year))


def report_due(year: int) -> datetime:
    return end_of(city_report_due(year=year))


def cycle_years(*, granted_on: date, valid_until: date) -> list[int]:
    """The years the title is held at year end: each needs its summary (art. 16), report and rating (3 in all)."""
    return [y for y in range(granted_on.year, valid_until.year + 1) if granted_on <= date(y, 12, 31) < valid_until]
