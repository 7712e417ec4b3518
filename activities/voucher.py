"""The voucher's I/O: policy version, bidding, the chosen bid, issuing, the case projection, fraud voids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import Session, select
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import audit, deadlines, users, voucher_policy
from db.calendar import load_calendar
from db.documents import next_number
from db.engine import session_scope
from db.models import BadCreditRecord, Bid, Case, Deadline, Organization
from rules.calendar import SHANGHAI
from rules.voucher import CATEGORIES, policy_in_force, voucher_valid_until
from workflows.voucher_types import (
    BiddingInput,
    BiddingOpened,
    BidsClosed,
    ChooseBidInput,
    ChosenBid,
    ConfirmCategoryInput,
    IssuedVoucher,
    IssueInput,
    VoidCaseInput,
    VoucherProjection,
    VoucherStarted,
    VoucherStartInput,
)


def merge_projection(case: Case, voucher: dict[str, Any], at: datetime) -> None:
    """Merge the workflow's view of the voucher into case.result["voucher"] (the projection and the reservation)."""
    case.result = {**case.result, "voucher": {**case.result.get("voucher", {}), **voucher}}
    case.updated_at = at


_CASES = Case.__table__  # type: ignore[attr-defined]
_CASE_RESULT = core_select(_CASES.c.result).where(_CASES.c.id == bindparam("case_id"))
_DEADLINES = Deadline.__table__  # type: ignore[attr-defined]
_CLOSE_DEADLINES = update(_DEADLINES).where(_DEADLINES.c.case_id == bindparam("d_case_id"),
                                            _DEADLINES.c.open.is_(True)).values(open=False)


def load_case(s: Session, case_id: str) -> Case:
    case = s.get(Case, case_id)
    if case is None:
        raise ApplicationError(f"case {case_id} does not exist", type="RuleViolation")
    return case




