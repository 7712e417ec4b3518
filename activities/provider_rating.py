"""The providers' star rating's I/O (003 art. 11(2)): the proposal from the year's vouchers, the operator's changes,
the result taking effect, and the 公示's content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import audit
from db.models import Bid, Case, Organization
from db.users import unsign_provider
from documents import content
from processes.spec import WorkerContext, WorkerParts
from rules.calendar import SHANGHAI
from rules.provider_rating import ADJUSTMENT_ZH, Rating, RatingError, ServiceRecord, override, rank, rate
from workflows.provider_rating_types import RatingCount, RatingStep
from workflows.types import DraftDocumentInput

CONTACT = ("自治区中小企业服务中心", "96168")


def _records(s: Session, year: int) -> list[ServiceRecord]:
    """Every signed provider's vouchers of the year (by the voucher case's creation, Shanghai year)."""
    providers = list(s.exec(select(Organization).where(Organization.kind == "provider",
                                                       Organization.signed == True)))  # noqa: E712
    chosen = list(s.exec(select(Bid).where(Bid.status == "chosen")))
    cases = {c.id: c for c in s.exec(select(Case).where(col(Case.id).in_([b.case_id for b in chosen])))} if chosen \
        else {}
    by_org: dict[int, dict[str, int]] = {}
    for bid in chosen:
        case = cases.get(bid.case_id)
        if case is None or case.created_at.astimezone(SHANGHAI).year != year:
            continue
        v = case.result.get("voucher") or {}
        counts = by_org.setdefault(bid.provider_org_id, {})
        if v.get("satisfaction") in ("satisfied", "basic", "unsatisfied"):
            counts[v["satisfaction"]] = counts.get(v["satisfaction"], 0) + 1
        if v.get("adjustment_reason"):
            counts["lowered"] = counts.get("lowered", 0) + 1
        if v.get("status") == "void":
            counts["voided"] = counts.get("voided", 0) + 1
    return [ServiceRecord(org_id=o.id, name=o.name, **by_org.get(o.id, {})) for o in providers if o.id is not None]


def _json(r: Rating) -> dict[str, Any]:
    return {"org_id": r.org_id, "name": r.name, "stars": r.stars,
            "score_pct": None if r.score_pct is None else f"{float(r.score_pct):.1f}",
            "adjustment": r.adjustment, "adjustment_label": ADJUSTMENT_ZH[r.adjustment], "reason": r.reason}


def _rating(d: dict[str, Any]) -> Rating:
    score = d.get("score_pct")
    return Rating(int(d["org_id"]), str(d["name"]), d.get("stars"), None if score is None else Fraction(score),
                  d["adjustment"], str(d.get("reason", "")))


@dataclass
class ProviderRatingActivities:
    engine: Engine

    @defn(name="propose_provider_rating")
    def propose_provider_rating(self, inp: RatingStep) -> RatingCount:
        """The proposal from the year's vouchers (003 art. 11(2)); computed once (a retry keeps the first)."""
        from db.engine import session_scope

        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            if "proposal" not in case.result:
                ranked = rank([rate(r) for r in _records(s, int(case.data["year"]))])
                case.result = {**case.result, "proposal": [_json(r) for r in ranked],
                               "ranking": [_json(r) for r in ranked]}
                audit.record(s, action="rating_proposed", at=inp.at, case_id=case.id,
                             message=f"依据服务券满意度评价和审核结果拟定{len(ranked)}家签约服务机构的评级排名",
                             key=f"{case.id}.proposed")
            return RatingCount(providers=len(case.result["proposal"]))

    @defn(name="revise_provider_rating")
    def revise_provider_rating(self, inp: RatingStep) -> None:
        """The ranking the department reviews: the proposal with the operator's changes (each with its reason)."""
        from db.engine import session_scope

        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            rows = []
            for d in case.result.get("proposal", []):
                r = _rating(d)
                change = inp.changes.get(str(r.org_id))
                if change:
                    try:
                        r = override(r, stars=change.get("stars"), adjustment=str(change.get("adjustment", "")),
                                     reason=str(change.get("reason", "")))
                    except RatingError as exc:
                        raise ApplicationError(exc.message, type="RuleViolation") from None
                rows.append(r)
            case.result = {**case.result, "ranking": [_json(r) for r in rank(rows)]}

    @defn(name="apply_provider_rating")
    def apply_provider_rating(self, inp: RatingStep) -> None:
        """After the 公示: the stars take effect; a removal ends the signed status (idempotent by its keys)."""
        from db.engine import session_scope

        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            year = int(case.data["year"])
            for d in case.result.get("ranking", []):
                org = s.get(Organization, int(d["org_id"]))
                if org is None:
                    continue
                if org.star_year != year or org.star_rating != d.get("stars"):
                    org.star_rating, org.star_year = d.get("stars"), year
                if d["adjustment"] == "remove":
                    unsign_provider(s, org.id or 0, reason=f"{year}年度服务机构评级排名：{d.get('reason', '')}",
                                    at=inp.at, actor="system", key=f"{case.id}.remove.{org.id}", case_id=case.id)
            audit.record(s, action="rating_published", at=inp.at, case_id=case.id,
                         message=f"{year}年度服务机构评级排名和动态调整结果生效", key=f"{case.id}.applied")


def _notice(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    p, day = inp.params, inp.at.astimezone(SHANGHAI).date()
    rows = [[str(i), d["name"], f"{d['stars']}星" if d.get("stars") else "未评星", d["adjustment_label"]]
            for i, d in enumerate(case.result.get("ranking", []), start=1)]
    return content.public_notice(
        number=1, year=day.year, issued_on=day,
        subject=f"{case.data['year']}年度小微企业服务补贴券签约服务机构评级排名和动态调整结果",
        basis="《宁夏回族自治区小微企业服务补贴券业务管理暂行办法》（宁非公经发〔2016〕73号）第十一条",
        procedure="经运营单位依据服务情况审核结果和企业满意度评价提出建议、自治区非公有制经济服务局审核",
        headers=["排名", "服务机构", "星级", "动态调整"], rows=rows, starts_on=date.fromisoformat(p["starts_on"]),
        ends_on=date.fromisoformat(p["ends_on"]), working_days=p.get("working_days"),
        contact_name=CONTACT[0], contact_phone=CONTACT[1])


def worker_parts(ctx: WorkerContext) -> WorkerParts:
    acts = ProviderRatingActivities(engine=ctx.engine)
    return WorkerParts(activities=[acts.propose_provider_rating, acts.revise_provider_rating,
                                   acts.apply_provider_rating], builders={"public_notice": _notice})
