"""Voucher demands and their bids: the queries behind the bid endpoints."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
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
    """How the provider's past voucher services were rated: counts per satisfaction.

    Counted in the database (one grouped query): the bid comparison asks this for every bid, and loading each won
    case's row into Python made a page of a provider with 2,000 won vouchers cost ~0.35 s per bid."""
    rating = col(Case.result)[("voucher", "satisfaction")].as_string()
    rows = session.exec(select(rating, func.count()).select_from(Bid).join(Case, col(Case.id) == col(Bid.case_id))
                        .where(Bid.provider_org_id == org_id, Bid.status == "chosen", rating.is_not(None))
                        .group_by(rating)).all()
    return {str(r): int(n) for r, n in rows if r}


def provider_completed(session: Session, org_id: int) -> int:
    """How many voucher services the provider has completed (won and settled): one count in the database."""
    return int(session.exec(select(func.count()).select_from(Bid).join(Case, col(Case.id) == col(Bid.case_id))
                            .where(Bid.provider_org_id == org_id, Bid.status == "chosen",
                                   Case.status == "settled")).one())


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
