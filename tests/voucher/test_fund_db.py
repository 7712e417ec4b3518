"""The fund in the database on SQLite and PostgreSQL: atomic, idempotent per case, released once, never over
the fund or an enterprise's yearly cap under concurrency (003 art. 6, 11(3); 000 二, 六(二))."""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from db import fund
from db.engine import session_scope
from db.models import Case
from rules.fund import FundError

pytestmark = pytest.mark.pg
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CAP = 1_000_000  # 10,000 CNY (000 二)


def new_year() -> int:
    return random.randint(3000, 9_000_000)


def cases(engine: Engine, n: int) -> list[str]:
    ids = [f"VC-T-{uuid.uuid4().hex[:10]}" for _ in range(n)]
    with session_scope(engine) as s:
        for cid in ids:
            s.add(Case(id=cid, type="voucher", status="submitted", created_at=T0, updated_at=T0))
    return ids


def reserve(engine: Engine, year: int, cid: str, org: int, amount: int, *, at: datetime = T0,
            specialized: bool = False) -> fund.FundChange:
    with session_scope(engine) as s:
        return fund.reserve(s, year=year, case_id=cid, enterprise_org_id=org, amount_fen=amount,
                            specialized=specialized, credit_rating=None, submitted_at=at, cap_fen=CAP, at=at)


def summary(engine: Engine, year: int) -> dict:
    with session_scope(engine) as s:
        return fund.summary(s, year=year)


def set_total(engine: Engine, year: int, total: int) -> None:
    with session_scope(engine) as s:
        fund.set_total(s, year=year, total_fen=total, cap_fen=CAP, actor="admin", at=T0)


class TestReserve:
    def test_reservation_reports_whom_it_promoted(self, engine: Engine) -> None:
        """003 art. 11(3) / 000 六(二): org 1's second application waits for money and holds up org 2's behind it;
        org 1's verified-priority third is served first, so the second can no longer fit org 1's yearly cap (003
        art. 6) and stops holding up the queue: org 2's is served, the reservation reports it (its case is told)."""
        year = new_year()
        set_total(engine, year, 624_000)
        first, second, behind, third = cases(engine, 4)
        assert reserve(engine, year, first, 1, 400_000).state == "reserved"
        assert reserve(engine, year, second, 1, 600_000, at=T0 + timedelta(minutes=1)).state == "waitlisted"
        assert reserve(engine, year, behind, 2, 1_000, at=T0 + timedelta(minutes=2)).state == "waitlisted"
        change = reserve(engine, year, third, 1, 10_000, at=T0 + timedelta(minutes=3), specialized=True)
        assert (change.state, change.promoted, change.dropped) == ("reserved", (behind,), ())
        with session_scope(engine) as s:
            assert fund.state_of(s, behind).state == "reserved"
            assert fund.state_of(s, second).state == "waitlisted"

    def test_default_total_is_five_million_yuan(self, engine: Engine) -> None:
        year = new_year()
        assert summary(engine, year)["total_fen"] == 500_000_000
        (cid,) = cases(engine, 1)
        assert reserve(engine, year, cid, 1, 500_000).state == "reserved"
        assert summary(engine, year)["remaining_fen"] == 499_500_000

    def test_same_case_twice_reserves_once(self, engine: Engine) -> None:
        year = new_year()
        (cid,) = cases(engine, 1)
        reserve(engine, year, cid, 1, 300_000)
        assert reserve(engine, year, cid, 1, 300_000).state == "reserved"
        assert summary(engine, year)["reserved_fen"] == 300_000

    def test_waitlist_is_promoted_by_a_release_exactly_once(self, engine: Engine) -> None:
        year = new_year()
        set_total(engine, year, 800_000)
        a, b = cases(engine, 2)
        assert reserve(engine, year, a, 1, 500_000).state == "reserved"
        assert reserve(engine, year, b, 2, 500_000, at=T0 + timedelta(seconds=1)).state == "waitlisted"
        assert [w["case_id"] for w in summary(engine, year)["waitlist"]] == [b]
        with session_scope(engine) as s:
            change = fund.close(s, year=year, case_id=a, as_state="released", cap_fen=CAP, at=T0)
        assert change.promoted == (b,) and change.freed_fen == 500_000
        with pytest.raises(FundError), session_scope(engine) as s:
            fund.close(s, year=year, case_id=a, as_state="released", cap_fen=CAP, at=T0)
        got = summary(engine, year)
        assert got["reserved_fen"] == 500_000 and got["waitlist"] == []

    def test_settling_below_the_reservation_frees_the_difference(self, engine: Engine) -> None:
        year = new_year()
        set_total(engine, year, 600_000)
        a, b = cases(engine, 2)
        reserve(engine, year, a, 1, 500_000)
        assert reserve(engine, year, b, 2, 200_000, at=T0 + timedelta(seconds=1)).state == "waitlisted"
        with session_scope(engine) as s:
            change = fund.settle(s, year=year, case_id=a, settled_fen=350_000, cap_fen=CAP, at=T0)
        assert change.promoted == (b,)
        got = summary(engine, year)
        assert (got["settled_fen"], got["reserved_fen"], got["remaining_fen"]) == (350_000, 200_000, 50_000)

    def test_total_cannot_fall_below_what_is_committed(self, engine: Engine) -> None:
        year = new_year()
        (a,) = cases(engine, 1)
        reserve(engine, year, a, 1, 500_000)
        with pytest.raises(FundError):
            set_total(engine, year, 400_000)


