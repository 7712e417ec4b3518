"""The data centre's API (department, admins; a city bureau its city's slice): service levels, the figures as JSON,
charts (SVG), CSV/XLSX exports, the monthly/yearly report (.docx), the national platform's monthly data and the
record of its sending (HTTP over api/services/datacentre.py and platform_export.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api.deps import NowDep, SessionDep, UserDep
from api.services import datacentre as service
from api.services import platform_export as export_service
from rules.calendar import SHANGHAI

router = APIRouter(prefix="/api/datacentre")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _download(body: bytes, media: str, filename: str) -> Response:
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _ym(now: Any, year: int | None, month: int | None) -> tuple[int, int]:
    local = now.astimezone(SHANGHAI)
    return year or local.year, month or (local.month if (year or local.year) == local.year else 12)


@router.get("/service-levels")
def service_levels(session: SessionDep, user: UserDep, now: NowDep, by: Literal["type", "person", "city"] = "type",
                         start: date | None = None, end: date | None = None) -> dict[str, Any]:
    """Per task type, person or city bureau: time to claim and to complete (median, p90), share done within the due
    time, overdue now; tasks opened in [start, end] (default the last 30 days)."""
    return service.levels(session, user, by=by, start=start, end=end, now=now)


@router.get("/tables/{name}")
def table(name: str, session: SessionDep, user: UserDep, now: NowDep, year: int | None = None,
                month: int | None = None, start: date | None = None, end: date | None = None) -> dict[str, Any]:
    """One figure as a table (fund, vouchers_by_category, vouchers_by_city, processing, providers, certifications,
    assessments)."""
    y, m = _ym(now, year, month)
    return service.table(session, user, name, year=y, month=m, now=now, start=start, end=end).json()


@router.get("/tables/{name}/export.{fmt}")
def table_export(name: str, fmt: Literal["csv", "xlsx"], session: SessionDep, user: UserDep, now: NowDep,
                       year: int | None = None, month: int | None = None) -> Response:
    y, m = _ym(now, year, month)
    t = service.table(session, user, name, year=y, month=m, now=now)
    if fmt == "csv":
        return _download(service.to_csv(t), "text/csv; charset=utf-8", f"{name}-{y}-{m:02d}.csv")
    return _download(service.to_xlsx([t]), XLSX, f"{name}-{y}-{m:02d}.xlsx")


@router.get("/charts/{name}.svg")
def chart(name: str, session: SessionDep, user: UserDep, now: NowDep, year: int | None = None,
                month: int | None = None) -> Response:
    """The figure drawn server-side (matplotlib) as SVG."""
    y, m = _ym(now, year, month)
    return Response(service.chart_svg(service.table(session, user, name, year=y, month=m, now=now)),
                    media_type="image/svg+xml")


@router.get("/export.xlsx")
def export_all(session: SessionDep, user: UserDep, now: NowDep, year: int | None = None,
                     month: int | None = None) -> Response:
    """Every figure, one sheet each."""
    y, m = _ym(now, year, month)
    return _download(service.to_xlsx(service.all_tables(session, user, year=y, month=m, now=now)), XLSX,
                     f"datacentre-{y}-{m:02d}.xlsx")


@router.get("/report.docx")
def report(session: SessionDep, user: UserDep, now: NowDep, year: int | None = None,
                 month: int | None = None) -> Response:
    """The department's monthly report (month given) or yearly report, drafted with the dashboards' figures."""
    y = year or now.astimezone(SHANGHAI).year
    name, body = service.report_docx(session, user, year=y, month=month, now=now)
    return _download(body, DOCX, name)


class ExportRequest(BaseModel):
    year: int = Field(ge=2000, le=2200)
    month: int = Field(ge=1, le=12)


@router.post("/platform-exports", status_code=201)
def send_export(body: ExportRequest, request: Request, session: SessionDep, user: UserDep,
                      now: NowDep) -> dict[str, Any]:
    """Build and record the month's service data for the national SME service data platform."""
    folder = Path(request.app.state.settings.data_dir) / "platform_exports"
    row = export_service.send(session, user, year=body.year, month=body.month, folder=folder, now=now)
    return export_service.export_json(row)


@router.get("/platform-exports")
def list_exports(session: SessionDep, user: UserDep) -> dict[str, Any]:
    """What was sent, when, by whom (newest first)."""
    return export_service.history(session, user)


@router.get("/platform-exports/{export_id}.{kind}")
def export_file(export_id: int, kind: Literal["json", "xlsx"], session: SessionDep, user: UserDep) -> Response:
    name, body = export_service.file_of(session, user, export_id, kind)
    return _download(body, "application/json" if kind == "json" else XLSX, name)
