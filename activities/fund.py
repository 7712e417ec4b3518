"""The fund activities: compute the voucher amount with rules and reserve it in one transaction; release, void,
lower and settle exactly once. Broken rules come back as a result with the reason, not as a retried error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlmodel import select

from activities.cases import write_status
from activities.definition import defn
from activities.voucher import load_case, merge_projection
from db import audit
from db import fund as fund_repo
from db.engine import session_scope
from db.models import Organization, TimelineEvent
from rules.calendar import SHANGHAI
from rules.errors import RuleViolation
from rules.fund import priority_reason
from rules.voucher import POLICIES, compute_voucher_amount, policy_in_force
from workflows.types import CaseStatusInput
from workflows.voucher_types import ApplyInput, FundOpInput, FundResult, reservation_view


def year_cap_fen(year: int) -> int:
    """The yearly per-enterprise cap of the policy in force in that year (003 art. 6; 000 二): the fund year's ledger
    is kept under it; an application of an older policy (a 2016 case reserved in 2017) is served only under its own
    policy's cap (its amount by `compute_voucher_amount`, its promotion by the ledger's per-application cap)."""
    return policy_in_force(on=date(year, 12, 31)).per_enterprise_year_cap_fen


@dataclass
class FundActivities:
    engine: Engine

    @defn(name="voucher_reserve_fund")
    def reserve(self, inp: ApplyInput) -> FundResult:
        """The amount (ratio, per-item cap, what is left of the yearly cap) and its reservation, atomically."""
        with session_scope(self.engine) as s:
            case = load_case(s, inp.case_id)
            held = fund_repo.state_of(s, case.id)
            if held is not None:  # a retry after the commit: the same answer, promotions included
                first = s.exec(select(TimelineEvent).where(TimelineEvent.key == f"{case.id}.fund.reserve")).first()
                after = (first.after or {}) if first is not None else {}
                return FundResult(state=held.state, amount_fen=held.amount_fen, year=held.year,
                                  promoted=list(after.get("promoted", [])), limited_by=list(after.get("limited_by", [])))
            org = s.get(Organization, case.applicant_org_id) if case.applicant_org_id else None
            if org is None:
                return FundResult(ok=False, reason="申请企业不存在")
            if org.blacklisted:
                return FundResult(ok=False, reason=f"{org.name}已记入不良信用档案，不得申领服务券：{org.blacklist_reason}")
            year = inp.at.astimezone(SHANGHAI).year
            policy = POLICIES[case.policy_version]
            try:
                fund_repo.lock_year(s, year=year, at=inp.at)  # the amount depends on the yearly cap: lock first
                used = fund_repo.enterprise_used_fen(s, year=year, enterprise_org_id=org.id or 0)
                amount = compute_voucher_amount(policy=policy, category=case.data["category"],
                                                contract_amount_fen=inp.contract_amount_fen, used_this_year_fen=used)
                if amount.exhausted:
                    return FundResult(ok=False, reason="本年度服务券额度已用完（每户每年上限）", limited_by=["yearly_cap"])
                # 003 art. 11(3): verified 专精特新 / credit A+ go first, under the version that has the rule only;
                # 000 六(二) (2017) is first come first served. Organization.specialized/credit_rating hold only
                # what the operator verified (priority_verification).
                first = policy.priority_first
                specialized, rating = (org.specialized, org.credit_rating) if first else (False, None)
                change = fund_repo.reserve(
                    s, year=year, case_id=case.id, enterprise_org_id=org.id or 0, amount_fen=amount.amount_fen,
                    specialized=specialized, credit_rating=rating, submitted_at=inp.at,
                    cap_fen=year_cap_fen(year), case_cap_fen=policy.per_enterprise_year_cap_fen, at=inp.at,
                    priority_reason=priority_reason(specialized=specialized, credit_rating=rating))
            except RuleViolation as exc:
                return FundResult(ok=False, reason=exc.message)
            audit.record(s, action="fund_" + change.state, at=inp.at, case_id=case.id,
                         message=("已预留服务券资金" if change.state == "reserved" else "资金不足，已进入候补名单")
                         + f"{amount.amount_fen / 100:.2f}元",
                         after={"amount_fen": amount.amount_fen, "limited_by": list(amount.limited_by),
                                "promoted": list(change.promoted)},
                         key=f"{case.id}.fund.reserve")
            for cid in change.promoted:  # this reservation left an earlier waiter cap-bound; the one behind fits
                audit.record(s, action="fund_promoted", at=inp.at, case_id=cid, message="候补申请已获资金预留",
                             key=f"{cid}.fund.promoted")
            got = FundResult(state=change.state, amount_fen=amount.amount_fen, limited_by=list(amount.limited_by),
                             year=year, promoted=list(change.promoted))
            if inp.voucher is not None:  # patch "voucher-reserve-projects": the projection in the same transaction
                merge_projection(case, {**inp.voucher, **reservation_view(got, inp.contract_amount_fen)}, inp.at)
                s.flush()
                if change.state == "waitlisted" and inp.waitlisted_message:
                    write_status(s, CaseStatusInput(case_id=case.id, status="waitlisted",
                                                    message=inp.waitlisted_message, at=inp.at))
            return got

    @defn(name="voucher_fund_op")
    def op(self, inp: FundOpInput) -> FundResult:
        """release | void | lapse | lower | settle | state; a repeated call after success reports the state it left.

        `lapse` releases a still-waitlisted application at the end of its fund year; a reservation that was
        promoted meanwhile is left as it is (the answer says `reserved`)."""
        with session_scope(self.engine) as s:
            held = fund_repo.state_of(s, inp.case_id)
            if held is None:
                return FundResult(ok=False, state="none", reason="no reservation")
            done = {"release": "released", "void": "voided", "settle": "settled", "lapse": "released"}.get(inp.op)
            if inp.op == "state" or held.state == done or (inp.op == "lower" and held.amount_fen == inp.amount_fen):
                return FundResult(state=held.state, amount_fen=held.amount_fen, year=held.year)
            cap = year_cap_fen(held.year)
            try:
                if inp.op in ("release", "void", "lapse"):
                    change = fund_repo.close(s, year=held.year, case_id=inp.case_id, cap_fen=cap, at=inp.at,
                                             as_state="voided" if inp.op == "void" else "released",
                                             only_waitlisted=inp.op == "lapse")
                elif inp.op == "lower":
                    change = fund_repo.lower(s, year=held.year, case_id=inp.case_id, amount_fen=inp.amount_fen or 0,
                                             cap_fen=cap, at=inp.at)
                elif inp.op == "settle":
                    change = fund_repo.settle(s, year=held.year, case_id=inp.case_id, settled_fen=inp.amount_fen or 0,
                                              cap_fen=cap, at=inp.at)
                else:
                    return FundResult(ok=False, reason=f"unknown fund operation {inp.op}")
            except RuleViolation as exc:
                now_held = fund_repo.state_of(s, inp.case_id)  # the state under the lock, not the one read before
                return FundResult(ok=False, state=now_held.state if now_held else held.state, amount_fen=held.amount_fen,
                                  year=held.year, reason=exc.message)
            audit.record(s, action=f"fund_{inp.op}", at=inp.at, case_id=inp.case_id,
                         message=f"服务券资金：{_LABEL[inp.op]}，退回资金{change.freed_fen / 100:.2f}元",
                         after={"state": change.state, "freed_fen": change.freed_fen,
                                "promoted": list(change.promoted)}, key=f"{inp.case_id}.fund.{inp.op}")
            for cid in change.promoted:
                audit.record(s, action="fund_promoted", at=inp.at, case_id=cid, message="候补申请已获资金预留",
                             key=f"{cid}.fund.promoted")
            return FundResult(state=change.state, amount_fen=held.amount_fen, year=held.year,
                              promoted=list(change.promoted), dropped=list(change.dropped))


_LABEL = {"release": "释放", "void": "作废", "lapse": "年度结束，候补申请失效", "lower": "核减", "settle": "结算"}
