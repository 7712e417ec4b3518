"""Service vouchers (P1): demands and bids, the winning provider's contract, withdrawal and fraud voids, the fund of a
year and the policy versions' settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.service import RPCError

from api.deps import in_thread, page, require
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.views import case_detail, case_json, document_json, iso
from api.workflows import case_signal, case_update
from db import audit, bids, users, voucher_policy
from db import fund as fund_repo
from db import tasks as task_repo
from db.cases import can_view
from db.models import Bid, Case, Document, Upload, User, VoucherPolicySetting
from rules.fund import FundError
from rules.voucher import POLICIES, PolicySettings, VoucherRuleError, explain_amount, policy_in_force, with_settings
from workflows.voucher import VoucherWorkflow
from workflows.voucher_types import FundChanged, VoidRequest, WithdrawRequest, WithdrawResult

TERMINAL = ("settled", "void", "expired", "rejected", "closed", "withdrawn")
DELIVERED = ("in_service", "settling")


class BidIn(BaseModel):
    amount_fen: int = Field(gt=0, le=100_000_000_00)
    plan: str = Field(default="", max_length=5000)


class VoidIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    responsible_person: str = Field(default="", max_length=100)  # 003 art. 11(1): 相关…责任人, recorded apart


class WithdrawIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class BudgetIn(BaseModel):
    total_fen: int = Field(ge=0, le=100_000_000_000_00)


class PolicySettingsIn(BaseModel):
    """An admin's settings for a policy version; a field left out (or null) keeps the version's default."""

    bidding_working_days: int | None = None
    voucher_validity_days: int | None = None
    expiry_reminder_days: list[int] | None = Field(default=None, max_length=10)
    supervision_fee_bp: int | None = None


def require_department(user: User) -> None:
    """003 art. 3: the bureau (role department) sets the year's fund and the voucher standards; the system
    administrator's usual override does not apply (a 403 for admin too)."""
    if user.role != "department":
        raise Forbidden(f"this needs the role department (003 art. 3); you are {user.role}", code="role_required",
                        params={"roles": ["department"], "role": user.role})


def bid_json(b: Bid, *, ratings: dict[str, int] | None = None) -> dict[str, Any]:
    out = {"id": b.id, "case_id": b.case_id, "provider_org_id": b.provider_org_id, "provider_name": b.provider_name,
           "amount_fen": b.amount_fen, "plan": b.plan, "status": b.status, "created_at": iso(b.created_at)}
    if ratings is not None:
        out["provider_ratings"] = ratings
    return out


def demand_json(case: Case) -> dict[str, Any]:
    return {**case_json(case), "data": case.data}


def demand_for_provider(session: Session, user: User, case_id: str) -> Case:
    """A published voucher demand (its bidding has opened, after the operator's review) this provider may bid on,
    else 404: a demand under review or refused is the enterprise's alone."""
    case = session.get(Case, case_id)
    if case is None or case.type != "voucher" or not bids.may_bid_on(users.org(session, user.org_id), case) \
            or bids.bidding_deadline(session, case.id) is None:
        raise NotFound(f"no voucher demand {case_id} open to you", code="demand_not_open", params={"case_id": case_id})
    return case


def own(session: Session, user: User, case_id: str) -> bool:
    """Whether the case is one of the user's organisation's."""
    case = session.get(Case, case_id)
    return case is not None and case.applicant_org_id is not None and case.applicant_org_id == user.org_id


def won_case(session: Session, user: User, case_id: str) -> Case:
    """A voucher case whose bid this provider won: it is a party to the contract and the settlement."""
    require(user, "provider")
    case = session.get(Case, case_id)
    won = case is not None and any(b.provider_org_id == user.org_id and b.status == "chosen"
                                   for b in bids.for_case(session, case_id))
    if case is None or not won:
        raise NotFound(f"no voucher contract {case_id} of yours", code="contract_not_found", params={"case_id": case_id})
    return case


