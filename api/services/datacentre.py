"""The data centre (seed 000 数据中心; 001 三(三)1: service data collected, analysed and reported): service levels per
step, person and city bureau; the programme's figures as tables, each drawn as a chart (matplotlib, server-side) and
exported as CSV and XLSX (openpyxl); the department's monthly and yearly report drafted as a .docx with the same
figures (documents/ renderer).

Who sees what: the department and admins everything; a city bureau its own city's slice (cases and tasks of its
city; the fund, being the province's, in full); everyone else nothing (403)."""

from __future__ import annotations

import calendar
import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlmodel import Session, col, select

from api.deps import require
from api.errors import Invalid, NotFound
from db import fund as fund_repo
from db.models import Case, FundReservation, Task, TimelineEvent, User
from documents.content_common import CITY_NAMES, RATING_LABELS, SATISFACTION_LABELS
from documents.model import FormDocument, Heading, Paragraph
from documents.model import Table as DocTable
from documents.render import render_docx
from processes.registry import COMMON_TASK_TYPES, specs
from rules.calendar import SHANGHAI
from rules.service_levels import GroupBy, TaskRecord, claimed_at, service_levels
from rules.voucher import CATEGORIES

VIEWERS = ("department", "city_bureau")  # and admin (require lets admins through)


def city_scope(user: User) -> str | None:
    """None: the whole region; else the city a city bureau may see. 403 for anyone else."""
    require(user, *VIEWERS)
    return user.city if user.role == "city_bureau" else None


def _city(code: str | None) -> str:
    return CITY_NAMES.get(code or "", code or "未知")


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


@dataclass
class Table:
    """A figure of the data centre: its columns and rows, and how it is drawn."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: Literal["line", "bar", "barh", "stacked"] = "bar"
    x: int = 0  # the column of the labels
    series: list[int] = field(default_factory=list)  # the columns drawn
    unit: str = ""
    note: str = ""

    def json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "columns": self.columns, "rows": self.rows,
                "unit": self.unit, "note": self.note}


# --- periods ------------------------------------------------------------------------------------------------


def period(start: date | None, end: date | None, *, now: datetime) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in Asia/Shanghai as UTC; default the last 30 days up to today."""
    today = now.astimezone(SHANGHAI).date()
    end = end or today
    start = start or end - timedelta(days=29)
    if end < start or (end - start).days > 3 * 366:
        raise Invalid("start/end: the end is before the start or the span is over 3 years", code="datacentre_bad_period")
    return (datetime.combine(start, time(0), tzinfo=SHANGHAI).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(UTC))


def check_month(year: int, month: int | None) -> None:
    if not 2000 <= year <= 2200 or (month is not None and not 1 <= month <= 12):
        raise Invalid("year/month: out of range", code="datacentre_bad_month")


# --- service levels ------------------------------------------------------------------------------------------


def task_records(session: Session, *, city: str | None) -> list[TaskRecord]:
    """Every task (of the city's cases, or its own city's tasks, for a city bureau) as the aggregation needs it."""
    stmt = select(Task, Case.city).join(Case, col(Case.id) == col(Task.case_id))
    rows = list(session.exec(stmt))
    if city is not None:
        rows = [(t, c) for t, c in rows if (t.city or c) == city]
    claims: dict[str, list[datetime]] = defaultdict(list)
    for task_id, at in session.exec(select(TimelineEvent.task_id, TimelineEvent.at)
                                    .where(TimelineEvent.action == "task_claimed")):
        if task_id:
            claims[task_id].append(at)
    out = []
    for t, case_city in rows:
        # A task opened for a named person (claimed, never claimed through the inbox) was taken when it opened.
        at_open = t.id not in claims and t.status == "claimed" and t.completed_at is None
        out.append(TaskRecord(
            type=t.type, status=t.status, opened_at=t.opened_at, due_at=t.due_at,
            claimed_at=claimed_at(opened_at=t.opened_at, assigned_at_open=at_open,
                                  claims=claims.get(t.id, []), completed_at=t.completed_at),
            completed_at=t.completed_at, person=t.completed_by or t.assignee, city=t.city or case_city))
    return out


def task_type_labels() -> dict[str, str]:
    out = dict(COMMON_TASK_TYPES)
    for spec in specs().values():
        out.update(spec.task_types)
    return out


