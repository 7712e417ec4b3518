"""The monthly statistics report: issued and settled vouchers by category and city, and the fund's burn-down."""

from __future__ import annotations

import calendar
import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from activities.definition import defn
from activities.documents import ref_of, store_rendered_outside
from db import documents as doc_repo
from db import fund as fund_repo
from db.calendar import load_calendar
from db.engine import reader, session_scope
from db.models import Case, FundReservation
from documents import content
from rules.calendar import SHANGHAI
from rules.voucher import CATEGORIES, policy_in_force
from workflows.types import DocumentRef
from workflows.voucher_types import NextReport, StatisticsDraftInput


def first_working_day_after(s: Session, *, year: int, month: int) -> date:
    """The first working day of the month after (year, month)."""
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    cal = load_calendar(s)
    return cal.add_working_days(event_day=date(y, m, 1) - timedelta(days=1), working_days=1)


def _in_month(iso_day: str | None, year: int, month: int) -> bool:
    return bool(iso_day) and iso_day[:7] == f"{year:04d}-{month:02d}"  # type: ignore[index]


def statistics_params(s: Session, *, year: int, month: int) -> dict:
    """The rows of the report (pure data, so the builder can be called from the document activity)."""
    by_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_city: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_policy: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # the version each voucher runs under
    for case in s.exec(select(Case).where(Case.type == "voucher")):
        v = case.result.get("voucher", {})
        cat = CATEGORIES.get(case.data.get("category", ""), "其他")
        city = content.CITY_NAMES.get(case.city or "", case.city or "未知")
        policy = case.policy_version or policy_in_force(on=case.created_at.astimezone(SHANGHAI).date()).code
        for key, idx, amount in (("issued_on", 0, v.get("amount_fen", 0)), ("settled_on", 2, v.get("settled_fen", 0))):
            if _in_month(v.get(key), year, month):
                for table, label in ((by_cat, cat), (by_city, city), (by_policy, policy)):
                    row = table[label]
                    row[idx] += 1
                    row[idx + 1] += int(amount or 0)
    providers = provider_service(s, year=year, month=month)
    total = fund_repo.summary(s, year=year)["total_fen"]
    rows = list(s.exec(select(FundReservation).where(FundReservation.year == year)))
    burn_down = []
    for m in range(1, month + 1):
        end = datetime.combine(date(year, m, calendar.monthrange(year, m)[1]) + timedelta(days=1), time(0),
                               tzinfo=SHANGHAI)
        used = sum(r.settled_fen if r.state == "settled" else r.amount_fen for r in rows
                   if r.state in ("reserved", "settled") and r.submitted_at < end)
        burn_down.append((f"{m}月", total - used))
    return {"by_category": by_cat, "by_city": by_city, "fund_total_fen": total, "burn_down": burn_down,
            "providers": providers, "by_policy": by_policy}


def provider_service(s: Session, *, year: int, month: int) -> dict[str, list[int]]:
    """Per provider: its services still running when the report is drafted, and for the month its vouchers settled,
    their amount, the enterprises' ratings (satisfied, basic, unsatisfied) and the settlements lowered (003 art.
    11(1), 11(4))."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
    for case in s.exec(select(Case).where(Case.type == "voucher")):
        v = case.result.get("voucher", {})
        name = v.get("provider_name")
        if not name:
            continue
        settled = _in_month(v.get("settled_on"), year, month)
        running = v.get("status") == "in_service" and case.closed_at is None
        if not (settled or running):
            continue
        row = rows[name]
        row[0] += int(running)
        if settled:
            row[1] += 1
            row[2] += int(v.get("settled_fen") or 0)
            rating = {"satisfied": 3, "basic": 4, "unsatisfied": 5}.get(str(v.get("satisfaction")))
            if rating is not None:
                row[rating] += 1
            if v.get("adjustment_reason"):
                row[6] += 1
    return dict(rows)


@dataclass
class StatisticsActivities:
    engine: Engine
    store: Path

    @defn(name="voucher_next_report_at")
    def next_report_at(self, inp: StatisticsDraftInput) -> NextReport:
        with session_scope(self.engine) as s:
            day = first_working_day_after(s, year=inp.year, month=inp.month)
        return NextReport(report_at=datetime.combine(day, time(9), tzinfo=SHANGHAI))

    @defn(name="voucher_draft_statistics")
    def draft(self, inp: StatisticsDraftInput) -> DocumentRef:
        """Draft the month's report once (keyed by the month), numbered by the operator's counter, stored."""
        key = f"voucher-statistics.{inp.year}-{inp.month:02d}"
        # The figures read every voucher case of the platform: read them without SQLite's write lock (issue 12: at
        # 2,500 cases this took ~1 s, during which every other activity and request that writes had to wait).
        # It is rendered before the writing transaction too (store_rendered_outside): ~0.7 s of python-docx.
        with session_scope(reader(self.engine)) as r:
            existing = doc_repo.by_key(r, key)
            if existing is not None:
                return ref_of(existing)
            p = statistics_params(r, year=inp.year, month=inp.month)
            day = inp.at.astimezone(SHANGHAI).date()
            doc = content.monthly_voucher_statistics(number=1, year=day.year, issued_on=day, **_builder_args(inp, p),
                                                     policy_in_force=policy_in_force(on=day).code)
            doc = dataclasses.replace(doc, number=doc_repo.peek_number(r, issuer_code=doc.issuer_code, year=doc.year))
        return store_rendered_outside(self.engine, self.store, doc, key=key, kind="monthly_voucher_statistics",
                                      case_id=None, at=inp.at)


def _builder_args(inp: StatisticsDraftInput, p: dict) -> dict:
    def rows(table: dict[str, list[int]]) -> list[content.VoucherStatRow]:
        return [content.VoucherStatRow(label=k, issued_count=v[0], issued_fen=v[1], settled_count=v[2],
                                       settled_fen=v[3]) for k, v in sorted(table.items())]

    providers = [content.ProviderServiceRow(provider_name=k, delivered_count=v[0], settled_count=v[1], settled_fen=v[2],
                                            satisfied=v[3], basic=v[4], unsatisfied=v[5], lowered_count=v[6])
                 for k, v in sorted(p.get("providers", {}).items())]
    return {"period_year": inp.year, "period_month": inp.month, "by_category": rows(p["by_category"]),
            "by_city": rows(p["by_city"]), "fund_total_fen": p["fund_total_fen"], "burn_down": p["burn_down"],
            "providers": providers, "by_policy": rows(p.get("by_policy", {}))}