def bid(session: Session, user: User, case_id: str, body: BidIn, *, now: datetime) -> Bid:
    """Signed providers of the demand's category bid while bidding is open (000 五.3)."""
    require(user, "provider")
    org = users.org(session, user.org_id)
    if org is not None and org.blacklisted:
        raise Forbidden(f"{org.name} is recorded as bad credit and may not bid: {org.blacklist_reason}",
                        code="bad_credit_bid", params={"org": org.name, "reason": org.blacklist_reason})
    if org is None or not org.signed:
        raise Forbidden("only signed service providers (签约服务机构) may bid; apply for admission first",
                        code="not_signed_provider")
    case = demand_for_provider(session, user, case_id)
    deadline = bids.bidding_deadline(session, case.id)
    if case.status != "bidding" or deadline is None or not deadline.open or now >= deadline.closes_at:
        raise Conflict("bidding is not open on this case", code="bidding_closed")
    row = Bid(case_id=case.id, provider_org_id=org.id or 0, provider_name=org.name, amount_fen=body.amount_fen,
              plan=body.plan, created_at=now)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"{org.name} has already bid on this demand", code="already_bid",
                       params={"org": org.name}) from None
    audit.record(session, action="bid", at=now, actor=user.username, case_id=case.id,
                 message=f"{org.name}报价{body.amount_fen / 100:.2f}元", after={"bid_id": row.id})
    return row


def list_bids(session: Session, user: User, case_id: str) -> dict[str, Any]:
    """The enterprise (and staff) see every bid with the provider's past ratings; a provider sees its own."""
    case = session.get(Case, case_id)
    if case is None or case.type != "voucher":
        raise NotFound(f"no voucher demand {case_id}", code="demand_not_found", params={"case_id": case_id})
    if user.role == "provider":
        rows = [b for b in bids.for_case(session, case.id) if b.provider_org_id == user.org_id]
        if not rows:
            demand_for_provider(session, user, case_id)
        return page([bid_json(b) for b in rows], len(rows))
    if not can_view(session, user, case):
        raise NotFound(f"no case {case_id} that you may see", code="case_not_visible", params={"case_id": case_id})
    rows = list(bids.for_case(session, case.id))
    return page([bid_json(b, ratings=bids.provider_ratings(session, b.provider_org_id)) for b in rows], len(rows))


def bid_comparison(session: Session, user: User, case_id: str) -> list[dict[str, Any]]:
    """The bids of a demand side by side for the enterprise choosing one (000 五.3): provider, price, plan, the
    provider's past ratings and its completed vouchers, cheapest first."""
    rows = list_bids(session, user, case_id)["items"]
    for b in rows:
        b["completed_vouchers"] = bids.provider_completed(session, b["provider_org_id"])
    return sorted(rows, key=lambda b: (b["amount_fen"], b["id"]))


def explain(case: Case) -> str | None:
    """The voucher's computation in words for its enterprise (the policy version of the case, its category)."""
    policy = POLICIES.get(case.policy_version or "")
    if policy is None:
        return None
    voucher = (case.result or {}).get("voucher") or {}
    amount = voucher.get("amount_fen")
    return "服务券金额：" + explain_amount(policy=policy, category=str(case.data.get("category")),
                          amount_fen=int(amount) if isinstance(amount, int) else None)


def open_demands(session: Session, user: User) -> dict[str, Any]:
    """Demands open for bidding: a signed provider sees those of its categories; staff see all."""
    if user.role == "provider":
        org = users.org(session, user.org_id)
        if org is None or not org.signed or org.blacklisted:
            return page([], 0)
        rows = bids.open_demands(session, categories=org.categories)
    else:
        require(user, "operator", "department")
        rows = bids.open_demands(session, categories=None)
    return page([demand_json(c) for c in rows], len(rows))


def open_demand(session: Session, user: User, case_id: str) -> dict[str, Any]:
    require(user, "provider")
    return demand_json(demand_for_provider(session, user, case_id))


def my_bids(session: Session, user: User) -> dict[str, Any]:
    """A provider's bids, newest first, with the voucher's state once it has won."""
    require(user, "provider")
    out = []
    for b in bids.by_provider(session, user.org_id or 0):
        item = bid_json(b)
        if b.status == "chosen":
            case = session.get(Case, b.case_id)
            item["voucher"] = case.result.get("voucher", {}) if case else {}
        out.append(item)
    return page(out, len(out))


