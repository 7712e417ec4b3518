"""Who may publish a voucher demand (P1; seed 000 五.1, 003 art. 5-6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.errors import Conflict, Forbidden, Invalid
from db import bids
from db.models import Bid, Case, Organization, Task, User
from rules.calendar import SHANGHAI
from rules.voucher import (
    POLICIES,
    SECTORS,
    VoucherRuleError,
    category_ratio_bp,
    check_contract_matches_award,
    check_paid,
    check_subsidy_object,
    effective_sector,
    policy_in_force,
)


def check_voucher_case(session: Session, org: Organization, data: dict[str, Any], *, case_id: str | None = None) -> None:
    """Approved micro or small enterprises only, not blacklisted, one open voucher per service item (`case_id`: the
    case being corrected, which does not count against itself)."""
    if org.kind != "enterprise" or org.size not in ("micro", "small"):
        raise Forbidden(f"{org.name} is not a micro or small enterprise (size: {org.size}); only 小微企业 may apply "
                        "for service vouchers", code="not_small_enterprise", params={"org": org.name, "size": org.size})
    running = bids.open_voucher_for_item(session, org_id=org.id or 0, category=data["category"], excluding=case_id)
    if running is not None:
        raise Conflict(f"{org.name} already has an open voucher case for this service item ({running.id}); "
                       "one voucher per service item", code="open_voucher_case",
                       params={"org": org.name, "case_id": running.id})


def check_case(session: Session, *, user: User, org: Organization, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The voucher process's create-time check (its spec's `create_check`): no figures for the result."""
    check_voucher_case(session, org, data)
    check_sector(org, now=now)
    return {}


def check_correction(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any],
                     now: datetime, decision: str = "") -> None:
    """A corrected demand (voucher.correction) passes the checks of a new one: still a micro or small enterprise in
    good standing, and no other open voucher case for the (possibly changed) service item."""
    org = session.get(Organization, case.applicant_org_id) if case.applicant_org_id else None
    if org is None:
        raise Forbidden("your account has no organisation to apply for", code="no_organisation")
    if org.blacklisted:
        raise Forbidden(f"{org.name} is recorded as bad credit and may not apply: {org.blacklist_reason}",
                        code="bad_credit", params={"org": org.name, "reason": org.blacklist_reason})
    check_voucher_case(session, org, {**case.data, **data}, case_id=case.id)


def _voucher(case: Case) -> dict[str, Any]:
    return dict(case.result.get("voucher") or {})


def check_apply(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any], now: datetime,
              decision: str = "") -> None:
    """voucher.apply: the declared contract amount is the awarded bid's (422 otherwise)."""
    awarded = _voucher(case).get("bid_amount_fen")
    if awarded is None:
        return  # a case awarded before the amount was projected: the operator's reviews see the contract
    try:
        check_contract_matches_award(contract_amount_fen=int(data["contract_amount_fen"]), awarded_bid_fen=int(awarded))
    except VoucherRuleError as exc:
        raise Invalid(f"data.contract_amount_fen: {exc.message}", code="contract_not_awarded_bid",
                      params={"awarded_fen": int(awarded)}) from None


def check_paid_figure(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any],
                      now: datetime, decision: str = "") -> None:
    """voucher.delivery (the provider's figure) and voucher.confirm (the enterprise's): paid ≤ the contract."""
    contract = _voucher(case).get("contract_amount_fen")
    if data.get("paid_fen") is None or contract is None:
        return
    try:
        check_paid(paid_fen=int(data["paid_fen"]), contract_amount_fen=int(contract))
    except VoucherRuleError as exc:
        raise Invalid(f"data.paid_fen: {exc.message}", code="paid_above_contract",
                      params={"contract_fen": int(contract)}) from None


def check_demand_review(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any],
                        now: datetime, decision: str = "") -> None:
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
                      now: datetime, decision: str = "") -> None:
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


def check_voucher_apply(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any],
                        now: datetime, decision: str = "") -> None:
    """voucher.apply: under 2016 the amount of the contract signed before the application (003 art. 9(一)); under
    every version the amount of the awarded bid (000 五.3, 五.5)."""
    check_application(session, user=user, task=task, case=case, data=data, now=now, decision=decision)
    check_apply(session, user=user, task=task, case=case, data=data, now=now, decision=decision)


def check_choose_bid(session: Session, *, user: User, task: Task, case: Any, data: dict[str, Any],
                     now: datetime, decision: str = "") -> None:
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
