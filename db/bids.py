"""Voucher demands and their bids: the queries behind the bid endpoints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlmodel import Session, col, select

from db import deadlines
from db.models import Bid, Case, Deadline, Document, Organization


def bidding_deadline(session: Session, case_id: str) -> Deadline | None:
    return deadlines.deadline(session, case_id, "bidding")


def for_case(session: Session, case_id: str) -> Sequence[Bid]:
    return session.exec(select(Bid).where(Bid.case_id == case_id).order_by(col(Bid.id))).all()


def by_provider(session: Session, org_id: int) -> Sequence[Bid]:
    return session.exec(select(Bid).where(Bid.provider_org_id == org_id).order_by(col(Bid.id).desc())).all()


def open_demands(session: Session, *, categories: Sequence[str] | None) -> Sequence[Case]:
    """Voucher demands open for bidding, in the given categories (None: all)."""
    rows = session.exec(select(Case).where(Case.type == "voucher", Case.status == "bidding")
                        .order_by(col(Case.created_at).desc())).all()
    return [c for c in rows if categories is None or c.data.get("category") in categories]


def may_bid_on(org: Organization | None, case: Case) -> bool:
    """Only signed providers of the demand's category, not blacklisted, see and bid on it (000 五.3)."""
    return (org is not None and org.kind == "provider" and org.signed and not org.blacklisted
            and case.data.get("category") in org.categories)


def provider_ratings(session: Session, org_id: int) -> dict[str, int]:
    """How the provider's past voucher services were rated: counts per satisfaction."""
    ids = [b.case_id for b in session.exec(select(Bid).where(Bid.provider_org_id == org_id, Bid.status == "chosen"))]
    counts: Counter[str] = Counter()
    if ids:
        for case in session.exec(select(Case).where(col(Case.id).in_(ids))):
            rating = case.result.get("voucher", {}).get("satisfaction")
            if rating:
                counts[rating] += 1
    return dict(counts)


def provider_completed(session: Session, org_id: int) -> int:
    """How many voucher services the provider has completed (won and settled)."""
    ids = [b.case_id for b in session.exec(select(Bid).where(Bid.provider_org_id == org_id, Bid.status == "chosen"))]
    if not ids:
        return 0
    return len(session.exec(select(Case.id).where(col(Case.id).in_(ids), Case.status == "settled")).all())


def open_voucher_for_item(session: Session, *, org_id: int, category: str, excluding: str | None = None) -> Case | None:
    """One voucher per service item (000 二: 单个服务项目仅限使用一次服务补贴券; 003 art. 6 only caps the amount per
    item): an open voucher case of the same enterprise and category (other than `excluding`, a case being corrected)."""
    rows = session.exec(select(Case).where(Case.type == "voucher", Case.applicant_org_id == org_id,
                                           col(Case.closed_at).is_(None))).all()
    return next((c for c in rows if c.data.get("category") == category and c.id != excluding), None)


def reports(session: Session) -> Sequence[Document]:
    """The monthly voucher statistics reports, newest first."""
    return session.exec(select(Document).where(Document.kind == "monthly_voucher_statistics")
                        .order_by(col(Document.created_at).desc())).all()
