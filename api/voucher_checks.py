"""Who may publish a voucher demand (P1; seed 000 五.1, 003 art. 5-6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.errors import Conflict, Forbidden, Invalid
from db import bids
from db.models import Bid, Organization, Task, User


def check_voucher_case(session: Session, org: Organization, data: dict[str, Any]) -> None:
    """Approved micro or small enterprises only, not blacklisted, one open voucher per service item."""
    if org.kind != "enterprise" or org.size not in ("micro", "small"):
        raise Forbidden(f"{org.name} is not a micro or small enterprise (size: {org.size}); only 小微企业 may apply "
                        "for service vouchers", code="not_small_enterprise", params={"org": org.name, "size": org.size})
    running = bids.open_voucher_for_item(session, org_id=org.id or 0, category=data["category"])
    if running is not None:
        raise Conflict(f"{org.name} already has an open voucher case for this service item ({running.id}); "
                       "one voucher per service item", code="open_voucher_case",
                       params={"org": org.name, "case_id": running.id})


def check_case(session: Session, *, user: User, org: Organization, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The voucher process's create-time check (its spec's `create_check`): no figures for the result."""
    check_voucher_case(session, org, data)
    return {}


def check_choose_bid(session: Session, *, user: User, task: Task, case: Any, data: dict[str, Any],
                     now: datetime) -> None:
    """voucher.choose_bid (000 五.3): the chosen bid must be one of this demand's, by a provider still signed; a wrong
    id is refused here (422) rather than accepted and reopened by the workflow."""
    bid = session.get(Bid, int(data.get("bid_id") or 0))
    if bid is None or bid.case_id != case.id:
        raise Invalid(f"bid_id: bid {data.get('bid_id')} is not a bid on {case.id}", code="bid_not_of_case",
                      params={"bid_id": data.get("bid_id")})
    org = session.get(Organization, bid.provider_org_id)
    if org is None or not org.signed or org.blacklisted:
        raise Conflict(f"bid_id: {bid.provider_name} is no longer a signed provider", code="bid_provider_not_signed",
                       params={"org": bid.provider_name})
