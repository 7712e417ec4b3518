"""The voucher fund: who goes first, and a pure ledger of reservations (003 art. 11(3); 000 六(二))."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from rules.errors import RuleViolation

# (0 = 专精特新 or credit A and above, 1 = the others; submission time in UTC; submission sequence number)
PriorityKey = tuple[int, datetime, int]
ReserveState = Literal["reserved", "waitlisted"]
CaseState = Literal["reserved", "waitlisted", "settled", "released", "voided", "dropped"]

# 小微企业信用评级 grades, best first; "A级以上" = AAA, AA and A (a +/- modifier keeps the grade).
CREDIT_GRADES: tuple[str, ...] = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D")
PRIORITY_GRADES: frozenset[str] = frozenset({"AAA", "AA", "A"})


class FundError(RuleViolation):
    """A fund rule is broken, or a ledger operation does not fit the case's state (a ValueError with a code)."""


class WaitlistIncomplete(FundError):
    """The ledger holds only the head of the waitlist, and the operation needs to see past it (issue 12)."""

    def __init__(self, message: str) -> None:
        super().__init__("waitlist_incomplete", message)


def credit_grade(rating: str) -> str:
    """The grade of a credit rating such as "AA+" → "AA"; unknown ratings are refused (003 art. 11(3))."""
    grade = rating.strip().upper().rstrip("+-")
    if grade not in CREDIT_GRADES:
        raise FundError("unknown_credit_rating", f"unknown credit rating {rating!r}; expected one of "
                        f"{', '.join(CREDIT_GRADES)} (optionally with + or -)")
    return grade


def has_priority(*, specialized: bool, credit_rating: str | None) -> bool:
    """专精特新 enterprises and those rated A or above apply first (003 art. 11(3))."""
    return specialized or (credit_rating is not None and credit_grade(credit_rating) in PRIORITY_GRADES)


def priority_reason(*, specialized: bool, credit_rating: str | None) -> str | None:
    """Why an application goes first, in words for the fund page, or None (003 art. 11(3)); verified flags only."""
    reasons = []
    if specialized:
        reasons.append("自治区“专精特新”中小企业")
    if credit_rating is not None and credit_grade(credit_rating) in PRIORITY_GRADES:
        reasons.append(f"小微企业信用评级{credit_rating.strip().upper()}（A级以上）")
    return "；".join(reasons) + "（已核验，2016年办法第十一条第（三）项）" if reasons else None


def priority_key(*, specialized: bool, credit_rating: str | None, submitted_at: datetime, seq: int) -> PriorityKey:
    """Sort key: priority group, then first come first served by submission time, then seq (003 art. 11(3); 000 六)."""
    if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
        raise FundError("naive_datetime", "submitted_at must carry a time zone")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise FundError("invalid_seq", f"seq must be a non-negative integer, got {seq!r}")
    group = 0 if has_priority(specialized=specialized, credit_rating=credit_rating) else 1
    return (group, submitted_at.astimezone(UTC), seq)


@dataclass(frozen=True)
class WaitEntry:
    """An application waiting for the fund: its enterprise, amount and place in the queue."""

    enterprise: str
    amount_fen: int
    key: PriorityKey
    # The yearly cap of the policy the application runs under (003 art. 6: 5,000 元; 000 二: 10,000 元), when it is
    # below the ledger's (the fund year's policy): the application is served only while its enterprise stays under it.
    cap_fen: int | None = None


@dataclass(frozen=True)
class FreedResult:
    """What an operation returned to the fund and which waiting applications it promoted or dropped, in order."""

    freed_fen: int
    promoted: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()


def _amount(value: object, *, name: str, allow_zero: bool = False) -> int:
    """Integer fen (bools refused), positive unless zero is allowed."""
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if allow_zero else 1):
        raise FundError(f"invalid_{name}", f"{name} must be a {'non-negative' if allow_zero else 'positive'} "
                        f"integer number of fen, got {value!r}")
    return value


