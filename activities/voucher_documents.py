"""Gathering a voucher case's data for its documents: the voucher, the three-party contract, the settlement."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from db import voucher_policy
from db.models import Case
from documents import content
from processes.spec import WorkerContext, WorkerParts
from rules.calendar import SHANGHAI
from rules.voucher import CATEGORIES, POLICIES, policy_in_force, voucher_valid_until
from workflows.types import DraftDocumentInput


def _common(case: Case) -> dict[str, Any]:
    v = case.result.get("voucher", {})
    return {"enterprise_name": case.applicant, "provider_name": v.get("provider_name", ""),
            "service_item": case.data.get("title", ""), "contract_amount_fen": int(v["contract_amount_fen"]),
            "voucher_amount_fen": int(v["amount_fen"]) if v.get("amount_fen") is not None else None}


def voucher_certificate(_s: Session, case: Case, _inp: DraftDocumentInput) -> Any:
    v = case.result["voucher"]
    return content.voucher_certificate(
        voucher_no=v["voucher_no"], category=CATEGORIES.get(case.data["category"], case.data["category"]),
        issued_on=date.fromisoformat(v["issued_on"]), valid_until=date.fromisoformat(v["valid_until"]),
        policy_title=POLICIES[case.policy_version].title, **_common(case))


def three_party_contract(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    """After the voucher (2017: 000 五.6), or before the application under 2016 (003 art. 9(一)): then it has no
    voucher yet, is dated the day it is drafted and runs for the version's validity."""
    v = case.result["voucher"]
    if v.get("voucher_no"):
        signed_on, perform_until = date.fromisoformat(v["issued_on"]), date.fromisoformat(v["valid_until"])
    else:
        signed_on = inp.at.astimezone(SHANGHAI).date()
        perform_until = voucher_valid_until(policy=voucher_policy.effective(s, case.policy_version)[0],
                                            issued_on=signed_on)
    return content.three_party_contract(
        contract_no=v["contract_no"], category=CATEGORIES.get(case.data["category"], case.data["category"]),
        service_content=case.data.get("description") or case.data.get("title", ""), policy=case.policy_version,
        policy_title=POLICIES[case.policy_version].title, signed_on=signed_on,
        perform_until=perform_until, voucher_no=v.get("voucher_no"), **_common(case))


def settlement_statement(_s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    v = case.result["voucher"]
    return content.settlement_statement(
        statement_no=f"{v['voucher_no']}-JS", voucher_no=v["voucher_no"], contract_no=v["contract_no"],
        settled_fen=int(v["settled_fen"]),
        satisfaction=content.SATISFACTION_LABELS.get(v.get("satisfaction", ""), v.get("satisfaction", "")),
        settled_on=inp.at.astimezone(SHANGHAI).date(), adjustment_reason=v.get("adjustment_reason") or None,
        supervision_fee_fen=v.get("supervision_fee_fen"), policy=case.policy_version, **_common(case))


def voucher_void_decision(_s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    """Drafted at any stage: before issue there is no voucher number, before the award no provider."""
    v = case.result.get("voucher", {})
    day = inp.at.astimezone(SHANGHAI).date()
    amount = v.get("amount_fen")
    return content.voucher_void_decision(
        number=1, year=day.year, issued_on=day, voucher_no=v.get("voucher_no"), enterprise_name=case.applicant,
        provider_name=v.get("provider_name") or None, service_item=case.data.get("title", ""),
        voucher_amount_fen=int(amount) if amount else None, reason=str(inp.params.get("reason") or "弄虚作假"),
        # the operating unit's power (003 art. 11(1)); the department's own decision only when it voided the voucher
        issuer="department" if inp.params.get("by") == "department" else "operator",
        policy=case.policy_version or policy_in_force(on=case.created_at.astimezone(SHANGHAI).date()).code)


VOUCHER_BUILDERS = {
    "voucher_certificate": voucher_certificate,
    "three_party_contract": three_party_contract,
    "settlement_statement": settlement_statement,
    "voucher_void_decision": voucher_void_decision,
}


def worker_parts(ctx: WorkerContext) -> WorkerParts:
    """The voucher process's activities (case, fund, monthly statistics) and its document builders."""
    from activities.fund import FundActivities
    from activities.voucher import VoucherActivities
    from activities.voucher_statistics import StatisticsActivities

    voucher, fund = VoucherActivities(engine=ctx.engine), FundActivities(engine=ctx.engine)
    stats = StatisticsActivities(engine=ctx.engine, store=ctx.documents_dir)
    return WorkerParts(
        activities=[voucher.start, voucher.open_bidding, voucher.close_bidding, voucher.choose_bid, voucher.issue,
                    voucher.project, voucher.void_case, fund.reserve, fund.op, stats.next_report_at, stats.draft,
                    voucher.confirm_category],
        builders=dict(VOUCHER_BUILDERS),
    )