@dataclass
class VoucherActivities:
    """Each activity is one short transaction, idempotent on the case (and step)."""

    engine: Engine

    @defn(name="voucher_start")
    def start(self, inp: VoucherStartInput) -> VoucherStarted:
        """Fix the policy version in force on the submission day; the case keeps it (003 art. 12)."""
        with session_scope(self.engine) as s:
            case = load_case(s, inp.case_id)
            if not case.policy_version:
                case.policy_version = policy_in_force(on=case.created_at.astimezone(SHANGHAI).date()).code
            policy, fee = voucher_policy.effective(s, case.policy_version)  # as the admin has set it now
            return VoucherStarted(policy=policy.code, policy_title=policy.title,
                                  bidding_working_days=policy.bidding_working_days,
                                  expiry_reminder_days=list(policy.expiry_reminder_days),
                                  supervision_fee_bp=fee, department_reviews=policy.department_reviews,
                                  contract_before_application=policy.contract_before_application,
                                  deposit=policy.deposit)

    @defn(name="voucher_confirm_category")
    def confirm_category(self, inp: ConfirmCategoryInput) -> None:
        """The category the operator confirmed at the demand review becomes the case's (000 二: the ratio follows it);
        the enterprise's own filing is kept as `declared_category`. Idempotent."""
        with session_scope(self.engine) as s:
            case = load_case(s, inp.case_id)
            filed = str(case.data.get("declared_category") or case.data["category"])
            confirmed = inp.category or str(case.data["category"])
            v = dict(case.result.get("voucher", {}))
            if v.get("category_confirmed") and case.data["category"] == confirmed:
                return
            case.data = {**case.data, "category": confirmed, "declared_category": filed}
            v.update(category_confirmed=True, declared_category=filed, category=confirmed)
            case.result = {**case.result, "voucher": v}
            changed = confirmed != filed
            audit.record(s, action="category_confirmed", at=inp.at, actor=inp.actor, case_id=case.id,
                         message=(f"运营单位将服务类别由“{CATEGORIES.get(filed, filed)}”核定为"
                                  f"“{CATEGORIES.get(confirmed, confirmed)}”，补贴比例按核定类别计算") if changed
                         else f"运营单位确认服务类别“{CATEGORIES.get(confirmed, confirmed)}”",
                         before={"category": filed}, after={"category": confirmed}, key=f"{case.id}.category")

    @defn(name="voucher_open_bidding")
    def open_bidding(self, inp: BiddingInput) -> BiddingOpened:
        """Open bidding for N working days (a `bidding` deadline the bid endpoint checks)."""
        with session_scope(self.engine) as s:
            existing = deadlines.deadline(s, inp.case_id, "bidding")
            if existing is not None:
                return BiddingOpened(closes_at=existing.closes_at)
            cal = load_calendar(s)
            closes = cal.closes_at(event=inp.at, working_days=inp.working_days)
            end = closes.astimezone(SHANGHAI).date() - timedelta(days=1)
            confirmed = cal.confirmed_between(start=inp.at.astimezone(SHANGHAI).date(), end=end)
            s.add(Deadline(case_id=inp.case_id, name="bidding", event_at=inp.at, working_days=inp.working_days,
                           closes_at=closes, confirmed=confirmed, open=True))
            audit.record(s, action="bidding_opened", at=inp.at, case_id=inp.case_id,
                         message=f"需求已发布，签约服务机构可在{inp.working_days}个工作日内报价",
                         after={"closes_at": closes.isoformat()}, key=f"{inp.case_id}.bidding_opened")
            return BiddingOpened(closes_at=closes)

    @defn(name="voucher_close_bidding")
    def close_bidding(self, inp: BiddingInput) -> BidsClosed:
        """Close bidding; returns the bids received."""
        with session_scope(self.engine) as s:
            d = deadlines.deadline(s, inp.case_id, "bidding")
            if d is not None and d.open:
                d.open = False
            ids = [b.id for b in s.exec(select(Bid).where(Bid.case_id == inp.case_id).order_by(Bid.id))]  # type: ignore[arg-type]
            audit.record(s, action="bidding_closed", at=inp.at, case_id=inp.case_id,
                         message=f"报价已截止，共收到{len(ids)}份报价", key=f"{inp.case_id}.bidding_closed")
            return BidsClosed(bid_ids=[i for i in ids if i is not None])

    @defn(name="voucher_choose_bid")
    def choose_bid(self, inp: ChooseBidInput) -> ChosenBid:
        """Check the enterprise's choice (a bid of this case by a provider still signed) and mark it chosen."""
        with session_scope(self.engine) as s:
            bid = s.get(Bid, inp.bid_id)
            if bid is None or bid.case_id != inp.case_id:
                return ChosenBid(ok=False, reason=f"报价{inp.bid_id}不属于本需求")
            org = s.get(Organization, bid.provider_org_id)
            if org is None or not org.signed or org.blacklisted:
                return ChosenBid(ok=False, reason=f"{bid.provider_name}已不是签约服务机构，请另选报价")
            for other in s.exec(select(Bid).where(Bid.case_id == inp.case_id)):
                other.status = "chosen" if other.id == bid.id else "not_chosen"
            audit.record(s, action="bid_chosen", at=inp.at, case_id=inp.case_id,
                         message=f"企业选定{bid.provider_name}的报价", after={"bid_id": bid.id},
                         key=f"{inp.case_id}.bid_chosen.{bid.id}.{inp.at.isoformat()}")
            return ChosenBid(ok=True, provider_org_id=bid.provider_org_id, provider_name=bid.provider_name,
                             amount_fen=bid.amount_fen)

    @defn(name="voucher_issue")
    def issue(self, inp: IssueInput) -> IssuedVoucher:
        """Number the named voucher and fix its validity (003 art. 9(二), 11(3)); a retry returns the same voucher."""
        with session_scope(self.engine) as s:
            case = load_case(s, inp.case_id)
            v = dict(case.result.get("voucher", {}))
            if v.get("voucher_no"):
                return IssuedVoucher(voucher_no=v["voucher_no"], valid_until=v["valid_until"],
                                     amount_fen=v["amount_fen"])
            day = inp.at.astimezone(SHANGHAI).date()
            number = next_number(s, issuer_code="服务券", year=day.year)
            valid_until = voucher_valid_until(policy=voucher_policy.effective(s, case.policy_version)[0], issued_on=day)
            voucher_no = f"NXFWQ{day.year}{number:05d}"
            v.update(voucher_no=voucher_no, contract_no=v.get("contract_no") or f"{voucher_no}-HT", issued_on=day.isoformat(),
                     valid_until=valid_until.isoformat(), status="issued")
            case.result = {**case.result, "voucher": v}
            closes = datetime.combine(valid_until + timedelta(days=1), time(0), tzinfo=SHANGHAI)
            s.add(Deadline(case_id=case.id, name="validity", event_at=inp.at, closes_at=closes, confirmed=True))
            audit.record(s, action="voucher_issued", at=inp.at, case_id=case.id,
                         message=f"服务券{voucher_no}已发放，有效期至{valid_until.isoformat()}",
                         after={"voucher_no": voucher_no, "amount_fen": v.get("amount_fen")},
                         key=f"{case.id}.voucher_issued")
            return IssuedVoucher(voucher_no=voucher_no, valid_until=valid_until, amount_fen=int(v["amount_fen"]))

    @defn(name="voucher_project")
    def project(self, inp: VoucherProjection) -> None:
        """Merge the workflow's view of the voucher into case.result["voucher"]."""
        # Core statements (issue 12, fifteenth round): the turn at the write lock reads the case's result alone (not
        # the whole row with its materials) and writes it back with one UPDATE; the deadlines close with another.
        with session_scope(self.engine) as s:
            result = s.execute(_CASE_RESULT, {"case_id": inp.case_id}).scalar_one_or_none()
            if result is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            merged = {**result, "voucher": {**result.get("voucher", {}), **inp.voucher}}
            s.execute(update(_CASES).where(_CASES.c.id == inp.case_id).values(result=merged, updated_at=inp.at))
            if inp.voucher.get("status") in ("void", "settled", "expired", "withdrawn", "lapsed"):
                s.execute(_CLOSE_DEADLINES, {"d_case_id": inp.case_id})

    @defn(name="voucher_void_case")
    def void_case(self, inp: VoidCaseInput) -> None:
        """Fraud (003 art. 11(1); 000 六): the provider loses its signed status, the enterprise is blacklisted."""
        with session_scope(self.engine) as s:
            case = load_case(s, inp.case_id)
            ent = s.get(Organization, case.applicant_org_id) if case.applicant_org_id else None
            if ent is not None and not ent.blacklisted:
                ent.blacklisted, ent.blacklist_reason = True, f"服务券{case.id}作废：{inp.reason}"
                audit.record(s, action="blacklisted", at=inp.at, actor=inp.actor, case_id=case.id,
                             message=f"{ent.name}及其责任人记入不良信用档案，不得再次申领服务券",
                             before={"blacklisted": False}, after={"blacklisted": True, "reason": inp.reason},
                             key=f"{case.id}.void.enterprise")
            if inp.provider_org_id:
                users.unsign_provider(s, inp.provider_org_id, reason=inp.reason, at=inp.at, actor=inp.actor,
                                      key=f"{case.id}.void.provider", case_id=case.id)
                provider = s.get(Organization, inp.provider_org_id)
                if provider is not None and not provider.blacklisted:  # 003 art. 11(1): 作为不良信用记入服务档案
                    provider.blacklisted, provider.blacklist_reason = True, f"服务券{case.id}作废：{inp.reason}"
            # The service file (服务档案): the provider, the enterprise and the responsible person, each apart.
            if not s.exec(select(BadCreditRecord).where(BadCreditRecord.case_id == case.id)).first():
                subjects: list[tuple[str, int | None, str | None]] = []
                if ent is not None:
                    subjects.append(("enterprise", ent.id, None))
                if inp.provider_org_id:
                    subjects.append(("provider", inp.provider_org_id, None))
                if inp.responsible_person.strip():
                    subjects.append(("person", ent.id if ent is not None else None, inp.responsible_person.strip()))
                for subject, org_id, person in subjects:
                    s.add(BadCreditRecord(subject=subject, org_id=org_id, person_name=person, reason=inp.reason,
                                          case_id=case.id, recorded_by=inp.actor, recorded_at=inp.at))
            audit.record(s, action="voucher_void", at=inp.at, actor=inp.actor, case_id=case.id,
                         message=f"服务券作废：{inp.reason}", after={"reason": inp.reason}, key=f"{case.id}.void")
