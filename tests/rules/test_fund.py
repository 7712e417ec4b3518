"""The voucher fund's order and ledger (003 art. 6, 11(3); 000 二, 六(二)), scenario by scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from rules.fund import (
    FreedResult,
    FundError,
    FundLedger,
    PriorityKey,
    WaitEntry,
    WaitlistIncomplete,
    credit_grade,
    has_priority,
    priority_key,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))


def key(minutes: int = 0, *, specialized: bool = False, rating: str | None = None, seq: int = 0) -> PriorityKey:
    """A priority key submitted `minutes` after T0."""
    return priority_key(specialized=specialized, credit_rating=rating, submitted_at=T0 + timedelta(minutes=minutes),
                        seq=seq)


def ledger(total: int = 1_000, cap: int = 500) -> FundLedger:
    """A small fund: 1,000 fen, 500 fen per enterprise."""
    return FundLedger(total_fen=total, per_enterprise_cap_fen=cap)


class TestPriorityKey:
    """专精特新 or credit A and above first, then first come first served, then seq (003 art. 11(3); 000 六)."""

    @pytest.mark.parametrize(
        ("specialized", "rating", "first"),
        [
            (True, None, True),
            (False, "AAA", True),
            (False, "AA", True),
            (False, "A", True),
            (False, "AA+", True),
            (False, "A-", True),
            (False, " a ", True),
            (False, "BBB", False),
            (False, "BB", False),
            (False, "C", False),
            (False, None, False),
            (True, "C", True),
        ],
    )
    def test_priority_group(self, specialized: bool, rating: str | None, first: bool) -> None:
        """003 art. 11(3): "专精特新" and "信用评级达到A级以上" apply first."""
        assert has_priority(specialized=specialized, credit_rating=rating) is first
        assert (key(specialized=specialized, rating=rating)[0] == 0) is first

    def test_priority_beats_time(self) -> None:
        """003 art. 11(3): a later priority application goes before an earlier ordinary one."""
        assert key(60, specialized=True) < key(0)
        assert key(60, rating="A") < key(0, rating="BBB")

    def test_first_come_first_served(self) -> None:
        """000 六(二): 按申报的先后顺序领取."""
        assert key(0) < key(1) and key(0, rating="AA") < key(1, specialized=True)

    def test_seq_breaks_ties(self) -> None:
        """Same group and instant: the submission sequence number decides."""
        assert key(0, seq=1) < key(0, seq=2)

    def test_time_zones_compare_as_instants(self) -> None:
        """An Asia/Shanghai timestamp and its UTC instant are the same place in the queue."""
        local = priority_key(specialized=False, credit_rating=None, submitted_at=T0.astimezone(SHANGHAI), seq=0)
        assert local == key(0)

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"submitted_at": datetime(2024, 3, 1, 9, 0)}, "naive_datetime"),
            ({"credit_rating": "Z"}, "unknown_credit_rating"),
            ({"credit_rating": ""}, "unknown_credit_rating"),
            ({"seq": -1}, "invalid_seq"),
        ],
    )
    def test_refused(self, kwargs: dict[str, object], code: str) -> None:
        """Naive times, unknown ratings and negative seq are refused."""
        args: dict[str, object] = {"specialized": False, "credit_rating": None, "submitted_at": T0, "seq": 0} | kwargs
        with pytest.raises(FundError) as info:
            priority_key(**args)  # type: ignore[arg-type]
        assert info.value.code == code

    def test_grade(self) -> None:
        """Modifiers keep the grade: AA+ is AA."""
        assert credit_grade("aa+") == "AA"


class TestReserve:
    """Reserve while the fund and the enterprise's yearly cap allow, else queue (000 六(二); 003 art. 6)."""

    def test_reserved_then_waitlisted(self) -> None:
        """至当期服务券发完为止: the first that fits is reserved, the one that does not waits."""
        fund = ledger()
        assert fund.reserve(case_id="c1", enterprise="e1", amount_fen=500, key=key(0)) == "reserved"
        assert fund.reserve(case_id="c2", enterprise="e2", amount_fen=400, key=key(1)) == "reserved"
        assert fund.reserve(case_id="c3", enterprise="e3", amount_fen=200, key=key(2)) == "waitlisted"
        assert (fund.reserved_fen, fund.settled_fen, fund.remaining_fen) == (900, 0, 100)
        assert fund.waitlist_order() == ["c3"]

    def test_exact_fit(self) -> None:
        """Boundary: an amount equal to what is left is reserved."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=500, key=key(0))
        assert fund.reserve(case_id="c2", enterprise="e2", amount_fen=500, key=key(1)) == "reserved"
        assert fund.remaining_fen == 0

    def test_idempotent(self) -> None:
        """A second reserve of the same case returns its state and changes nothing."""
        fund = ledger()
        assert fund.reserve(case_id="c1", enterprise="e1", amount_fen=500, key=key(0)) == "reserved"
        assert fund.reserve(case_id="c1", enterprise="e1", amount_fen=500, key=key(0)) == "reserved"
        fund.reserve(case_id="c2", enterprise="e2", amount_fen=500, key=key(1))
        fund.reserve(case_id="c3", enterprise="e3", amount_fen=100, key=key(2))
        assert fund.reserve(case_id="c3", enterprise="e3", amount_fen=100, key=key(2)) == "waitlisted"
        assert fund.reserved_fen == 1_000 and len(fund.waitlist) == 1

    def test_conflicting_repeat(self) -> None:
        """The same case with another amount is a bug, not a retry."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=500, key=key(0))
        with pytest.raises(FundError) as info:
            fund.reserve(case_id="c1", enterprise="e1", amount_fen=400, key=key(0))
        assert info.value.code == "reservation_conflict"

    def test_no_queue_jumping(self) -> None:
        """000 六(二): a later small application waits behind an earlier one that does not fit yet."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=500, key=key(0))
        fund.reserve(case_id="c2", enterprise="e2", amount_fen=400, key=key(1))
        fund.reserve(case_id="c3", enterprise="e3", amount_fen=200, key=key(2))
        assert fund.reserve(case_id="c4", enterprise="e4", amount_fen=100, key=key(3)) == "waitlisted"

    def test_priority_may_take_what_is_left(self) -> None:
        """003 art. 11(3): a priority application ahead of the waiting head takes money that fits."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=500, key=key(0))
        fund.reserve(case_id="c2", enterprise="e2", amount_fen=400, key=key(1))
        fund.reserve(case_id="c3", enterprise="e3", amount_fen=200, key=key(2))
        assert fund.reserve(case_id="c4", enterprise="e4", amount_fen=100, key=key(3, specialized=True)) == "reserved"

    def test_enterprise_cap_waits_without_blocking(self) -> None:
        """003 art. 6 / 000 二: over its yearly cap an application waits, but others still pass."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=300, key=key(0))
        assert fund.reserve(case_id="c2", enterprise="e1", amount_fen=300, key=key(1)) == "waitlisted"
        assert fund.reserve(case_id="c3", enterprise="e2", amount_fen=300, key=key(2)) == "reserved"
        assert fund.enterprise_used_fen(enterprise="e1") == 300

    def test_reservation_that_caps_an_earlier_waiter_promotes_the_one_behind(self) -> None:
        """003 art. 11(3) / 000 六(二) with 003 art. 6: c2 (e1) waits for money and holds up c3 behind it; once e1's
        new c4 is reserved, c2 can no longer fit e1's yearly cap, stops holding up the queue, and c3 is served —
        and `admit` reports the promotion so c3's case is told (found by the property test)."""
        fund = ledger(total=233, cap=373)
        assert fund.reserve(case_id="c1", enterprise="e1", amount_fen=140, key=key(0, seq=1)) == "reserved"
        assert fund.reserve(case_id="c2", enterprise="e1", amount_fen=233, key=key(1, seq=2)) == "waitlisted"
        assert fund.reserve(case_id="c3", enterprise="e0", amount_fen=1, key=key(1, seq=3)) == "waitlisted"
        state, others = fund.admit(case_id="c4", enterprise="e1", amount_fen=1, key=key(0, seq=4))
        assert state == "reserved"
        assert others == FreedResult(freed_fen=0, promoted=("c3",))
        assert fund.state(case_id="c3") == "reserved" and fund.state(case_id="c2") == "waitlisted"

    def test_repeated_admit_reports_nothing_new(self) -> None:
        """A repeat of the same reservation promotes nobody."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=300, key=key(0))
        assert fund.admit(case_id="c1", enterprise="e1", amount_fen=300, key=key(0)) == ("reserved",
                                                                                        FreedResult(freed_fen=0))

    @pytest.mark.parametrize(
        ("amount", "code"),
        [(501, "exceeds_enterprise_cap"), (0, "invalid_amount_fen"), (-1, "invalid_amount_fen")],
    )
    def test_refused(self, amount: int, code: str) -> None:
        """An amount above the yearly cap can never fit; amounts are positive fen."""
        with pytest.raises(FundError) as info:
            ledger().reserve(case_id="c1", enterprise="e1", amount_fen=amount, key=key(0))
        assert info.value.code == code

    def test_refused_when_settled_money_leaves_too_little(self) -> None:
        """Settled money never comes back: above total − settled is refused (000 六(二))."""
        fund = ledger(total=600)
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=300, key=key(0))
        fund.settle(case_id="c1", settled_fen=300)
        with pytest.raises(FundError) as info:
            fund.reserve(case_id="c2", enterprise="e2", amount_fen=301, key=key(1))
        assert info.value.code == "exceeds_fund"
        assert fund.reserve(case_id="c3", enterprise="e2", amount_fen=300, key=key(2)) == "reserved"

    def test_closed_case_cannot_reserve_again(self) -> None:
        """A released case stays closed."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=100, key=key(0))
        fund.release(case_id="c1")
        with pytest.raises(FundError) as info:
            fund.reserve(case_id="c1", enterprise="e1", amount_fen=100, key=key(0))
        assert info.value.code == "case_closed"