def contract(session: Session, user: User, case_id: str, *, now: datetime) -> dict[str, Any]:
    """The winning provider's view of the voucher case: status, voucher, tasks and documents (as `redact_case`)."""
    case = won_case(session, user, case_id)
    return redact_case(session, user, case, case_detail(session, case, now=now, viewer=user))


def redact_case(session: Session, user: User, case: Case, out: dict[str, Any]) -> dict[str, Any]:
    """The voucher case for a provider that is a party (it won the bid): its own bid and the award, the contract's
    figures, its own steps and materials; never the enterprise's application materials (financial statements,
    social-security and tax proofs), the other steps' form data, nor the competitors' bids."""
    if user.role != "provider" or (case.applicant_org_id is not None and case.applicant_org_id == user.org_id):
        return out
    own_uploads = {u for u in session.exec(select(Upload.id).join(User, col(User.id) == Upload.owner_user_id)
                                              .where(Upload.case_id == case.id, User.org_id == user.org_id))} \
        if user.org_id is not None else set()
    own_bids = {b.id for b in bids.for_case(session, case.id) if b.provider_org_id == user.org_id}
    own_tasks = {t.id for t in task_repo.for_case(session, case.id) if t.role == "provider" and t.org_id == user.org_id}
    for t in out.get("tasks", []):
        if t["id"] not in own_tasks:
            t.update(data={})
    out["materials"] = [m for m in out.get("materials", []) if m["id"] in own_uploads]
    timeline = []
    for e in out.get("timeline", []):
        if e["action"] == "bid" and (e.get("after") or {}).get("bid_id") not in own_bids:
            continue  # a competitor's price
        if e.get("task_id") not in own_tasks:
            e = {**e, "before": {}, "after": {}}
        timeline.append(e)
    out["timeline"] = timeline
    return out


def on_terminated(session: Session, case: Case, *, now: datetime) -> Callable[[Client], Awaitable[None]] | None:
    """An admin terminated the voucher case (its workflow is gone): the money it holds, reserved or waitlisted,
    returns to the year's fund at once and the waitlist moves up, as a withdrawal does. Runs with the termination's
    writes in the thread pool; the cases moved up or dropped are told by the returned call, after the commit."""
    held = fund_repo.state_of(session, case.id)
    voucher = dict(case.result.get("voucher") or {})
    if voucher:
        case.result = {**case.result, "voucher": {**voucher, "status": "terminated"}}
    if held is None or held.state not in ("reserved", "waitlisted"):
        return None
    cap = policy_in_force(on=date(held.year, 12, 31)).per_enterprise_year_cap_fen
    try:
        change = fund_repo.close(session, year=held.year, case_id=case.id, as_state="released", cap_fen=cap, at=now)
    except FundError:
        return None  # closed meanwhile: nothing held any more
    audit.record(session, action="fund_release", at=now, case_id=case.id,
                 message=f"服务券资金：案件终止，退回资金{change.freed_fen / 100:.2f}元",
                 after={"state": change.state, "freed_fen": change.freed_fen, "promoted": list(change.promoted)})
    for cid in change.promoted:
        audit.record(session, action="fund_promoted", at=now, case_id=cid, message="候补申请已获资金预留")
    return lambda client: _tell_fund_changes(client, list(change.promoted), list(change.dropped))


async def _tell_fund_changes(client: Client, promoted: list[str], dropped: list[str]) -> None:
    for cid, state in [*((c, "reserved") for c in promoted), *((c, "dropped") for c in dropped)]:
        try:  # a case that ended meanwhile is skipped
            await case_signal(client, case_id=cid, signal=VoucherWorkflow.fund_changed, arg=FundChanged(state=state))
        except RPCError:
            pass


def contract_document(session: Session, user: User, case_id: str, doc_id: str) -> Document:
    """The voucher, the three-party contract or the settlement statement, for the winning provider."""
    case = won_case(session, user, case_id)
    doc = session.get(Document, doc_id)
    if doc is None or doc.case_id != case.id:
        raise NotFound(f"no document {doc_id} of this contract", code="document_not_found",
                       params={"document_id": doc_id})
    return doc


