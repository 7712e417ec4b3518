"""Window-platform onboarding (窗口平台接入): the expert panel's verdict and the connected window's report calendar.

Seed 004 art. 8-10: a window platform applies (申报), the hub has experts assess it and the bureau approves it
(审核), and after a public notice without objection it adapts and is connected (接入); once connected it sends
service plans, service data and service summaries (art. 9(6)) that count in its annual assessment (art. 12,
"服务数据报送"). The seed fixes no panel size, pass mark, notice period or report dates: they are settings, with
the defaults below. Pure: no clock, no I/O; callers pass the dates and the working-day calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Literal

from rules.calendar import SHANGHAI, WorkCalendar
from rules.errors import RuleViolation

Coverage = Literal["region", "industry"]
ReportKind = Literal["service_plan", "service_data", "service_summary"]

PANEL_SIZE = 3  # experts per application (issue 9; 004 art. 10 says only "组织专家进行评估审查")
PASS_MEAN = 60  # the panel passes with a mean of at least this...
NOTICE_WORKING_DAYS = 5  # 004 art. 10 names a public notice but no period; 5 as in 002 art. 12
MAX_PANEL = 15

REPORT_LABELS: dict[str, str] = {"service_plan": "服务计划", "service_data": "服务数据", "service_summary": "服务总结"}
COVERAGE_LABELS: dict[str, str] = {"region": "区域", "industry": "行业"}


class WindowError(RuleViolation):
    """A window-platform rule is broken (seed 004 art. 8-10); a ValueError with `code` and `message`."""


# --- the expert panel ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertScore:
    """One expert's assessment: a score of 0-100 and whether they approve."""

    expert: str
    score: int
    approve: bool
    opinion: str = ""


@dataclass(frozen=True)
class PanelVerdict:
    """The aggregated assessment: the mean (exact), the approvals, whether the panel passes, and why not."""

    size: int
    mean: Fraction
    approvals: int
    passed: bool
    reasons: tuple[str, ...]

    @property
    def mean_text(self) -> str:
        """The mean with one decimal, rounded half up (e.g. "72.3")."""
        tenths = (self.mean * 10 + Fraction(1, 2)).__floor__()
        return f"{tenths // 10}.{tenths % 10}"


def check_panel_settings(*, size: int, pass_mean: int) -> None:
    """A panel needs 1-15 experts and a pass mark within 0-100 (settings the hub edits)."""
    if not 1 <= size <= MAX_PANEL:
        raise WindowError("panel_size", f"the expert panel needs 1 to {MAX_PANEL} experts, not {size}")
    if not 0 <= pass_mean <= 100:
        raise WindowError("pass_mean", f"the pass mark must lie within 0-100, not {pass_mean}")


def aggregate_panel(scores: Sequence[ExpertScore], *, pass_mean: int = PASS_MEAN,
                    majority: bool = True) -> PanelVerdict:
    """004 art. 10 "枢纽平台组织专家进行评估审查": by default the panel passes with a mean score of at least
    `pass_mean` and a strict majority of its experts approving (both settings; the seed fixes neither)."""
    if not scores:
        raise WindowError("empty_panel", "the panel has no assessment to aggregate")
    seen: set[str] = set()
    for s in scores:
        if not 0 <= s.score <= 100:
            raise WindowError("score_range", f"score of {s.expert}: {s.score} is outside 0-100")
        if s.expert in seen:
            raise WindowError("duplicate_expert", f"{s.expert} assessed the application twice")
        seen.add(s.expert)
    check_panel_settings(size=len(scores), pass_mean=pass_mean)
    mean = Fraction(sum(s.score for s in scores), len(scores))
    approvals = sum(1 for s in scores if s.approve)
    reasons: list[str] = []
    if mean < pass_mean:
        reasons.append(f"专家平均分{_tenths(mean)}分，低于{pass_mean}分")
    if majority and approvals * 2 <= len(scores):
        reasons.append(f"同意接入的专家{approvals}名，未过半数（共{len(scores)}名）")
    return PanelVerdict(size=len(scores), mean=mean, approvals=approvals, passed=not reasons, reasons=tuple(reasons))