def full_fund() -> FundLedger:
    """1,000 fen fully reserved by c1 (e1, 500) and c2 (e2, 500); c3 (e3, 300) and c4 (e4, 200) waiting."""
    fund = ledger()
    fund.reserve(case_id="c1", enterprise="e1", amount_fen=500, key=key(0))
    fund.reserve(case_id="c2", enterprise="e2", amount_fen=500, key=key(1))
    fund.reserve(case_id="c3", enterprise="e3", amount_fen=300, key=key(2))
    fund.reserve(case_id="c4", enterprise="e4", amount_fen=200, key=key(3))
    return fund


class TestRelease:
    """Released money returns to the fund exactly once and promotes the queue in order (003 art. 11(3))."""

    def test_promotes_in_order(self) -> None:
        """Freed money goes to the waiting applications in priority order while they fit."""
        fund = full_fund()
        assert fund.release(case_id="c1") == FreedResult(500, ("c3", "c4"))
        assert fund.state(case_id="c1") == "released"
        assert fund.remaining_fen == 0 and not fund.waitlist

    def test_head_blocks_when_it_does_not_fit(self) -> None:
        """000 六(二): nobody behind the head takes the money first."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=200, key=key(0))
        fund.reserve(case_id="c2", enterprise="e2", amount_fen=500, key=key(1))
        fund.reserve(case_id="c3", enterprise="e3", amount_fen=300, key=key(2))
        fund.reserve(case_id="c4", enterprise="e4", amount_fen=500, key=key(3))
        fund.reserve(case_id="c5", enterprise="e5", amount_fen=100, key=key(4))
        assert fund.release(case_id="c1") == FreedResult(200, ())
        assert fund.waitlist_order() == ["c4", "c5"] and fund.remaining_fen == 200

    def test_withdrawn_head_unblocks(self) -> None:
        """Withdrawing a waiting head frees nothing but lets the next one in."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=500, key=key(0))
        fund.reserve(case_id="c2", enterprise="e2", amount_fen=300, key=key(1))
        fund.reserve(case_id="c3", enterprise="e3", amount_fen=300, key=key(2))
        fund.reserve(case_id="c4", enterprise="e4", amount_fen=200, key=key(3))
        assert fund.release(case_id="c3") == FreedResult(0, ("c4",))

    def test_priority_promoted_first(self) -> None:
        """003 art. 11(3): a later priority application is promoted before earlier ordinary ones."""
        fund = full_fund()
        fund.reserve(case_id="c5", enterprise="e5", amount_fen=500, key=key(9, rating="AAA"))
        assert fund.release(case_id="c2") == FreedResult(500, ("c5",))
        assert fund.waitlist_order() == ["c3", "c4"]

    def test_exactly_once(self) -> None:
        """A second release raises and frees nothing."""
        fund = full_fund()
        fund.release(case_id="c1")
        with pytest.raises(FundError) as info:
            fund.release(case_id="c1")
        assert info.value.code == "already_closed"
        assert fund.reserved_fen == 1_000

    def test_unknown(self) -> None:
        """A case the ledger never saw cannot be released."""
        with pytest.raises(FundError) as info:
            ledger().release(case_id="nope")
        assert info.value.code == "unknown_case"

    def test_enterprise_waits_for_its_own_release(self) -> None:
        """003 art. 6: a waiting application of e1 fits once e1's other reservation is released."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=300, key=key(0))
        fund.reserve(case_id="c2", enterprise="e1", amount_fen=300, key=key(1))
        assert fund.release(case_id="c1") == FreedResult(300, ("c2",))


class TestSettle:
    """Settled ≤ reserved; the difference returns to the fund (003 art. 10, 11(1))."""

    def test_full(self) -> None:
        """Settled at the reserved amount: nothing returns."""
        fund = full_fund()
        assert fund.settle(case_id="c1", settled_fen=500) == FreedResult(0, ())
        assert (fund.settled_fen, fund.reserved_fen, fund.state(case_id="c1")) == (500, 500, "settled")

    def test_lowered_returns_the_difference(self) -> None:
        """A lowered settlement frees the rest and promotes."""
        fund = full_fund()
        assert fund.settle(case_id="c1", settled_fen=200) == FreedResult(300, ("c3",))
        assert fund.remaining_fen == 0 and fund.waitlist_order() == ["c4"]

    def test_zero(self) -> None:
        """Boundary: settling 0 fen frees everything."""
        fund = full_fund()
        assert fund.settle(case_id="c2", settled_fen=0).freed_fen == 500

    @pytest.mark.parametrize(("case_id", "amount", "code"), [
        ("c1", 501, "settled_above_reserved"),
        ("c1", -1, "invalid_settled_fen"),
        ("c3", 100, "not_reserved"),
        ("zz", 100, "unknown_case"),
    ])
    def test_refused(self, case_id: str, amount: int, code: str) -> None:
        """Only a reserved case settles, and never above its reservation."""
        with pytest.raises(FundError) as info:
            full_fund().settle(case_id=case_id, settled_fen=amount)
        assert info.value.code == code

    def test_settle_once(self) -> None:
        """A settled case cannot be settled, released or voided again."""
        fund = full_fund()
        fund.settle(case_id="c1", settled_fen=500)
        for op in (lambda: fund.settle(case_id="c1", settled_fen=1), lambda: fund.release(case_id="c1"),
                   lambda: fund.void(case_id="c1")):
            with pytest.raises(FundError) as info:
                op()
            assert info.value.code == "already_closed"

    def test_sibling_settlement_drops_what_can_never_fit(self) -> None:
        """003 art. 6: once e1 has settled 300 of its 500 cap, its waiting 300 can never fit: dropped."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=300, key=key(0))
        fund.reserve(case_id="c2", enterprise="e1", amount_fen=300, key=key(1))
        assert fund.settle(case_id="c1", settled_fen=300) == FreedResult(0, (), ("c2",))
        assert fund.state(case_id="c2") == "dropped"

    def test_lowered_sibling_settlement_promotes(self) -> None:
        """Settled lower, e1's waiting application fits under its cap."""
        fund = ledger()
        fund.reserve(case_id="c1", enterprise="e1", amount_fen=300, key=key(0))
        fund.reserve(case_id="c2", enterprise="e1", amount_fen=300, key=key(1))
        assert fund.settle(case_id="c1", settled_fen=200) == FreedResult(100, ("c2",))