COMMON_STATUS = {"submitted": "已提交", "in_review": "审核中", "returned": "退回修改", "approved": "已通过",
                 "rejected": "未通过", "terminated": "已终止", "withdrawn": "已撤回", "closed": "已关闭"}


def levels(session: Session, user: User, *, by: GroupBy, start: date | None, end: date | None,
           now: datetime) -> dict[str, Any]:
    """Service levels per task type, person or city bureau over the period."""
    city = city_scope(user)
    lo, hi = period(start, end, now=now)
    rows = service_levels(task_records(session, city=city), by=by, start=lo, end=hi, now=now)
    labels = task_type_labels() if by == "type" else {k: v for k, v in CITY_NAMES.items()} if by == "city" else {}
    for r in rows:
        r["label"] = labels.get(r["group"], r["group"])
    return {"by": by, "start": lo.astimezone(SHANGHAI).date().isoformat(),
            "end": (hi.astimezone(SHANGHAI) - timedelta(days=1)).date().isoformat(), "city": city, "items": rows}


def levels_table(data: dict[str, Any]) -> Table:
    head = {"type": "步骤", "person": "办理人", "city": "地区"}[data["by"]]
    rows = [[r["label"], r["opened"], r["completed"], r["claim_median_h"], r["claim_p90_h"], r["complete_median_h"],
             r["complete_p90_h"], None if r["within_due_share"] is None else round(r["within_due_share"] * 100, 1),
             r["overdue_now"]] for r in data["items"]]
    return Table(name="processing", title=f"办理时效（{data['start']} 至 {data['end']}）",
                 columns=[head, "新开任务", "已办结", "认领中位数(小时)", "认领P90(小时)", "办结中位数(小时)",
                          "办结P90(小时)", "按期办结率(%)", "当前超期"],
                 rows=rows, chart="barh", series=[5, 6], unit="小时")


# --- the programme's figures -----------------------------------------------------------------------------------


def _month_end(year: int, m: int) -> datetime:
    return datetime.combine(date(year, m, calendar.monthrange(year, m)[1]) + timedelta(days=1), time(0),
                            tzinfo=SHANGHAI)


def fund_table(session: Session, *, year: int, now: datetime) -> Table:
    """The year's fund month by month: reserved, settled, remaining, waitlisted (yuan). A reservation's state is known
    as of its last change: one that changed after a month's end counts, for that month, as reserved (or waitlisted)."""
    total = fund_repo.summary(session, year=year)["total_fen"]
    rows_db = list(session.exec(select(FundReservation).where(FundReservation.year == year)))
    local = now.astimezone(SHANGHAI)
    last = local.month if year == local.year else 12
    rows = []
    for m in range(1, max(last, 1) + 1):
        end = _month_end(year, m)
        reserved = settled = waiting = 0
        for r in rows_db:
            if r.submitted_at >= end:
                continue
            state = r.state if r.updated_at < end else ("waitlisted" if r.state == "waitlisted" else "reserved")
            if state == "reserved":
                reserved += r.amount_fen
            elif state == "settled":
                settled += r.settled_fen
            elif state == "waitlisted":
                waiting += r.amount_fen
        rows.append([f"{m}月", _yuan(reserved), _yuan(settled), _yuan(total - reserved - settled), _yuan(waiting)])
    return Table(name="fund", title=f"{year}年服务券资金使用进度", columns=["月份", "已预留(元)", "已结算(元)", "剩余(元)",
                                                                            "排队中(元)"],
                 rows=rows, chart="line", series=[1, 2, 3, 4], unit="元", note=f"年度资金 {_yuan(total):,.2f} 元")


def _vouchers(session: Session, city: str | None) -> list[Case]:
    stmt = select(Case).where(Case.type == "voucher")
    if city:
        stmt = stmt.where(Case.city == city)
    return list(session.exec(stmt))


