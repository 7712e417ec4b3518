"""Voucher-specific endpoints (P1): demands and bids, fraud voids, the fund of a year (HTTP over
api/services/voucher.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from api.deps import NowDep, SessionDep, UserDep, Year, in_thread
from api.services import voucher as service
from api.services.files import DOCX
from api.services.voucher import BidIn, BudgetIn, PolicySettingsIn, VoidIn, WithdrawIn, bid_json

router = APIRouter(prefix="/api")
__all__ = ["BidIn", "BudgetIn", "PolicySettingsIn", "VoidIn", "WithdrawIn", "router"]


@router.post("/cases/{case_id}/bids", status_code=201)
async def bid(case_id: str, body: BidIn, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """Signed providers of the demand's category bid while bidding is open (000 五.3)."""
    return bid_json(await in_thread(session, service.bid, session, user, case_id, body, now=now))


@router.get("/cases/{case_id}/bids")
def list_bids(case_id: str, session: SessionDep, user: UserDep) -> dict[str, Any]:
    """The enterprise (and staff) see every bid with the provider's past ratings; a provider sees its own."""
    return service.list_bids(session, user, case_id)


@router.get("/voucher/demands")
def open_demands(session: SessionDep, user: UserDep) -> dict[str, Any]:
    """Demands open for bidding: a signed provider sees those of its categories; staff see all."""
    return service.open_demands(session, user)


@router.get("/voucher/demands/{case_id}")
def open_demand(case_id: str, session: SessionDep, user: UserDep) -> dict[str, Any]:
    return service.open_demand(session, user, case_id)


@router.get("/voucher/my-bids")
def my_bids(session: SessionDep, user: UserDep) -> dict[str, Any]:
    """A provider's bids, newest first, with the voucher's state once it has won."""
    return service.my_bids(session, user)


@router.get("/voucher/contracts/{case_id}")
def contract(case_id: str, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """The winning provider's view of the voucher case: status, voucher, tasks and documents."""
    return service.contract(session, user, case_id, now=now)


@router.get("/voucher/contracts/{case_id}/documents/{doc_id}")
def contract_document(case_id: str, doc_id: str, session: SessionDep, user: UserDep) -> FileResponse:
    """The voucher, the three-party contract and the settlement statement, for the winning provider."""
    doc = service.contract_document(session, user, case_id, doc_id)
    return FileResponse(doc.path, media_type=DOCX, filename=doc.filename)


@router.post("/cases/{case_id}/void", status_code=202)
async def void(case_id: str, body: VoidIn, request: Request, session: SessionDep, user: UserDep,
               now: NowDep) -> dict[str, Any]:
    """Void a voucher for collusion or falsification at any stage (003 art. 11(1); 000 六)."""
    return await service.void(session, request.app.state.temporal, user, case_id, body, now=now)


@router.post("/cases/{case_id}/withdraw", status_code=202)
async def withdraw(case_id: str, body: WithdrawIn, request: Request, session: SessionDep, user: UserDep,
                   now: NowDep) -> dict[str, Any]:
    """The enterprise withdraws its voucher case until the provider reports delivery; money returns to the fund."""
    return await service.withdraw(session, request.app.state.temporal, user, case_id, body, now=now)


@router.get("/voucher/statistics")
def statistics(session: SessionDep, user: UserDep) -> dict[str, Any]:
    """The monthly statistics reports drafted so far, newest first (operator, department)."""
    return service.statistics(session, user)


@router.get("/voucher/statistics/{doc_id}")
def statistics_file(doc_id: str, session: SessionDep, user: UserDep) -> FileResponse:
    doc = service.statistics_report(session, user, doc_id)
    return FileResponse(doc.path, media_type=DOCX, filename=doc.filename)


@router.get("/budget/{year}")
def budget(year: Year, session: SessionDep, user: UserDep) -> dict[str, Any]:
    """The year's fund: total, reserved, settled, remaining and the waitlist in serving order."""
    return service.budget(session, user, year)


@router.put("/admin/budget/{year}")
async def set_budget(year: Year, body: BudgetIn, request: Request, session: SessionDep, user: UserDep,
                     now: NowDep) -> dict[str, Any]:
    """Set the year's voucher fund (the department, 003 art. 3); a raise promotes the waitlist at once."""
    return await service.set_budget(session, request.app.state.temporal, user, year, body, now=now)


@router.get("/admin/voucher-policies")
def list_policies(session: SessionDep, user: UserDep) -> dict[str, Any]:
    """Each voucher policy version with its configurable numbers as now set, and their defaults."""
    return service.list_policies(session, user)


@router.put("/admin/voucher-policies/{code}")
def put_policy(code: str, body: PolicySettingsIn, session: SessionDep, user: UserDep,
                     now: NowDep) -> dict[str, Any]:
    """Set bidding days, validity, expiry reminders and the default supervision fee of a version (department, 003 art. 3).

    Applies to cases from the step that reads it on: bidding and reminders as a case starts, validity at issue."""
    return service.put_policy(session, user, code, body, now=now)