class TestConcurrency:
    def test_rush_never_exceeds_the_fund_or_a_cap(self, engine: Engine) -> None:
        """003 art. 11(3): first come first served until the fund is spent; 000 二 yearly cap per enterprise."""
        year = new_year()
        set_total(engine, year, 5_000_000)
        ids = cases(engine, 60)
        plan = [(cid, i % 12 + 1, 400_000) for i, cid in enumerate(ids)]

        def go(item: tuple[str, int, int]) -> str:
            cid, org, amount = item
            try:
                return reserve(engine, year, cid, org, amount).state
            except FundError as exc:
                return exc.code

        with ThreadPoolExecutor(max_workers=12) as pool:
            states = list(pool.map(go, plan))
        got = summary(engine, year)
        assert states.count("reserved") == 12  # 12 x 400,000 = 4.8M of 5M
        assert got["reserved_fen"] + got["settled_fen"] <= got["total_fen"]
        assert got["reserved_fen"] == 12 * 400_000
        with session_scope(engine) as s:
            for org in range(1, 13):
                assert fund.enterprise_used_fen(s, year=year, enterprise_org_id=org) <= CAP

        reserved = [cid for cid, st in zip(ids, states, strict=True) if st == "reserved"]

        def release(cid: str) -> int:
            with session_scope(engine) as s:
                return len(fund.close(s, year=year, case_id=cid, as_state="released", cap_fen=CAP, at=T0).promoted)

        with ThreadPoolExecutor(max_workers=12) as pool:
            promoted = sum(pool.map(release, reserved[:6]))
        got = summary(engine, year)
        assert promoted == 6 and got["reserved_fen"] == 12 * 400_000
        with session_scope(engine) as s:
            for org in range(1, 13):
                assert fund.enterprise_used_fen(s, year=year, enterprise_org_id=org) <= CAP


class TestPriority:
    def test_specialized_enterprise_is_served_first_from_the_waitlist(self, engine: Engine) -> None:
        """003 art. 11(3): 专精特新 and credit-A-or-better enterprises go first, then first come first served."""
        year = new_year()
        set_total(engine, year, 500_000)
        a, b, c = cases(engine, 3)
        reserve(engine, year, a, 1, 500_000)
        assert reserve(engine, year, b, 2, 400_000, at=T0 + timedelta(seconds=1)).state == "waitlisted"
        assert reserve(engine, year, c, 3, 400_000, at=T0 + timedelta(seconds=2), specialized=True).state == "waitlisted"
        assert [w["case_id"] for w in summary(engine, year)["waitlist"]] == [c, b]
        with session_scope(engine) as s:
            change = fund.close(s, year=year, case_id=a, as_state="voided", cap_fen=CAP, at=T0)
        assert change.promoted == (c,)


class TestAmountUnderTheLock:
    def test_one_enterprise_applying_concurrently_never_exceeds_its_yearly_cap(self, engine: Engine) -> None:
        """000 二: ≤ 10,000 CNY per enterprise per year, however many applications arrive at once."""
        from activities.fund import FundActivities
        from db.models import Organization
        from workflows.voucher_types import ApplyInput

        with session_scope(engine) as s:
            org = Organization(kind="enterprise", name=f"并发{uuid.uuid4().hex[:6]}", size="small", created_at=T0)
            s.add(org)
            s.flush()
            org_id = org.id
        ids = cases(engine, 6)
        with session_scope(engine) as s:
            for cid in ids:
                case = s.get(Case, cid)
                case.applicant_org_id, case.policy_version = org_id, "2017"
                case.data = {"category": "credit", "title": "信用评价"}
        acts = FundActivities(engine=engine)
        year = random.randint(5000, 9999)
        at = datetime(year, 5, 6, 2, 0, tzinfo=UTC)

        def go(cid: str) -> tuple[bool, int]:
            got = acts.reserve(ApplyInput(case_id=cid, contract_amount_fen=700_000, at=at))
            return got.ok, got.amount_fen

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(go, ids))
        granted = sorted(amount for ok, amount in results if ok)
        assert granted == [300_000, 350_000, 350_000]  # 50 % of 7,000 CNY twice, then what is left of the cap
        assert sum(1 for ok, _ in results if not ok) == 3
        with session_scope(engine) as s:
            assert fund.enterprise_used_fen(s, year=year, enterprise_org_id=org_id or 0) == CAP