class TestVoid:
    """A void voucher's money returns to the fund (003 art. 11(1), (3); DOMAIN.md P1 expiry)."""

    def test_void_reserved(self) -> None:
        """Voiding a reservation frees it and promotes."""
        fund = full_fund()
        assert fund.void(case_id="c2") == FreedResult(500, ("c3", "c4"))
        assert fund.state(case_id="c2") == "voided"

    def test_void_waitlisted(self) -> None:
        """Voiding a waiting application just removes it."""
        fund = full_fund()
        assert fund.void(case_id="c4") == FreedResult(0, ())
        assert fund.waitlist_order() == ["c3"]

    def test_void_twice(self) -> None:
        """Exactly once."""
        fund = full_fund()
        fund.void(case_id="c2")
        with pytest.raises(FundError):
            fund.void(case_id="c2")


class TestTotalAndState:
    """The year's fund is configurable (DOMAIN.md P1; ARCHITECTURE.md PUT /api/admin/budget/{year})."""

    def test_raise_total_promotes(self) -> None:
        """More money serves the queue in order."""
        fund = full_fund()
        assert fund.set_total(total_fen=1_300) == FreedResult(0, ("c3",))
        assert fund.set_total(total_fen=1_500) == FreedResult(0, ("c4",))

    def test_total_below_committed(self) -> None:
        """The total cannot fall below reserved + settled."""
        with pytest.raises(FundError) as info:
            full_fund().set_total(total_fen=999)
        assert info.value.code == "total_below_committed"

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"reservations": {"a": ("e1", 600), "b": ("e2", 600)}},
            {"reservations": {"a": ("e1", 300)}, "settled": {"b": ("e1", 300)}},
            {"reservations": {"a": ("e1", 100)}, "closed": {"a": "released"}},
            {"total_fen": -1},
            {"per_enterprise_cap_fen": 0},
        ],
    )
    def test_inconsistent_start_refused(self, kwargs: dict[str, object]) -> None:
        """A ledger loaded from the database must already satisfy the invariants."""
        args: dict[str, object] = {"total_fen": 1_000, "per_enterprise_cap_fen": 500} | kwargs
        with pytest.raises(FundError):
            FundLedger(**args)  # type: ignore[arg-type]

    def test_state_of_unknown(self) -> None:
        """The ledger has never seen the case."""
        assert ledger().state(case_id="x") is None

    def test_2017_scale(self) -> None:
        """000 六(二): 5,000,000 CNY at ≤ 10,000 CNY per enterprise serves at least 500 enterprises."""
        fund = FundLedger(total_fen=500_000_000, per_enterprise_cap_fen=1_000_000)
        states = [fund.reserve(case_id=f"c{i}", enterprise=f"e{i}", amount_fen=1_000_000, key=key(i))
                  for i in range(501)]
        assert states.count("reserved") == 500 and states[-1] == "waitlisted" and fund.remaining_fen == 0


