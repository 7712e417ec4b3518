"""Properties of the fund ledger under random operations (003 art. 6, 11(3); 000 二, 六(二))."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from rules.fund import FreedResult, FundError, FundLedger, PriorityKey, WaitlistIncomplete

T0 = datetime(2024, 1, 1, tzinfo=UTC)
CASES = [f"c{i}" for i in range(12)]
ENTERPRISES = ["e0", "e1", "e2", "e3"]


def snapshot(fund: FundLedger) -> tuple[Any, ...]:
    """Everything a failed operation must leave untouched."""
    return (fund.total_fen, dict(fund.reservations), dict(fund.settled), dict(fund.waitlist), dict(fund.closed))


def check_invariants(fund: FundLedger) -> None:
    """reserved + settled ≤ total; per enterprise ≤ cap; each case in one state; nothing left to promote."""
    assert 0 <= fund.reserved_fen + fund.settled_fen <= fund.total_fen
    assert fund.remaining_fen == fund.total_fen - fund.reserved_fen - fund.settled_fen
    used: Counter[str] = Counter()
    settled_by: Counter[str] = Counter()
    for enterprise, amount in fund.reservations.values():
        used[enterprise] += amount
    for enterprise, amount in fund.settled.values():
        used[enterprise] += amount
        settled_by[enterprise] += amount
    assert all(v <= fund.per_enterprise_cap_fen for v in used.values())
    ids = [*fund.reservations, *fund.settled, *fund.waitlist, *fund.closed]
    assert len(ids) == len(set(ids))
    # Nobody waits who can never fit (they are dropped).
    for entry in fund.waitlist.values():
        assert entry.amount_fen <= fund.per_enterprise_cap_fen - settled_by[entry.enterprise]
        assert entry.amount_fen <= fund.total_fen - fund.settled_fen
    # Walking the queue in priority order, nobody fits before the first application the money cannot cover.
    for cid in fund.waitlist_order():
        entry = fund.waitlist[cid]
        if used[entry.enterprise] + entry.amount_fen > fund.per_enterprise_cap_fen:
            continue  # waits for its own enterprise, holds up nobody
        assert entry.amount_fen > fund.remaining_fen, f"{cid} fits but was left waiting"
        break


def head_of(fund: FundLedger, n: int, own: str) -> FundLedger:
    """A copy holding only the first `n` waiting applications and the operation's own case, as the database loads a
    long waitlist (issue 12)."""
    part = copy.deepcopy(fund)
    order = [cid for cid in part.waitlist_order() if cid != own]
    if len(order) > n:
        last = order[n - 1]
        part.waitlist_loaded_to = (part.waitlist[last].key, last)
        for cid in order[n:]:
            del part.waitlist[cid]
    return part


def outcome(fund: FundLedger, op: Any) -> Any:
    """What an operation returns, or the code of the FundError it raises (WaitlistIncomplete passes through)."""
    try:
        return op(fund)
    except WaitlistIncomplete:
        raise
    except FundError as error:
        return error.code


class LedgerMachine(RuleBasedStateMachine):
    """Random reserve/release/settle/void/set_total against a model of the money (003 art. 6, 11(3); 000 六(二))."""

    @initialize(total=st.integers(0, 600), cap=st.integers(100, 400))
    def start(self, total: int, cap: int) -> None:
        """A fresh year's fund."""
        self.fund = FundLedger(total_fen=total, per_enterprise_cap_fen=cap)
        self.granted = 0  # everything ever reserved
        self.freed = 0  # everything returned to the fund
        self.keys: dict[str, PriorityKey] = {}
        self.ever_reserved: set[str] = set()
        self.seq = 0

    def _record(self, result: FreedResult) -> None:
        """Account for freed money and promotions; promotions come in priority_key order."""
        self.freed += result.freed_fen
        if result.promoted:
            event("promoted" if len(result.promoted) == 1 else "promoted several")
        if result.dropped:
            event("dropped")
        promoted_keys = [self.keys[cid] for cid in result.promoted]
        assert promoted_keys == sorted(promoted_keys), "promotion order must follow priority_key"
        for cid in result.promoted:
            assert cid not in self.ever_reserved, "a case is promoted at most once"
            assert self.fund.state(case_id=cid) == "reserved"
            self.ever_reserved.add(cid)
            self.granted += self.fund.reservations[cid][1]
        for cid in result.dropped:
            assert self.fund.state(case_id=cid) == "dropped"
        # Strict order for the money: whoever still waits, not held back by its own enterprise's cap,
        # comes after everyone just promoted.
        if promoted_keys:
            used = Counter[str]()
            for enterprise, amount in (*self.fund.reservations.values(), *self.fund.settled.values()):
                used[enterprise] += amount
            for entry in self.fund.waitlist.values():
                if used[entry.enterprise] + entry.amount_fen <= self.fund.per_enterprise_cap_fen:
                    assert entry.key > max(promoted_keys), "a later application jumped the queue"

    def _seen(self) -> list[str]:
        """Cases the ledger has seen, in a stable order."""
        return sorted(self.keys)

    @rule(cid=st.sampled_from(CASES), enterprise=st.sampled_from(ENTERPRISES), amount=st.integers(1, 250),
          group=st.integers(0, 1), minute=st.integers(0, 5))
    def reserve(self, cid: str, enterprise: str, amount: int, group: int, minute: int) -> None:
        """Reserve or queue; a repeat returns the existing state; a refusal changes nothing."""
        self.seq += 1
        key = self.keys.get(cid, (group, T0 + timedelta(minutes=minute), self.seq))
        before = snapshot(self.fund)
        was = self.fund.state(case_id=cid)
        try:
            state, others = self.fund.admit(case_id=cid, enterprise=enterprise, amount_fen=amount, key=key)
        except FundError:
            assert snapshot(self.fund) == before
            return
        self.keys[cid] = key
        event(f"reserve: {state}")
        assert state == self.fund.state(case_id=cid)
        assert cid not in others.promoted and others.freed_fen == 0 and not others.dropped
        if was is not None:
            assert state == was and snapshot(self.fund) == before, "a repeated reserve changes nothing"
            assert not others.promoted
        elif state == "reserved":
            self.ever_reserved.add(cid)
            self.granted += amount
        if others.promoted:  # this reservation made an earlier waiter cap-bound; the ones behind it now fit
            event("reserve promoted others")
        self._record(others)

    @precondition(lambda self: bool(self.keys))
    @rule(index=st.integers(0, 50), void=st.booleans())
    def close(self, index: int, void: bool) -> None:
        """Release or void: an open case frees its reservation exactly once; anything else raises."""
        cid = self._seen()[index % len(self._seen())]
        was = self.fund.state(case_id=cid)
        held = self.fund.reservations.get(cid, ("", 0))[1]
        before = snapshot(self.fund)
        try:
            result = self.fund.void(case_id=cid) if void else self.fund.release(case_id=cid)
        except FundError as error:
            assert was not in ("reserved", "waitlisted") and error.code == "already_closed"
            assert snapshot(self.fund) == before
            return
        assert was in ("reserved", "waitlisted")
        assert result.freed_fen == held
        assert self.fund.state(case_id=cid) == ("voided" if void else "released")
        self._record(result)

    @precondition(lambda self: bool(self.keys))
    @rule(index=st.integers(0, 50), percent=st.integers(0, 101))
    def settle(self, index: int, percent: int) -> None:
        """Settle up to the reservation (101 % tries one fen too many); the rest returns to the fund."""
        cid = self._seen()[index % len(self._seen())]
        held = self.fund.reservations.get(cid, ("", 0))[1]
        amount = held * percent // 100 + (1 if percent > 100 else 0)
        before = snapshot(self.fund)
        try:
            result = self.fund.settle(case_id=cid, settled_fen=amount)
        except FundError:
            assert cid not in self.fund.reservations or amount > held
            assert snapshot(self.fund) == before
            return
        assert result.freed_fen == held - amount
        assert self.fund.settled[cid][1] == amount
        self._record(result)

    @rule(total=st.integers(0, 800))
    def set_total(self, total: int) -> None:
        """Change the year's fund; never below what is committed."""
        before = snapshot(self.fund)
        try:
            result = self.fund.set_total(total_fen=total)
        except FundError:
            assert total < self.fund.reserved_fen + self.fund.settled_fen and snapshot(self.fund) == before
            return
        self._record(result)

    @invariant()
    def invariants_hold(self) -> None:
        """Invariants and conservation: granted = reserved + settled + freed (each release counted once)."""
        if not hasattr(self, "fund"):
            return
        check_invariants(self.fund)
        assert self.granted == self.fund.reserved_fen + self.fund.settled_fen + self.freed


LedgerMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None, database=None)
TestLedgerMachine = LedgerMachine.TestCase


@settings(max_examples=100, deadline=None, database=None)
@given(amounts=st.lists(st.integers(1, 300), min_size=1, max_size=12), data=st.data())
def test_promotion_follows_priority_key(amounts: list[int], data: st.DataObject) -> None:
    """003 art. 11(3): when money frees up, waiting applications are served in priority_key order, none skipped."""
    fund = FundLedger(total_fen=300, per_enterprise_cap_fen=300)
    fund.reserve(case_id="blocker", enterprise="eb", amount_fen=300, key=(1, T0, 0))
    keys = {}
    for i, amount in enumerate(amounts):
        key = (data.draw(st.integers(0, 1)), T0 + timedelta(minutes=data.draw(st.integers(0, 3))), i + 1)
        keys[f"c{i}"] = key
        assert fund.reserve(case_id=f"c{i}", enterprise=f"e{i}", amount_fen=amount, key=key) == "waitlisted"
    order = fund.waitlist_order()
    assert order == sorted(keys, key=lambda cid: keys[cid])
    before = copy.deepcopy(fund.waitlist)
    result = fund.release(case_id="blocker")
    # The promoted ones are exactly the longest prefix of the queue whose running sum fits 300.
    prefix, running = [], 0
    for cid in order:
        if running + before[cid].amount_fen > 300:
            break
        prefix.append(cid)
        running += before[cid].amount_fen
    assert list(result.promoted) == prefix
    assert fund.waitlist_order() == order[len(prefix):]


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data())
def test_a_partial_waitlist_decides_as_the_whole_or_asks(data: st.DataObject) -> None:
    """Issue 12: given only the head of a long waitlist (as the database loads it), an operation either decides
    exactly as on the whole ledger or raises WaitlistIncomplete and changes nothing (the database then loads the
    whole waitlist)."""
    fund = FundLedger(total_fen=data.draw(st.integers(100, 800), "total"),
                      per_enterprise_cap_fen=data.draw(st.integers(100, 400), "cap"))
    enterprise = st.sampled_from(["e0", "e1", "e2", "e3", "e4"])
    for i in range(data.draw(st.integers(3, 25), "applications")):
        key = (data.draw(st.integers(0, 1)), T0 + timedelta(minutes=data.draw(st.integers(0, 5))), i)
        try:
            fund.admit(case_id=f"c{i}", enterprise=data.draw(enterprise), amount_fen=data.draw(st.integers(1, 250)),
                       key=key)
        except FundError:
            pass
        if data.draw(st.integers(0, 5)) == 0 and fund.reservations:
            cid = data.draw(st.sampled_from(sorted(fund.reservations)))
            fund.settle(case_id=cid, settled_fen=fund.reservations[cid][1] // 2)
    seen = sorted([*fund.reservations, *fund.waitlist]) or ["none"]
    cid = data.draw(st.sampled_from(seen), "case")
    amount = data.draw(st.integers(1, 900), "amount")
    held = fund.reservations.get(cid, ("", 1))[1]
    ops: dict[str, Any] = {
        "admit": None,
        "release": lambda f: f.release(case_id=cid),
        "void": lambda f: f.void(case_id=cid),
        "settle": lambda f: f.settle(case_id=cid, settled_fen=min(amount, held)),
        "lower": lambda f: f.lower(case_id=cid, amount_fen=min(amount, held)),
        "total": lambda f: f.set_total(total_fen=amount),
    }
    kind = data.draw(st.sampled_from(sorted(ops)), "operation")
    head = data.draw(st.integers(1, 4), "head")
    whole, part = copy.deepcopy(fund), head_of(fund, head, own=cid)
    before = snapshot(part)
    op = ops[kind]
    if kind == "admit":  # one draw for both ledgers
        args = dict(enterprise=data.draw(enterprise), amount_fen=min(amount, 250),
                    key=(data.draw(st.integers(0, 1)), T0 + timedelta(minutes=3), 99))
        op = lambda f: f.admit(case_id="new", **args)  # noqa: E731
    expected = outcome(whole, op)
    try:
        got = outcome(part, op)
    except WaitlistIncomplete:
        event(f"{kind}: asks for the whole waitlist")
        assert snapshot(part) == before
        return
    event(f"{kind}: decides on a truncated waitlist" if part.waitlist_loaded_to else f"{kind}: decides")
    assert got == expected
    assert (part.total_fen, part.reservations, part.settled, part.closed) == (
        whole.total_fen, whole.reservations, whole.settled, whole.closed)
    assert all(whole.waitlist.get(c) == e for c, e in part.waitlist.items())