def vouchers_month_table(session: Session, *, year: int, month: int, city: str | None, by: str) -> Table:
    """The month's vouchers issued and settled, by service category or by city."""
    acc: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0.0])
    prefix = f"{year:04d}-{month:02d}"
    for case in _vouchers(session, city):
        v = case.result.get("voucher", {})
        label = CATEGORIES.get(case.data.get("category", ""), "其他") if by == "category" else _city(case.city)
        if str(v.get("issued_on") or "").startswith(prefix):
            acc[label][0] += 1
            acc[label][1] += _yuan(int(v.get("amount_fen") or 0))
        if str(v.get("settled_on") or "").startswith(prefix):
            acc[label][2] += 1
            acc[label][3] += _yuan(int(v.get("settled_fen") or 0))
    rows = [[k, int(a[0]), round(a[1], 2), int(a[2]), round(a[3], 2)] for k, a in sorted(acc.items())]
    head = "服务类别" if by == "category" else "地区"
    return Table(name=f"vouchers_by_{by}", title=f"{year}年{month}月服务券（按{head}）",
                 columns=[head, "发放张数", "发放金额(元)", "结算张数", "结算金额(元)"], rows=rows, chart="bar",
                 series=[2, 4], unit="元")


def providers_table(session: Session, *, year: int, city: str | None) -> Table:
    """Providers ranked by settled vouchers of the year, with the enterprises' satisfaction."""
    acc: dict[str, dict[str, Any]] = {}
    for case in _vouchers(session, city):
        v = case.result.get("voucher", {})
        if not str(v.get("settled_on") or "").startswith(f"{year:04d}"):
            continue
        name = str(v.get("provider_name") or "（未知机构）")
        p = acc.setdefault(name, {"n": 0, "fen": 0, "sat": Counter()})
        p["n"] += 1
        p["fen"] += int(v.get("settled_fen") or 0)
        p["sat"][str(v.get("satisfaction") or "")] += 1
    rows = []
    for name, p in sorted(acc.items(), key=lambda kv: (-kv[1]["n"], -kv[1]["fen"], kv[0])):
        sat = p["sat"]
        rated = sum(sat[k] for k in SATISFACTION_LABELS)
        share = round(100 * (sat["satisfied"] + sat["basic"]) / rated, 1) if rated else None
        rows.append([name, p["n"], _yuan(p["fen"]), sat["satisfied"], sat["basic"], sat["unsatisfied"], share])
    return Table(name="providers", title=f"{year}年服务机构结算排名与企业评价",
                 columns=["服务机构", "结算张数", "结算金额(元)", "满意", "基本满意", "不满意", "满意率(%)"],
                 rows=rows[:30], chart="barh", series=[1], unit="张")


def certifications_table(session: Session, *, city: str | None) -> Table:
    """Demonstration-platform certifications and window platforms by city and status."""
    types = [t for t in ("certification", "window_onboarding") if t in specs()]
    labels = {t: specs()[t].label for t in types}
    acc: Counter[tuple[str, str, str]] = Counter()
    for case in session.exec(select(Case).where(col(Case.type).in_(types))):
        if city and case.city != city:
            continue
        status = specs()[case.type].statuses.get(case.status) or COMMON_STATUS.get(case.status, case.status)
        acc[(labels[case.type], _city(case.city), str(status))] += 1
    rows = [[t, c, s, n] for (t, c, s), n in sorted(acc.items())]
    return Table(name="certifications", title="示范平台认定与窗口平台（按地区、状态）", columns=["类型", "地区", "状态", "件数"],
                 rows=rows, chart="stacked", x=1, series=[3], unit="件")


def assessments_table(session: Session, *, city: str | None) -> Table:
    """Assessment ratings per year (the final rating after a rectification where there was one)."""
    acc: Counter[tuple[int, str]] = Counter()
    for case in session.exec(select(Case).where(Case.type == "assessment")):
        if city and case.city != city:
            continue
        rating = case.result.get("final_rating") or case.result.get("rating")
        if not rating:
            continue
        year = int(case.data.get("year") or case.created_at.astimezone(SHANGHAI).year)
        acc[(year, str(rating))] += 1
    years = sorted({y for y, _ in acc})
    rows = [[str(y), *[acc[(y, r)] for r in RATING_LABELS]] for y in years]
    return Table(name="assessments", title="年度考核结果", columns=["年度", *RATING_LABELS.values()], rows=rows,
                 chart="bar", series=list(range(1, len(RATING_LABELS) + 1)), unit="家")


CHARTS = ("fund", "vouchers_by_category", "vouchers_by_city", "processing", "providers", "certifications", "assessments")


