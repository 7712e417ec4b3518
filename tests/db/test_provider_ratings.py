"""The bid comparison's provider figures (db/bids.py): counted in the database, one statement whatever the number of
vouchers the provider has won (issue 12: a provider with thousands of won vouchers made every bid listing slow)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from db import bids
from db.engine import session_scope
from db.models import Bid, Case, Organization

pytestmark = pytest.mark.pg

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _provider_with(engine: Engine, cases: list[tuple[str, str, str | None]]) -> int:
    """A provider and its bids: (bid status, case status, satisfaction) each on a case of its own."""
    with session_scope(engine) as s:
        org = Organization(kind="provider", name=f"评分测试{uuid.uuid4().hex[:6]}", created_at=NOW)
        s.add(org)
        s.flush()
        for bid_status, case_status, satisfaction in cases:
            cid = f"VC-T{uuid.uuid4().hex[:10]}"
            voucher: dict[str, Any] = {"status": case_status}
            if satisfaction is not None:
                voucher["satisfaction"] = satisfaction
            s.add(Case(id=cid, type="voucher", status=case_status, result={"voucher": voucher}, created_at=NOW,
                       updated_at=NOW))
            s.flush()
            s.add(Bid(case_id=cid, provider_org_id=org.id or 0, provider_name=org.name, amount_fen=600_000,
                      status=bid_status, created_at=NOW))
        return org.id or 0


def _count_statements(engine: Engine, fn: Any) -> tuple[Any, int]:
    seen: list[str] = []

    def count(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as s:
            out = fn(s)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return out, len(seen)


def test_ratings_and_completed_count_only_won_cases(engine: Engine) -> None:
    org = _provider_with(engine, [
        ("chosen", "settled", "satisfied"), ("chosen", "settled", "satisfied"), ("chosen", "settled", "basic"),
        ("chosen", "in_service", None), ("chosen", "void", "unsatisfied"),
        ("not_chosen", "settled", "unsatisfied"), ("submitted", "bidding", None),
    ])
    with Session(engine) as s:
        assert bids.provider_ratings(s, org) == {"satisfied": 2, "basic": 1, "unsatisfied": 1}
        assert bids.provider_completed(s, org) == 3
        assert bids.provider_ratings(s, org + 100_000) == {} and bids.provider_completed(s, org + 100_000) == 0


def test_one_statement_whatever_the_number_of_won_vouchers(engine: Engine) -> None:
    few = _provider_with(engine, [("chosen", "settled", "satisfied")] * 2)
    many = _provider_with(engine, [("chosen", "settled", "satisfied")] * 40)
    for org, won in ((few, 2), (many, 40)):
        ratings, n = _count_statements(engine, lambda s, o=org: bids.provider_ratings(s, o))
        assert ratings == {"satisfied": won} and n == 1
        completed, n = _count_statements(engine, lambda s, o=org: bids.provider_completed(s, o))
        assert completed == won and n == 1