async def void(session: Session, client: Client, user: User, case_id: str, body: VoidIn,
               *, now: datetime) -> dict[str, Any]:
    """Void a voucher for collusion or falsification at any stage: the operating unit's power under 003 art. 11(1)
    (运营单位可取消服务券的发放), the department informed; the department keeps it as the supervising body."""
    case = await in_thread(session, _void_requested, session, user, case_id, body, now=now)
    sent = await case_signal(client, case_id=case.id, signal=VoucherWorkflow.void,
                             arg=VoidRequest(reason=body.reason, actor=user.username,
                                             responsible_person=body.responsible_person.strip(), role=user.role))
    if not sent:
        raise Conflict("this case's process has already ended", code="case_ended")
    return {"case_id": case.id, "status": "voiding", "reason": body.reason}


def _void_requested(session: Session, user: User, case_id: str, body: VoidIn, *, now: datetime) -> Case:
    """`void`'s database part (the thread pool, issue 12): its checks and the request in the case's audit trail."""
    require(user, "operator", "department")
    case = session.get(Case, case_id)
    if case is None or case.type != "voucher":
        raise NotFound(f"no voucher case {case_id}", code="voucher_case_not_found", params={"case_id": case_id})
    if case.status in TERMINAL or case.closed_at is not None:
        raise Conflict(f"this voucher case is already {case.status}", code="voucher_case_closed",
                       params={"case_status": case.status})
    audit.record(session, action="void_requested", at=now, actor=user.username, case_id=case.id,
                 message=f"{user.username}以“{body.reason}”为由作废服务券")
    return case


async def withdraw(session: Session, client: Client, user: User, case_id: str, body: WithdrawIn,
                   *, now: datetime) -> dict[str, Any]:
    """The enterprise withdraws its voucher case until the provider reports delivery; money returns to the fund.
    The checks and the audit entry run in the thread pool, before and after the Update (issue 12)."""
    case = await in_thread(session, _withdrawable, session, user, case_id, body)
    done = await case_update(client, case_id=case.id, update=VoucherWorkflow.withdraw,
                             arg=WithdrawRequest(reason=body.reason, actor=user.username), result_type=WithdrawResult,
                             update_id=f"{case.id}.withdraw")
    if done is None:
        raise Conflict("this case's process has already ended", code="case_ended")
    await in_thread(session, audit.record, session, action="withdraw_requested", at=now, actor=user.username,
                    case_id=case.id, message=f"企业撤回服务券案件：{body.reason}")
    return {"case_id": case.id, "status": "withdrawing", "reason": body.reason}


def _withdrawable(session: Session, user: User, case_id: str, body: WithdrawIn) -> Case:
    require(user, "enterprise")
    case = session.get(Case, case_id)
    if case is None or case.type != "voucher" or not own(session, user, case_id):
        raise NotFound(f"no voucher case {case_id} of yours", code="own_voucher_case_not_found",
                       params={"case_id": case_id})
    if not body.reason.strip():
        raise Invalid("reason: give the reason of the withdrawal", code="withdrawal_reason_required")
    if case.status in TERMINAL or case.closed_at is not None:
        raise Conflict(f"this voucher case is already {case.status}", code="voucher_case_closed",
                       params={"case_status": case.status})
    if case.status in DELIVERED:
        raise Conflict("the provider has reported the service as delivered; the case can no longer be withdrawn",
                       code="already_delivered")
    return case


def statistics(session: Session, user: User) -> dict[str, Any]:
    """The monthly statistics reports drafted so far, newest first (operator, department)."""
    require(user, "operator", "department")
    rows = bids.reports(session)
    return page([{**document_json(d), "url": f"/api/voucher/statistics/{d.id}"} for d in rows], len(rows))


def statistics_report(session: Session, user: User, doc_id: str) -> Document:
    require(user, "operator", "department")
    doc = session.get(Document, doc_id)
    if doc is None or doc.kind != "monthly_voucher_statistics":
        raise NotFound(f"no statistics report {doc_id}", code="report_not_found", params={"document_id": doc_id})
    return doc