@dataclass
class FundLedger:
    """One year's voucher fund, in memory; the database mirrors the same rules (003 art. 6, 11(3); 000 二, 六).

    Invariants: reserved + settled ≤ total; for each enterprise, its reserved + settled ≤ the yearly cap.
    Order: the waitlist is served strictly by priority_key for the fund's money: when the first waiting application
    does not fit the remaining money, nobody behind it is served (no jumping the queue with a smaller amount).
    An application blocked only by its own enterprise's cap (its other vouchers still reserved) is skipped and
    does not hold up the others. One that can never fit — above its enterprise's cap minus what that enterprise
    has already settled, or above the total minus everything settled — is refused by reserve() and, if it turns
    so while waiting, dropped from the waitlist and reported in FreedResult.dropped (its case is then closed).
    Each case is released, voided, dropped or settled exactly once; a second attempt raises FundError.

    The waitlist may be given only in part (`waitlist_loaded_to`, issue 12: a year's waitlist can hold thousands):
    its head in serving order up to and including that (key, case id); nobody behind it is in `waitlist`. Serving
    stops at the first waiting application the money does not cover, so an operation that stops before the end of
    the head needs nothing more. One that would serve past it, or that changes what can never fit (a payout, a lower
    total), raises WaitlistIncomplete before changing anything, and the caller gives the whole waitlist.
    """

    total_fen: int
    per_enterprise_cap_fen: int
    reservations: dict[str, tuple[str, int]] = field(default_factory=dict)
    settled: dict[str, tuple[str, int]] = field(default_factory=dict)
    waitlist: dict[str, WaitEntry] = field(default_factory=dict)
    closed: dict[str, CaseState] = field(default_factory=dict)
    waitlist_loaded_to: tuple[PriorityKey, str] | None = None  # None: `waitlist` holds every waiting application

    def __post_init__(self) -> None:
        """Refuse a starting state (e.g. loaded from the database) that already breaks the invariants."""
        _amount(self.total_fen, name="total_fen", allow_zero=True)
        _amount(self.per_enterprise_cap_fen, name="per_enterprise_cap_fen")
        ids = [*self.reservations, *self.settled, *self.waitlist, *self.closed]
        if len(ids) != len(set(ids)):
            raise FundError("ledger_inconsistent", "a case appears in more than one state")
        if self.reserved_fen + self.settled_fen > self.total_fen:
            raise FundError("ledger_inconsistent", "reserved + settled exceeds the total")
        if any(used > self.per_enterprise_cap_fen for used in self._used_by_enterprise().values()):
            raise FundError("ledger_inconsistent", "an enterprise exceeds its yearly cap")

    # ---- reading

    @property
    def reserved_fen(self) -> int:
        """Money held for issued or issuing vouchers."""
        return sum(amount for _, amount in self.reservations.values())

    @property
    def settled_fen(self) -> int:
        """Money paid out; it never returns to the fund."""
        return sum(amount for _, amount in self.settled.values())

    @property
    def remaining_fen(self) -> int:
        """Money neither reserved nor settled."""
        return self.total_fen - self.reserved_fen - self.settled_fen

    def _used_by_enterprise(self) -> dict[str, int]:
        """Reserved + settled per enterprise."""
        used: dict[str, int] = defaultdict(int)
        for enterprise, amount in (*self.reservations.values(), *self.settled.values()):
            used[enterprise] += amount
        return used

    def enterprise_used_fen(self, *, enterprise: str) -> int:
        """An enterprise's reserved + settled money this year, against its cap (003 art. 6; 000 二)."""
        return self._used_by_enterprise().get(enterprise, 0)

    def _enterprise_settled_fen(self, enterprise: str) -> int:
        """An enterprise's settled money: the part of its cap that never comes back."""
        return sum(amount for e, amount in self.settled.values() if e == enterprise)

    def state(self, *, case_id: str) -> CaseState | None:
        """Where a case stands in the ledger, or None if the ledger has never seen it."""
        if case_id in self.reservations:
            return "reserved"
        if case_id in self.waitlist:
            return "waitlisted"
        if case_id in self.settled:
            return "settled"
        return self.closed.get(case_id)

    def waitlist_order(self) -> list[str]:
        """Waiting case ids in the order they will be served."""
        return sorted(self.waitlist, key=lambda cid: (self.waitlist[cid].key, cid))

    # ---- changing

    def reserve(self, *, case_id: str, enterprise: str, amount_fen: int, key: PriorityKey,
                cap_fen: int | None = None) -> ReserveState:
        """The state `admit` gives the case (use `admit` where the other waiting cases' fate matters)."""
        return self.admit(case_id=case_id, enterprise=enterprise, amount_fen=amount_fen, key=key, cap_fen=cap_fen)[0]

    def admit(self, *, case_id: str, enterprise: str, amount_fen: int, key: PriorityKey,
              cap_fen: int | None = None) -> tuple[ReserveState, FreedResult]:
        """Hold money for a voucher application, or queue it; repeating the same call returns the state it has.
        `cap_fen`: the yearly cap of the application's own policy when it is below the ledger's.

        A new reservation can promote others (003 art. 11(3), 000 六(二)): once this enterprise's waiting application
        no longer fits under its yearly cap, it stops holding up the queue, and whoever is behind it and fits is
        served. Those promotions come back in the FreedResult (freed_fen 0), so their cases are told.
        """
        amount = _amount(amount_fen, name="amount_fen")
        current = self.state(case_id=case_id)
        if current == "reserved" or current == "waitlisted":
            waiting = self.waitlist.get(case_id)
            held = self.reservations[case_id] if waiting is None else (waiting.enterprise, waiting.amount_fen)
            if held != (enterprise, amount):
                raise FundError("reservation_conflict", f"case {case_id} is already {current} for {held[0]} "
                                f"with {held[1]} fen")
            return current, FreedResult(freed_fen=0)
        if current is not None:
            raise FundError("case_closed", f"case {case_id} is already {current}")
        entry = WaitEntry(enterprise=enterprise, amount_fen=amount, key=key, cap_fen=cap_fen)
        why = self._never_fits(entry)
        if why is not None:
            raise FundError(why[0], why[1])
        with self._undone_if_incomplete():
            self.waitlist[case_id] = entry
            moved = self._rebalance()
        others = FreedResult(freed_fen=0, promoted=tuple(c for c in moved.promoted if c != case_id),
                             dropped=moved.dropped)
        return ("reserved" if case_id in self.reservations else "waitlisted"), others

    def release(self, *, case_id: str) -> FreedResult:
        """Give a reservation's money back (or withdraw a waiting application), exactly once, and promote."""
        return self._close(case_id=case_id, as_state="released")

    def void(self, *, case_id: str) -> FreedResult:
        """Void a voucher (expired, collusion, falsification) so its money returns to the fund (003 art. 11(1), (3))."""
        return self._close(case_id=case_id, as_state="voided")

    def settle(self, *, case_id: str, settled_fen: int) -> FreedResult:
        """Pay out a reserved voucher; settled ≤ reserved, and the difference returns to the fund (003 art. 10)."""
        settled = _amount(settled_fen, name="settled_fen", allow_zero=True)
        self._require_open(case_id)
        self._require_whole_waitlist("a payout changes what can never fit")
        if case_id not in self.reservations:
            raise FundError("not_reserved", f"case {case_id} is waitlisted; only a reserved voucher can be settled")
        enterprise, reserved = self.reservations[case_id]
        if settled > reserved:
            raise FundError("settled_above_reserved", f"settled {settled} fen exceeds the reserved {reserved} fen")
        del self.reservations[case_id]
        self.settled[case_id] = (enterprise, settled)
        return self._rebalance(freed_fen=reserved - settled)

    def set_total(self, *, total_fen: int) -> FreedResult:
        """Change the year's fund (admin); it cannot fall below what is reserved and settled."""
        total = _amount(total_fen, name="total_fen", allow_zero=True)
        if total < self.total_fen:
            self._require_whole_waitlist("a lower total changes what can never fit")
        if total < self.reserved_fen + self.settled_fen:
            raise FundError("total_below_committed", f"total {total} fen is below the reserved and settled "
                            f"{self.reserved_fen + self.settled_fen} fen")
        with self._undone_if_incomplete():
            self.total_fen = total
            return self._rebalance()

    def lower(self, *, case_id: str, amount_fen: int) -> FreedResult:
        """Lower a reservation (the first review fixes the usable amount, 003 art. 9(2)); the difference returns to the
        fund and whoever now fits is promoted."""
        amount = _amount(amount_fen, name="amount_fen")
        self._require_open(case_id)
        if case_id not in self.reservations:
            raise FundError("not_reserved", f"case {case_id} holds no reservation to lower")
        enterprise, reserved = self.reservations[case_id]
        if amount > reserved:
            raise FundError("amount_raised", f"{amount} fen is not a lowering of {reserved} fen")
        with self._undone_if_incomplete():
            self.reservations[case_id] = (enterprise, amount)
            return self._rebalance(freed_fen=reserved - amount)

    # ---- internals

    @contextmanager
    def _undone_if_incomplete(self) -> Iterator[None]:
        """With a partial waitlist, put the ledger back as it was when the operation raises WaitlistIncomplete."""
        if self.waitlist_loaded_to is None:
            yield
            return
        before = (self.total_fen, dict(self.reservations), dict(self.waitlist), dict(self.closed))
        try:
            yield
        except WaitlistIncomplete:
            self.total_fen, self.reservations, self.waitlist, self.closed = before
            raise

    def _require_whole_waitlist(self, why: str) -> None:
        if self.waitlist_loaded_to is not None:
            raise WaitlistIncomplete(f"{why}: the whole waitlist is needed")

    def _require_open(self, case_id: str) -> None:
        """Raise unless the case is reserved or waitlisted."""
        current = self.state(case_id=case_id)
        if current is None:
            raise FundError("unknown_case", f"case {case_id} is not in the fund ledger")
        if current not in ("reserved", "waitlisted"):
            raise FundError("already_closed", f"case {case_id} is already {current}")

    def _close(self, *, case_id: str, as_state: CaseState) -> FreedResult:
        """Take a reserved or waiting case out of play and promote whoever now fits."""
        self._require_open(case_id)
        with self._undone_if_incomplete():
            freed = 0
            if case_id in self.reservations:
                freed = self.reservations.pop(case_id)[1]
            else:
                del self.waitlist[case_id]
            self.closed[case_id] = as_state
            return self._rebalance(freed_fen=freed)

    def _cap(self, entry: WaitEntry) -> int:
        """The yearly cap an application is served under: its policy's, never above the ledger's."""
        return min(entry.cap_fen, self.per_enterprise_cap_fen) if entry.cap_fen else self.per_enterprise_cap_fen

    def _never_fits(self, entry: WaitEntry) -> tuple[str, str] | None:
        """Why an application can never be served (settled money never comes back), or None."""
        cap_left = self._cap(entry) - self._enterprise_settled_fen(entry.enterprise)
        if entry.amount_fen > cap_left:
            return ("exceeds_enterprise_cap", f"{entry.amount_fen} fen exceeds what {entry.enterprise} can still "
                    f"receive this year ({cap_left} fen)")
        fund_left = self.total_fen - self.settled_fen
        if entry.amount_fen > fund_left:
            return ("exceeds_fund", f"{entry.amount_fen} fen exceeds what the fund can still pay ({fund_left} fen)")
        return None

    def _rebalance(self, *, freed_fen: int = 0) -> FreedResult:
        """Drop waiting applications that can never fit, then promote in priority order while the head fits.
        With a partial waitlist, raise WaitlistIncomplete (changing nothing here) when serving would pass its end."""
        order = self.waitlist_order()
        dropped = [cid for cid in order if self._never_fits(self.waitlist[cid]) is not None]
        out = set(dropped)
        promoted = []
        used = self._used_by_enterprise()
        remaining = self.remaining_fen
        horizon = self.waitlist_loaded_to
        stopped = False
        for cid in order:
            entry = self.waitlist[cid]
            if horizon is not None and (entry.key, cid) > horizon:
                break  # behind the loaded head: applications not loaded may come first
            if cid in out or used.get(entry.enterprise, 0) + entry.amount_fen > self._cap(entry):
                continue  # dropped, or waits for its own enterprise's other vouchers without holding up the queue
            if entry.amount_fen > remaining:
                stopped = True
                break  # first come first served: nobody behind may take the money first
            used[entry.enterprise] = used.get(entry.enterprise, 0) + entry.amount_fen
            remaining -= entry.amount_fen
            promoted.append(cid)
        if horizon is not None and not stopped:
            raise WaitlistIncomplete("serving reaches past the loaded head of the waitlist")
        for cid in dropped:
            del self.waitlist[cid]
            self.closed[cid] = "dropped"
        for cid in promoted:
            entry = self.waitlist.pop(cid)
            self.reservations[cid] = (entry.enterprise, entry.amount_fen)
        return FreedResult(freed_fen=freed_fen, promoted=tuple(promoted), dropped=tuple(dropped))
