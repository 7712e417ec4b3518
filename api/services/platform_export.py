"""The monthly service data for the national SME service data platform (seed 001 三(五)1: data reporting), in a
documented, versioned format (docs/platform-export.md): one JSON file and the same records as an XLSX workbook,
stored under DATA_DIR/platform_exports, with a record (table `platformexport`) of what was sent, when and by whom."""

from __future__ import annotations

import calendar
import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from api.deps import require
from api.errors import NotFound
from api.services import datacentre
from api.views import iso
from db import audit
from db.models import Case, Organization, PlatformExport, Task, User
from rules.calendar import SHANGHAI

FORMAT = "flow168.sme-service-data"
VERSION = "1.0"
RECORD_FIELDS = ["record_id", "service_type", "city", "status", "filed_on", "closed_on", "organization_name",
                 "organization_uscc", "amount_fen", "settled_fen", "provider_name", "satisfaction"]


def _day(dt: datetime | None) -> str | None:
    return dt.astimezone(SHANGHAI).date().isoformat() if dt else None


def build(session: Session, *, year: int, month: int, now: datetime) -> dict[str, Any]:
    """The month's package: every case filed or closed in the month, the vouchers' money, the step service levels."""
    datacentre.check_month(year, month)
    lo = datetime.combine(date(year, month, 1), time(0), tzinfo=SHANGHAI).astimezone(UTC)
    hi = datetime.combine(date(year, month, calendar.monthrange(year, month)[1]) + timedelta(days=1), time(0),
                          tzinfo=SHANGHAI).astimezone(UTC)
    cases = session.exec(select(Case).where(((Case.created_at >= lo) & (Case.created_at < hi)) |
                                            ((col(Case.closed_at) >= lo) & (col(Case.closed_at) < hi)))
                         .order_by(col(Case.created_at))).all()
    orgs = {o.id: o for o in session.exec(select(Organization).where(
        col(Organization.id).in_({c.applicant_org_id for c in cases if c.applicant_org_id})))}
    records = []
    for c in cases:
        org = orgs.get(c.applicant_org_id) if c.applicant_org_id else None
        v = c.result.get("voucher", {}) if c.type == "voucher" else {}
        records.append({
            "record_id": c.id, "service_type": c.type, "city": c.city, "status": c.status,
            "filed_on": _day(c.created_at), "closed_on": _day(c.closed_at),
            "organization_name": org.name if org else c.applicant, "organization_uscc": org.uscc if org else None,
            "amount_fen": v.get("amount_fen"), "settled_fen": v.get("settled_fen"), "provider_name": v.get("provider_name"),
            "satisfaction": v.get("satisfaction")})
    tasks = datacentre.task_records(session, city=None)
    from rules.service_levels import service_levels

    levels = service_levels(tasks, by="type", start=lo, end=hi, now=min(now, hi))
    by_type: dict[str, int] = {}
    for r in records:
        by_type[r["service_type"]] = by_type.get(r["service_type"], 0) + 1
    done = session.exec(select(Task).where(Task.status == "completed", col(Task.completed_at) >= lo,
                                           col(Task.completed_at) < hi)).all()
    return {
        "format": FORMAT, "version": VERSION, "period": f"{year:04d}-{month:02d}",
        "generated_at": now.astimezone(UTC).isoformat(),
        "source": {"platform": "宁夏中小企业公共服务平台（168平台）", "region_code": "640000"},
        "summary": {"records": len(records), "by_service_type": by_type, "tasks_completed": len(done),
                    "vouchers_settled_fen": sum(int(r["settled_fen"] or 0) for r in records
                                                if r["service_type"] == "voucher" and r["status"] == "settled")},
        "records": records,
        "service_levels": [{"task_type": x["group"], **{k: x[k] for k in x if k not in ("group",)}} for x in levels],
    }


def to_xlsx(package: dict[str, Any]) -> bytes:
    t_records = datacentre.Table(name="records", title=f"{FORMAT} {package['version']} · {package['period']}",
                                 columns=RECORD_FIELDS, rows=[[r[k] for k in RECORD_FIELDS] for r in package["records"]])
    cols = ["task_type", "opened", "completed", "claim_median_h", "claim_p90_h", "complete_median_h", "complete_p90_h",
            "within_due_share", "overdue_now"]
    t_levels = datacentre.Table(name="service_levels", title="service levels", columns=cols,
                                rows=[[x.get(k) for k in cols] for x in package["service_levels"]])
    summary = package["summary"]
    t_summary = datacentre.Table(name="summary", title="summary", columns=["key", "value"], rows=[
        ["format", package["format"]], ["version", package["version"]], ["period", package["period"]],
        ["generated_at", package["generated_at"]], ["records", summary["records"]],
        ["tasks_completed", summary["tasks_completed"]], ["vouchers_settled_fen", summary["vouchers_settled_fen"]],
        *[[f"by_service_type.{k}", v] for k, v in sorted(summary["by_service_type"].items())]])
    return datacentre.to_xlsx([t_summary, t_records, t_levels])


def send(session: Session, user: User, *, year: int, month: int, folder: Path, now: datetime) -> PlatformExport:
    """Build the month's package, store its JSON and XLSX, and record the sending (each sending is kept)."""
    require(user, "department")
    package = build(session, year=year, month=month, now=now)
    raw = json.dumps(package, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")
    xlsx = to_xlsx(package)
    n = len(session.exec(select(PlatformExport).where(PlatformExport.period == package["period"])).all()) + 1
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"sme-service-data-{package['period']}-v{VERSION}-{n}"
    pj, px = folder / f"{stem}.json", folder / f"{stem}.xlsx"
    pj.write_bytes(raw)
    px.write_bytes(xlsx)
    row = PlatformExport(period=package["period"], format_version=VERSION, records=len(package["records"]),
                         sha256_json=hashlib.sha256(raw).hexdigest(), sha256_xlsx=hashlib.sha256(xlsx).hexdigest(),
                         path_json=str(pj), path_xlsx=str(px), sent_by=user.username, sent_at=now)
    session.add(row)
    session.flush()
    audit.record(session, action="platform_export", at=now, actor=user.username,
                 message=f"报送{package['period']}服务数据（{len(package['records'])}条，格式{FORMAT} {VERSION}）",
                 after={"id": row.id, "sha256_json": row.sha256_json})
    return row


def export_json(row: PlatformExport) -> dict[str, Any]:
    return {"id": row.id, "period": row.period, "format": FORMAT, "format_version": row.format_version,
            "records": row.records, "sha256_json": row.sha256_json, "sha256_xlsx": row.sha256_xlsx,
            "sent_by": row.sent_by, "sent_at": iso(row.sent_at),
            "json_url": f"/api/datacentre/platform-exports/{row.id}.json",
            "xlsx_url": f"/api/datacentre/platform-exports/{row.id}.xlsx"}


def history(session: Session, user: User) -> dict[str, Any]:
    require(user, "department")
    rows = session.exec(select(PlatformExport).order_by(col(PlatformExport.sent_at).desc())).all()
    return {"items": [export_json(r) for r in rows], "total": len(rows)}


def file_of(session: Session, user: User, export_id: int, kind: str) -> tuple[str, bytes]:
    require(user, "department")
    row = session.get(PlatformExport, export_id)
    if row is None or kind not in ("json", "xlsx"):
        raise NotFound(f"no platform export {export_id}", code="platform_export_not_found")
    path = Path(row.path_json if kind == "json" else row.path_xlsx)
    return path.name, path.read_bytes()