def budget(session: Session, user: User, year: int) -> dict[str, Any]:
    """The year's fund: total, reserved, settled, remaining and the waitlist in serving order."""
    if user.role not in ("operator", "department", "admin"):
        out = fund_repo.summary(session, year=year)
        return {**out, "waitlist": [w for w in out["waitlist"] if own(session, user, w["case_id"])]}
    return fund_repo.summary(session, year=year)


async def set_budget(session: Session, client: Client, user: User, year: int, body: BudgetIn,
                     *, now: datetime) -> dict[str, Any]:
    """Set the year's voucher fund (the department: 003 art. 3 年度可使用资金额度); a raise promotes the waitlist.
    The database work runs in the thread pool; the cases moved up or dropped are told after the commit (issue 12)."""
    change = await in_thread(session, _budget_set, session, user, year, body, now=now)
    await _tell_fund_changes(client, list(change.promoted), list(change.dropped))
    return await in_thread(session, fund_repo.summary, session, year=year)


def _budget_set(session: Session, user: User, year: int, body: BudgetIn, *, now: datetime) -> fund_repo.FundChange:
    require_department(user)
    cap = policy_in_force(on=date(year, 12, 31)).per_enterprise_year_cap_fen
    try:
        change = fund_repo.set_total(session, year=year, total_fen=body.total_fen, cap_fen=cap, actor=user.username,
                                     at=now)
    except FundError as exc:
        raise Conflict(exc.message, code=exc.code) from None
    audit.record(session, action="budget", at=now, actor=user.username,
                 message=f"{year}年服务券资金设为{body.total_fen / 100:.2f}元", after={"total_fen": body.total_fen})
    return change


def list_policies(session: Session, user: User) -> dict[str, Any]:
    """Each voucher policy version with its configurable numbers as now set, and their defaults."""
    require(user, "admin", "department", "operator")
    items = [voucher_policy.policy_json(session, code) for code in POLICIES]
    return page(items, len(items))


def put_policy(session: Session, user: User, code: str, body: PolicySettingsIn, *, now: datetime) -> dict[str, Any]:
    """Set bidding days, validity, expiry reminders and the default supervision fee of a version (admin).

    Applies to cases from the step that reads it on: bidding and reminders as a case starts, validity at issue.
    The department sets the voucher standards (003 art. 3 补贴标准), not the system administrator."""
    require_department(user)
    if code not in POLICIES:
        raise NotFound(f"no voucher policy version {code}; known: {', '.join(POLICIES)}",
                       code="unknown_policy", params={"policy": code})
    wanted = PolicySettings(bidding_working_days=body.bidding_working_days,
                            voucher_validity_days=body.voucher_validity_days,
                            expiry_reminder_days=tuple(body.expiry_reminder_days)
                            if body.expiry_reminder_days is not None else None,
                            supervision_fee_bp=body.supervision_fee_bp)
    try:
        with_settings(POLICIES[code], wanted)
    except VoucherRuleError as exc:
        raise Invalid(exc.message, code=exc.code) from None
    before = voucher_policy.policy_json(session, code)
    row = session.get(VoucherPolicySetting, code) or VoucherPolicySetting(policy=code, updated_at=now)
    row.bidding_working_days, row.voucher_validity_days = body.bidding_working_days, body.voucher_validity_days
    row.expiry_reminder_days = list(body.expiry_reminder_days) if body.expiry_reminder_days is not None else None
    row.supervision_fee_bp, row.updated_by, row.updated_at = body.supervision_fee_bp, user.username, now
    session.add(row)
    session.flush()
    after = voucher_policy.policy_json(session, code)
    keys = ("bidding_working_days", "voucher_validity_days", "expiry_reminder_days", "supervision_fee_bp")
    audit.record(session, action="voucher_policy", at=now, actor=user.username,
                 message=f"设置服务券政策版本{code}（{POLICIES[code].title}）的参数",
                 before={k: before[k] for k in keys}, after={k: after[k] for k in keys})
    session.commit()
    return after