class TestPartialWaitlist:
    """Issue 12: the database gives the ledger only the head of a long waitlist (`waitlist_loaded_to`). An operation
    that stops serving inside that head decides exactly as with the whole waitlist; one that would look past it, or
    that changes what can never fit, raises WaitlistIncomplete and changes nothing."""

    @staticmethod
    def whole() -> FundLedger:
        """1,000 fen, all reserved (a: 400, b: 600); five 300-fen applications wait, w0 first."""
        fund = ledger(total=1_000, cap=1_000)
        fund.reserve(case_id="a", enterprise="ea", amount_fen=400, key=key(0))
        fund.reserve(case_id="b", enterprise="eb", amount_fen=600, key=key(1))
        for i in range(5):
            assert fund.reserve(case_id=f"w{i}", enterprise=f"e{i}", amount_fen=300, key=key(10 + i)) == "waitlisted"
        return fund

    @classmethod
    def head(cls, n: int) -> FundLedger:
        """The same year as the database loads it: the first `n` waiting applications only."""
        fund = cls.whole()
        order = fund.waitlist_order()
        for cid in order[n:]:
            del fund.waitlist[cid]
        last = order[n - 1]
        fund.waitlist_loaded_to = (fund.waitlist[last].key, last)
        return fund

    def test_a_new_application_behind_the_head_waits_without_the_rest(self) -> None:
        fund = self.head(2)
        assert fund.admit(case_id="n", enterprise="en", amount_fen=300, key=key(60)) == (
            "waitlisted", FreedResult(freed_fen=0))

    def test_a_release_the_head_covers_promotes_as_the_whole_list_does(self) -> None:
        whole, head = self.whole(), self.head(2)
        assert head.release(case_id="a") == whole.release(case_id="a") == FreedResult(freed_fen=400, promoted=("w0",))

    def test_serving_past_the_head_asks_for_the_whole_list_and_changes_nothing(self) -> None:
        fund = self.head(2)
        before = (dict(fund.reservations), dict(fund.waitlist), dict(fund.closed))
        with pytest.raises(WaitlistIncomplete) as info:
            fund.release(case_id="b")  # 600 fen serve w0 and w1, and w2 might fit too
        assert info.value.code == "waitlist_incomplete"
        assert (fund.reservations, fund.waitlist, fund.closed) == before
        assert self.whole().release(case_id="b").promoted == ("w0", "w1")

    def test_a_new_priority_application_inside_the_head_is_served_in_its_place(self) -> None:
        whole, head = self.whole(), self.head(2)
        whole.release(case_id="a")
        head.release(case_id="a")
        got = head.admit(case_id="p", enterprise="ep", amount_fen=100, key=key(99, specialized=True))
        assert got == whole.admit(case_id="p", enterprise="ep", amount_fen=100, key=key(99, specialized=True))
        assert got[0] == "reserved"

    def test_a_new_application_reaching_past_the_head_asks_and_is_not_kept(self) -> None:
        """The loaded head waits only for its own enterprise's cap, so it does not stop the queue: who is behind it
        is unknown, and the new application may not be served before them."""
        fund = FundLedger(total_fen=1_000, per_enterprise_cap_fen=500, reservations={"a": ("e0", 500)},
                          waitlist={"w0": WaitEntry(enterprise="e0", amount_fen=300, key=key(10))},
                          waitlist_loaded_to=(key(10), "w0"))
        with pytest.raises(WaitlistIncomplete):
            fund.admit(case_id="n", enterprise="en", amount_fen=100, key=key(60))
        assert fund.state(case_id="n") is None and list(fund.waitlist) == ["w0"]

    @pytest.mark.parametrize("change", ["settle", "lower total"])
    def test_what_can_change_what_never_fits_needs_the_whole_list(self, change: str) -> None:
        fund = self.head(2)
        with pytest.raises(WaitlistIncomplete):
            if change == "settle":
                fund.settle(case_id="a", settled_fen=400)
            else:
                fund.set_total(total_fen=999)
        assert fund.state(case_id="a") == "reserved" and fund.total_fen == 1_000

    def test_a_raised_total_needs_only_the_head(self) -> None:
        assert self.head(3).set_total(total_fen=1_300).promoted == ("w0",)

    def test_lowering_returns_the_difference_and_promotes(self) -> None:
        whole, head = self.whole(), self.head(2)
        assert head.lower(case_id="b", amount_fen=300) == whole.lower(case_id="b", amount_fen=300) == FreedResult(
            freed_fen=300, promoted=("w0",))
        with pytest.raises(FundError) as info:
            whole.lower(case_id="b", amount_fen=301)
        assert info.value.code == "amount_raised"