def _tenths(value: Fraction) -> str:
    tenths = (value * 10 + Fraction(1, 2)).__floor__()
    return f"{tenths // 10}.{tenths % 10}"


def pick_experts(pool: Sequence[str], *, size: int, seed: str) -> list[str]:
    """Name `size` experts from the pool (all of them if fewer), spread over it by the case id."""
    if not pool:
        raise WindowError("no_experts", "there is no active expert to assess the application")
    n = min(size, len(pool))
    start = sum(seed.encode()) % len(pool)
    return [pool[(start + i) % len(pool)] for i in range(n)]


# --- the connected window's report calendar (art. 9(6)) -------------------------------------------------------------


@dataclass(frozen=True)
class ReportSettings:
    """When the reports open and fall due (the seed fixes none; issue 9's defaults). Month-day pairs; due at 24:00."""

    plan_opens: tuple[int, int] = (1, 1)
    plan_due: tuple[int, int] = (1, 31)  # the year's service plan by the end of January
    data_working_days: int = 10  # a quarter's service data by its 10th working day after the quarter
    summary_opens: tuple[int, int] = (12, 1)
    summary_due: tuple[int, int] = (12, 31)  # the year's service summary by 31 December

    def __post_init__(self) -> None:
        for name in ("plan_opens", "plan_due", "summary_opens", "summary_due"):
            month, day = getattr(self, name)
            try:
                date(2024, month, day)  # a leap year: 29 February is a valid setting
            except ValueError:
                raise WindowError("report_settings", f"{name}: {month}-{day} is not a day of the year") from None
        if date(2024, *self.plan_due) < date(2024, *self.plan_opens):
            raise WindowError("report_settings", "the service plan cannot fall due before it opens")
        if date(2024, *self.summary_due) < date(2024, *self.summary_opens):
            raise WindowError("report_settings", "the service summary cannot fall due before it opens")
        if not 1 <= self.data_working_days <= 60:
            raise WindowError("report_settings", "quarterly data falls due 1-60 working days after the quarter")


@dataclass(frozen=True)
class ReportDue:
    """One report a connected window owes: its kind and period, the day it opens and the day it is due (24:00)."""

    kind: ReportKind
    year: int  # the year the report is about (the 4th quarter's data is sent in January of the next year)
    period: str  # "2027" or "2027Q1"
    opens_on: date
    due_on: date

    @property
    def title(self) -> str:
        if self.kind == "service_data":
            return f"{self.year}年第{self.period[-1]}季度服务数据"
        return f"{self.year}年度{REPORT_LABELS[self.kind]}"

    @property
    def step(self) -> str:
        return f"{self.kind}_{self.period}"


def _day(year: int, month_day: tuple[int, int]) -> date:
    month, day = month_day
    if (month, day) == (2, 29) and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return date(year, 2, 28)
    return date(year, month, day)


def quarter_end(year: int, quarter: int) -> date:
    if not 1 <= quarter <= 4:
        raise WindowError("quarter", f"a year has quarters 1-4, not {quarter}")
    return date(year, 12, 31) if quarter == 4 else date(year, 3 * quarter + 1, 1) - timedelta(days=1)


def data_due(year: int, quarter: int, *, calendar: WorkCalendar, settings: ReportSettings = ReportSettings()) -> date:
    """The quarter's service data is due on the N-th working day after the quarter ends (the day after is day 1,
    Civil Code art. 201; 调休 honoured through the calendar)."""
    return calendar.add_working_days(event_day=quarter_end(year, quarter), working_days=settings.data_working_days)