def table(session: Session, user: User, name: str, *, year: int, month: int, now: datetime,
          start: date | None = None, end: date | None = None) -> Table:
    """One figure of the data centre, for the user's slice."""
    city = city_scope(user)
    check_month(year, month)
    if name == "fund":
        return fund_table(session, year=year, now=now)
    if name in ("vouchers_by_category", "vouchers_by_city"):
        return vouchers_month_table(session, year=year, month=month, city=city, by=name.rsplit("_", 1)[1])
    if name == "processing":
        return levels_table(levels(session, user, by="type", start=start, end=end, now=now))
    if name == "providers":
        return providers_table(session, year=year, city=city)
    if name == "certifications":
        return certifications_table(session, city=city)
    if name == "assessments":
        return assessments_table(session, city=city)
    raise NotFound(f"no chart {name}", code="datacentre_unknown_chart", params={"chart": name})


# --- charts and exports ----------------------------------------------------------------------------------------


def chart_svg(t: Table) -> bytes:
    """The table drawn by matplotlib as SVG (Chinese labels in Noto Sans CJK)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["svg.fonttype"] = "none"  # text stays text (the browser draws it with the page's fonts)
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=100)
    try:
        labels = [str(r[t.x]) for r in t.rows]
        if not t.rows:
            ax.text(0.5, 0.5, "暂无数据", ha="center", va="center", fontsize=16, color="#888")
            ax.set_axis_off()
        elif t.chart == "line":
            for i in t.series:
                ax.plot(labels, [r[i] or 0 for r in t.rows], marker="o", label=t.columns[i])
        elif t.chart == "stacked":  # one bar per city, stacked by (type, status)
            kinds = sorted({(str(r[0]), str(r[2])) for r in t.rows})
            cities = sorted({str(r[t.x]) for r in t.rows})
            bottom = [0.0] * len(cities)
            for kind, status in kinds:
                k = f"{kind}·{status}"
                vals = [sum(r[3] for r in t.rows if r[t.x] == c and r[0] == kind and r[2] == status) for c in cities]
                ax.bar(cities, vals, bottom=bottom, label=k)
                bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        elif t.chart == "barh":
            n = len(t.series)
            ys = range(len(labels))
            h = 0.8 / n
            for j, i in enumerate(t.series):
                ax.barh([y + j * h for y in ys], [r[i] or 0 for r in t.rows], height=h, label=t.columns[i])
            ax.set_yticks([y + h * (n - 1) / 2 for y in ys], labels)
            ax.invert_yaxis()
        else:
            n = len(t.series)
            xs = range(len(labels))
            w = 0.8 / n
            for j, i in enumerate(t.series):
                ax.bar([x + j * w for x in xs], [r[i] or 0 for r in t.rows], width=w, label=t.columns[i])
            ax.set_xticks([x + w * (n - 1) / 2 for x in xs], labels, rotation=30 if len(labels) > 6 else 0)
        if t.rows:
            from matplotlib.ticker import FuncFormatter

            axis = ax.xaxis if t.chart == "barh" else ax.yaxis
            axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 10 else f"{v:g}"))
            if t.unit in ("件", "家", "张"):  # counts: whole-number ticks
                from matplotlib.ticker import MaxNLocator

                axis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3)
            if t.unit:
                (ax.set_xlabel if t.chart == "barh" else ax.set_ylabel)(t.unit)
        ax.set_title(t.title, fontsize=12)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
        return buf.getvalue()
    finally:
        plt.close(fig)


def to_csv(t: Table) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(t.columns)
    w.writerows(["" if v is None else v for v in r] for r in t.rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # with a BOM, Excel opens the Chinese headings right


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table, a title row, the headings in bold, columns sized to their text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for t in tables:
        ws = wb.create_sheet(title=t.name[:31])
        ws.append([t.title])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(t.columns)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for r in t.rows:
            ws.append(list(r))
        if t.note:
            ws.append([])
            ws.append([t.note])
        for i, c in enumerate(t.columns, start=1):
            width = max([len(str(c))] + [len(str(r[i - 1])) for r in t.rows if len(r) >= i]) * 2 + 2
            ws.column_dimensions[ws.cell(row=2, column=i).column_letter].width = min(width, 50)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def all_tables(session: Session, user: User, *, year: int, month: int, now: datetime) -> list[Table]:
    return [table(session, user, n, year=year, month=month, now=now) for n in CHARTS]


# --- the department's report ----------------------------------------------------------------------------------


def report_docx(session: Session, user: User, *, year: int, month: int | None, now: datetime) -> tuple[str, bytes]:
    """The monthly (month given) or yearly report: the same figures as the dashboards, as tables with a summary."""
    city = city_scope(user)
    check_month(year, month)
    m = month or (12 if year < now.astimezone(SHANGHAI).year else now.astimezone(SHANGHAI).month)
    if month:
        start = date(year, month, 1)
        end = date(year, month, calendar.monthrange(year, month)[1])
    else:
        start, end = date(year, 1, 1), date(year, 12, 31)
    end = min(end, now.astimezone(SHANGHAI).date())
    start = min(start, end)
    tables = [fund_table(session, year=year, now=now),
              vouchers_month_table(session, year=year, month=m, city=city, by="category"),
              vouchers_month_table(session, year=year, month=m, city=city, by="city"),
              levels_table(levels(session, user, by="type", start=start, end=end, now=now)),
              providers_table(session, year=year, city=city), certifications_table(session, city=city),
              assessments_table(session, city=city)]
    period_zh = f"{year}年{month}月" if month else f"{year}年度"
    scope_zh = _city(city) if city else "全区"
    fund = tables[0].rows[-1] if tables[0].rows else None
    summary = (f"{period_zh}{scope_zh}中小企业公共服务平台服务数据如下。" +
               (f"截至{fund[0]}末，服务券资金已预留{fund[1]:,.2f}元，已结算{fund[2]:,.2f}元，剩余{fund[3]:,.2f}元，"
                f"排队等候{fund[4]:,.2f}元。" if fund else ""))
    blocks: list[Any] = [Paragraph(text=summary)]
    numerals = "一二三四五六七八九十"
    for i, t in enumerate(tables):
        blocks.append(Heading(level=1, text=f"{numerals[i]}、{t.title}"))
        if t.rows:
            blocks.append(DocTable(headers=t.columns, rows=[["" if v is None else _fmt(v) for v in r] for r in t.rows]))
        else:
            blocks.append(Paragraph(text="本期无数据。"))
        if t.note:
            blocks.append(Paragraph(text=t.note))
    doc = FormDocument(kind="datacentre_report", title=f"{scope_zh}中小企业公共服务{period_zh}数据报告（草稿）",
                       blocks=blocks, date=now.astimezone(SHANGHAI).date())
    name = f"datacentre-report-{year}{f'-{month:02d}' if month else ''}.docx"
    return name, render_docx(doc)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1000 else f"{v:g}"
    return str(v)


# --- Prometheus figures read from the database (served on /metrics) ---------------------------------------------


def metrics_figures(session: Session, registry: Any, *, now: datetime) -> None:
    """Task completions by type (a counter: a completed task stays completed) and each year's fund: total, reserved,
    settled, remaining, waitlisted (fen)."""
    from prometheus_client import Gauge
    from prometheus_client.core import CounterMetricFamily
    from sqlalchemy import func

    done = list(session.exec(select(Task.type, func.count()).where(Task.status == "completed").group_by(Task.type)))

    class _Completed:
        def collect(self) -> Any:
            fam = CounterMetricFamily("flow168_task_completions", "Tasks completed, by task type", labels=["type"])
            for t, n in done:
                fam.add_metric([t], n)
            yield fam

    registry.register(_Completed())
    fund = Gauge("flow168_fund_fen", "The voucher fund of a year by state (fen)", ["year", "state"], registry=registry)
    years = {int(y) for y in session.exec(select(FundReservation.year).distinct())}
    years.add(now.astimezone(SHANGHAI).year)
    for y in sorted(years):
        s = fund_repo.summary(session, year=y)
        waiting = sum(w["amount_fen"] for w in s["waitlist"])
        for state, v in (("total", s["total_fen"]), ("reserved", s["reserved_fen"]), ("settled", s["settled_fen"]),
                         ("remaining", s["remaining_fen"]), ("waitlisted", waiting)):
            fund.labels(str(y), state).set(v)