@pytest.mark.parametrize("head", [1, 3, None])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_database_follows_the_whole_ledger_step_by_step(engine: Engine, seed: int, head: int | None,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12: a change reads the head of the waitlist (`head` applications; None: the module's default) and its
    own case one by one and every other reservation and payout as sums (per enterprise where a cap is checked, one
    sum for the rest), and the whole waitlist only when serving reaches past that head. A random run of reservations,
    releases, voids, lowerings, payouts and new totals leaves every case where rules.fund's ledger, holding every case
    one by one, leaves it."""
    from rules.fund import FundLedger, priority_key

    if head is not None:
        monkeypatch.setattr(fund, "WAITLIST_HEAD", head)
    rnd = random.Random(seed)
    year = new_year()
    set_total(engine, year, 2_000_000)
    ledger = FundLedger(total_fen=2_000_000, per_enterprise_cap_fen=CAP)
    ids = cases(engine, 40)
    seq = 0
    for step in range(120):
        at = T0 + timedelta(minutes=step)
        op = rnd.choice(["reserve"] * 4 + ["release", "void", "lower", "settle", "total"])
        known = [c for c in ids if ledger.state(case_id=c) in ("reserved", "waitlisted")]
        expected: object
        if op == "reserve":
            cid = rnd.choice(ids)
            org, amount, special = rnd.randint(1, 10), rnd.choice([100_000, 300_000, 500_000, 900_000]), rnd.random() < .2
            if ledger.state(case_id=cid) is None:
                seq += 1
            try:
                expected = ledger.admit(case_id=cid, enterprise=str(org), amount_fen=amount, key=priority_key(
                    specialized=special, credit_rating=None, submitted_at=at, seq=seq))[0]
            except FundError as exc:
                expected = exc.code
            try:
                got: object = reserve(engine, year, cid, org, amount, at=at, specialized=special).state
            except FundError as exc:
                got = exc.code
            if expected == "reservation_conflict":  # the database answers a repeated case with its state
                continue
        elif op in ("release", "void") and known:
            cid = rnd.choice(known)
            (ledger.release if op == "release" else ledger.void)(case_id=cid)
            expected = "released" if op == "release" else "voided"
            with session_scope(engine) as s:
                got = fund.close(s, year=year, case_id=cid, as_state=expected, cap_fen=CAP, at=at).state
        elif op in ("lower", "settle") and known:
            reserved = [c for c in known if ledger.state(case_id=c) == "reserved"]
            if not reserved:
                continue
            cid = rnd.choice(reserved)
            _who, held = ledger.reservations[cid]
            if op == "lower":
                new = max(held // 2, 1)
                ledger.lower(case_id=cid, amount_fen=new)
                with session_scope(engine) as s:
                    got = fund.lower(s, year=year, case_id=cid, amount_fen=new, cap_fen=CAP, at=at).state
                expected = "reserved"
            else:
                ledger.settle(case_id=cid, settled_fen=held - 1_000)
                with session_scope(engine) as s:
                    got = fund.settle(s, year=year, case_id=cid, settled_fen=held - 1_000, cap_fen=CAP, at=at).state
                expected = "settled"
        elif op == "total":
            total = ledger.reserved_fen + ledger.settled_fen + rnd.choice([0, 200_000, 1_000_000])
            ledger.set_total(total_fen=total)
            set_total(engine, year, total)
            continue
        else:
            continue
        assert got == expected, (step, op)
        with session_scope(engine) as s:
            states = {c: (r.state if (r := fund.state_of(s, c)) else None) for c in ids}
        assert states == {c: ledger.state(case_id=c) for c in ids}, (step, op)


def test_the_year_is_locked_once_per_transaction_and_again_in_the_next(engine: Engine) -> None:
    """The reservation locks the year before it computes the amount and reserves after: the second lock in the same
    transaction is the row already held (no statement); the next transaction locks again and sees a new total."""
    from sqlalchemy import event

    year = new_year()
    set_total(engine, year, 500_000)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session_scope(engine) as s:
            first = fund.lock_year(s, year=year, at=T0)
            count = len(statements)
            assert fund.lock_year(s, year=year, at=T0) is first and len(statements) == count
        set_total(engine, year, 700_000)
        with session_scope(engine) as s:
            assert fund.lock_year(s, year=year, at=T0).total_fen == 700_000
            assert len(statements) > count
    finally:
        event.remove(engine, "before_cursor_execute", seen)