def reports_of_period_year(year: int, *, calendar: WorkCalendar, settings: ReportSettings = ReportSettings(),
                           opening_in: int | None = None) -> list[ReportDue]:
    """Every report about `year`: the plan, four quarters' data, the summary (004 art. 9(6) "定期报送"); only those
    opening in the year `opening_in` when it is given (a due day needs the calendar of the year it falls in)."""
    out = [ReportDue("service_plan", year, str(year), _day(year, settings.plan_opens), _day(year, settings.plan_due))]
    for q in (1, 2, 3, 4):
        opens = quarter_end(year, q) + timedelta(days=1)
        if opening_in is None or opens.year == opening_in:
            out.append(ReportDue("service_data", year, f"{year}Q{q}", opens,
                                 data_due(year, q, calendar=calendar, settings=settings)))
    out.append(ReportDue("service_summary", year, str(year), _day(year, settings.summary_opens),
                         _day(year, settings.summary_due)))
    return [r for r in out if opening_in is None or r.opens_on.year == opening_in]


def owed(report: ReportDue, *, connected_on: date) -> bool:
    """A window owes the reports whose period runs after it was connected: a quarter's data if the quarter ends after
    the connection day, the plan and the summary if they fall due after it."""
    if report.kind == "service_data":
        return quarter_end(report.year, int(report.period[-1])) > connected_on
    return report.due_on > connected_on


def reports_opening_in(year: int, *, connected_on: date, calendar: WorkCalendar,
                       settings: ReportSettings = ReportSettings()) -> list[ReportDue]:
    """The reports a connected window is asked for during calendar year `year` (one workflow run per year): those
    that open in it and that it owes, opening no earlier than the connection day; ordered by opening day."""
    candidates = reports_of_period_year(year - 1, calendar=calendar, settings=settings, opening_in=year) + \
        reports_of_period_year(year, calendar=calendar, settings=settings, opening_in=year)
    out = []
    for r in candidates:
        if not owed(r, connected_on=connected_on):
            continue
        if r.opens_on < connected_on:
            r = ReportDue(r.kind, r.year, r.period, connected_on, r.due_on)
        out.append(r)
    return sorted(out, key=lambda r: (r.opens_on, r.due_on, r.kind))


def opens_at(day: date) -> datetime:
    """A report task opens at 09:00 Asia/Shanghai of its opening day."""
    return datetime.combine(day, time(9, 0), tzinfo=SHANGHAI)


def due_at(day: date) -> datetime:
    """A report is due at 24:00 Asia/Shanghai of its due day (Civil Code art. 203)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def handover_at(year: int) -> datetime:
    """01:00 of 1 January of `year`, Asia/Shanghai: where one yearly run of a connected window hands over to the next.
    An hour after midnight, so it never falls on the instant every 31 December report is due (24:00): a run does
    not stop its parts at the moment their due timers fire."""
    return datetime.combine(date(year, 1, 1), time(1, 0), tzinfo=SHANGHAI)


# --- validation helpers ---------------------------------------------------------------------------------------------


def check_can_apply(*, open_onboarding: str | None, connected: str | None) -> None:
    """One open onboarding per builder, and a connected window does not apply again (issue 9, item 1)."""
    if connected is not None:
        raise WindowError("already_connected", f"the organisation's window platform is already connected ({connected})")
    if open_onboarding is not None:
        raise WindowError("open_onboarding", f"the organisation already has an open onboarding ({open_onboarding})")


def connection_passed(*, decision: str, passed: bool | None) -> bool:
    """The hub's connection check passes only when it approves and marks the connection as passed (art. 10)."""
    return decision == "approve" and bool(passed)


def count_report(counts: dict[str, dict[str, int]], *, year: int, sent: int = 0, overdue: int = 0) -> dict[str, dict[str, int]]:
    """Add to a window's per-year report counts (for the annual assessment's data reporting, 004 art. 12)."""
    out = {k: dict(v) for k, v in counts.items()}
    row = out.setdefault(str(year), {"sent": 0, "overdue": 0})
    row["sent"] = row.get("sent", 0) + sent
    row["overdue"] = row.get("overdue", 0) + overdue
    return out
