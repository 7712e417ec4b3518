"""Who may publish a voucher demand (P1; seed 000 五.1, 003 art. 5-6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.errors import Conflict, Forbidden, Invalid
from db import bids
from db.models import Case, Organization, Task, User
from rules.calendar import SHANGHAI
from rules.voucher import (
    POLICIES,
    SECTORS,
    VoucherRuleError,
    category_ratio_bp,
    check_subsidy_object,
    effective_sector,
    policy_in_force,
)


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
    check_sector(org, now=now)
    return {}


def check_demand_review(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any],
                        now: datetime) -> None:
    """A corrected category must be one the case's policy version subsidises (003 art. 7; 000 三)."""
    category = data.get("category")
    if not category or case.type != "voucher" or not case.policy_version:
        return
    try:
        category_ratio_bp(policy=POLICIES[case.policy_version], category=category)
    except VoucherRuleError as exc:
        raise Invalid(f"data.category: {exc.message}", code="category_not_in_policy",
                      params={"category": category}) from None


def check_application(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any],
                      now: datetime) -> None:
    """Under 2016 the contract was signed before the application (003 art. 9(一)): the application claims its amount."""
    signed = (case.result or {}).get("voucher", {}).get("contract_amount_fen")
    if case.type != "voucher" or case.policy_version != "2016" or not signed:
        return
    if data.get("contract_amount_fen") != signed:
        raise Invalid(f"data.contract_amount_fen: the signed contract is {signed} fen (003 art. 9(一))",
                      code="contract_amount_differs", params={"amount": f"{int(signed) / 100:.2f}"})


def check_sector(org: Organization, *, now: datetime) -> None:
    """The 2017 policy subsidises production manufacturing and producer services only (000 一); 2016 has no such rule."""
    policy = policy_in_force(on=now.astimezone(SHANGHAI).date())
    sector = effective_sector(declared=org.sector, industry=org.industry)
    try:
        check_subsidy_object(policy=policy, sector=sector)
    except VoucherRuleError as exc:
        raise Forbidden(exc.message, code="not_subsidy_object",
                        params={"policy": policy.title, "sector": SECTORS.get(sector or "", "未申报")}) from None
