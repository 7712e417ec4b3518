"""The voucher fund in the database: rules.fund's FundLedger applied under one lock per year.

Every change takes the year's row lock (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE, see
db.engine), loads the year's reservations into a FundLedger, applies the operation there and writes back the
rows whose state changed. The pure ledger decides; this module only makes it atomic and durable, so the
invariants tested on the ledger (reserved + settled ≤ total, each enterprise within its cap) hold in the database.
Functions flush and leave the commit to the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from db.models import Case, FundReservation, FundYear
from rules.fund import FundError, FundLedger, WaitEntry, priority_key
from rules.voucher import POLICIES

DEFAULT_TOTAL_FEN = 5_000_000 * 100  # 000 六(二): 每年500万
OPEN = ("reserved", "waitlisted")


@dataclass(frozen=True)
class FundChange:
    """What one operation did: the case's state, and the cases it promoted or dropped (their workflows are told)."""

    state: str
    promoted: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    freed_fen: int = 0


def lock_year(s: Session, *, year: int, at: datetime) -> FundYear:
    """The year's row, created with the default total on first use, locked until the transaction ends."""
    # Fresh from the database even when the session holds the row already; one statement once the year exists.
    locked = select(FundYear).where(FundYear.year == year).with_for_update().execution_options(populate_existing=True)
    row = s.exec(locked).first()
    if row is not None:
        return row
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = FundYear.__table__  # type: ignore[attr-defined]
    s.execute(insert(table).values(year=year, total_fen=DEFAULT_TOTAL_FEN, updated_by="system", updated_at=at)
              .on_conflict_do_nothing(index_elements=["year"]))
    return s.exec(locked).one()


@dataclass(slots=True)
class _Row:
    """One reservation as the ledger needs it: read with one plain query (no ORM objects: a year holds thousands, and
    every change reads them all under the lock; issue 12), with the yearly cap of the case's policy."""

    case_id: str
    enterprise_org_id: int
    amount_fen: int
    settled_fen: int
    state: str
    priority_group: int
    submitted_at: datetime
    seq: int
    policy_version: str | None


_COLUMNS = ("case_id", "enterprise_org_id", "amount_fen", "settled_fen", "state", "priority_group", "submitted_at",
            "seq")


_TABLE = FundReservation.__table__  # type: ignore[attr-defined]


@dataclass
class _Year:
    """What a change needs of the year, read under its lock: the waiting applications and the case's own row one by
    one (they can change state), every other reservation and payout only as sums — per enterprise for the enterprises
    whose cap a change checks, one sum for all the others (issue 12: a year holds thousands of rows, and every change
    used to read them all into Python; the ledger's rules depend on those sums alone)."""

    rows: dict[str, _Row]  # the waiting applications and the case's own row: written back when their state changes
    reserved: dict[int | None, int]  # enterprise (None: all the others) -> reserved fen of the other reservations
    settled: dict[int | None, int]  # enterprise (None: all the others) -> settled fen of the other payouts
    max_seq: int


def _load(s: Session, year: int, case_id: str | None = None, enterprise_org_id: int | None = None) -> _Year:
    """The year as a change needs it. Only enterprises with a waiting application, the case's own and the applying
    one (`enterprise_org_id`) are summed one by one (their caps are checked); every other enterprise's money counts
    only towards the fund's total, in one sum (key None)."""
    cases, t = Case.__table__, _TABLE  # type: ignore[attr-defined]
    own = t.c.case_id == (case_id or "")
    stmt = (sa_select(*(t.c[c] for c in _COLUMNS), cases.c.policy_version)
            .select_from(t.outerjoin(cases, cases.c.id == t.c.case_id))
            .where(t.c.year == year, or_(t.c.state == "waitlisted", own)))
    rows = {r[0]: _Row(*r) for r in s.execute(stmt)}
    named = or_(t.c.enterprise_org_id.in_(sa_select(t.c.enterprise_org_id).where(t.c.year == year,
                                                                                  t.c.state == "waitlisted")),
                t.c.enterprise_org_id.in_(sa_select(t.c.enterprise_org_id).where(own)),
                t.c.enterprise_org_id == (enterprise_org_id if enterprise_org_id is not None else -1))
    who = case((named, t.c.enterprise_org_id), else_=None)
    sums = (sa_select(who, t.c.state, func.sum(t.c.amount_fen), func.sum(t.c.settled_fen), func.max(t.c.seq))
            .where(t.c.year == year, t.c.state != "waitlisted", ~own)
            .group_by(who, t.c.state))
    reserved: dict[int | None, int] = {}
    settled: dict[int | None, int] = {}
    max_seq = max((r.seq for r in rows.values()), default=0)
    for org, state, amount, paid, seq in s.execute(sums):
        max_seq = max(max_seq, int(seq or 0))
        if state == "reserved":
            reserved[org] = int(amount)
        elif state == "settled":
            settled[org] = int(paid)
    return _Year(rows=rows, reserved=reserved, settled=settled, max_seq=max_seq)


def _caps(rows: dict[str, _Row]) -> dict[str, int]:
    """The waiting applications' own yearly caps, by the policy each case runs under (003 art. 6: 5,000 元;
    000 二: 10,000 元)."""
    return {cid: POLICIES[r.policy_version].per_enterprise_year_cap_fen for cid, r in rows.items()
            if r.state == "waitlisted" and r.policy_version in POLICIES}


def _ledger(fund: FundYear, year: _Year, cap_fen: int) -> FundLedger:
    """The year's ledger under the fund year's cap; each waiting application keeps its own policy's. The other
    reservations and payouts enter as sums (`_Year`): one entry per summed enterprise and one for all the rest, under
    keys no case id can have."""
    ledger = FundLedger(total_fen=fund.total_fen, per_enterprise_cap_fen=cap_fen)
    rows, caps = year.rows, _caps(year.rows)
    for org, fen in year.reserved.items():
        ledger.reservations[f"Σreserved:{org}"] = (str(org) if org is not None else "Σ", fen)
    for org, fen in year.settled.items():
        ledger.settled[f"Σsettled:{org}"] = (str(org) if org is not None else "Σ", fen)
    for r in rows.values():
        who = str(r.enterprise_org_id)
        if r.state == "reserved":
            ledger.reservations[r.case_id] = (who, r.amount_fen)
        elif r.state == "waitlisted":
            ledger.waitlist[r.case_id] = WaitEntry(enterprise=who, amount_fen=r.amount_fen,
                                                   key=(r.priority_group, r.submitted_at, r.seq),
                                                   cap_fen=caps.get(r.case_id))
        elif r.state == "settled":
            ledger.settled[r.case_id] = (who, r.settled_fen)
        else:
            ledger.closed[r.case_id] = r.state  # type: ignore[assignment]
    return ledger


def _write_back(s: Session, ledger: FundLedger, rows: dict[str, _Row], at: datetime) -> None:
    """Write the rows whose state the ledger changed (plain UPDATEs), and let the session forget any reservation it
    had loaded: they are read again from the database."""
    for case_id, row in rows.items():
        state = ledger.state(case_id=case_id)
        if state is not None and state != row.state:
            values: dict[str, Any] = {"state": state, "updated_at": at}
            if state == "settled":
                values["settled_fen"] = ledger.settled[case_id][1]
            s.execute(update(_TABLE).where(_TABLE.c.case_id == case_id).values(**values))
            row.state = state
    s.flush()
    for obj in list(s.identity_map.values()):
        if isinstance(obj, FundReservation):
            s.expire(obj)


def enterprise_used_fen(s: Session, *, year: int, enterprise_org_id: int, excluding: str | None = None) -> int:
    """An enterprise's reserved and settled money of the year (for the yearly cap, 003 art. 6; 000 二)."""
    total = 0
    stmt = select(FundReservation).where(FundReservation.year == year,
                                         FundReservation.enterprise_org_id == enterprise_org_id)
    for r in s.exec(stmt):
        if r.case_id == excluding:
            continue
        total += r.amount_fen if r.state == "reserved" else r.settled_fen if r.state == "settled" else 0
    return total


def reserve(s: Session, *, year: int, case_id: str, enterprise_org_id: int, amount_fen: int, specialized: bool,
            credit_rating: str | None, submitted_at: datetime, cap_fen: int, at: datetime,
            priority_reason: str | None = None, case_cap_fen: int | None = None) -> FundChange:
    """Reserve (or waitlist) an application, first come first served with priority; the same case again is a no-op."""
    fund = lock_year(s, year=year, at=at)
    loaded = _load(s, year, case_id, enterprise_org_id)
    rows = loaded.rows
    ledger = _ledger(fund, loaded, cap_fen)
    existing = rows.get(case_id)
    if existing is not None:
        if existing.state not in OPEN:
            raise FundError("case_closed", f"case {case_id} is already {existing.state}")
        return FundChange(state=existing.state)
    seq = loaded.max_seq + 1
    key = priority_key(specialized=specialized, credit_rating=credit_rating, submitted_at=submitted_at, seq=seq)
    state, others = ledger.admit(case_id=case_id, enterprise=str(enterprise_org_id), amount_fen=amount_fen, key=key,
                                 cap_fen=case_cap_fen)
    s.add(FundReservation(case_id=case_id, year=year, enterprise_org_id=enterprise_org_id, amount_fen=amount_fen,
                          state=state, priority_group=key[0], submitted_at=key[1], seq=seq, updated_at=at,
                          priority_reason=priority_reason if key[0] == 0 else None))
    _write_back(s, ledger, rows, at)
    return FundChange(state=state, promoted=others.promoted, dropped=others.dropped)


def _apply(s: Session, *, year: int, cap_fen: int, at: datetime, op: Any, case_id: str | None = None) -> FundChange:
    fund = lock_year(s, year=year, at=at)
    loaded = _load(s, year, case_id)
    rows = loaded.rows
    ledger = _ledger(fund, loaded, cap_fen)
    freed, state = op(ledger, fund, rows)
    _write_back(s, ledger, rows, at)
    return FundChange(state=state, promoted=freed.promoted, dropped=freed.dropped, freed_fen=freed.freed_fen)


def close(s: Session, *, year: int, case_id: str, as_state: str, cap_fen: int, at: datetime,
          only_waitlisted: bool = False) -> FundChange:
    """Release (rejection, withdrawal, a lapsed waitlist place) or void (expiry, fraud) a case's money exactly once,
    and promote. `only_waitlisted` refuses under the lock when the case has been promoted meanwhile."""
    def op(ledger: FundLedger, _fund: FundYear, rows: dict[str, _Row]) -> Any:
        row = rows.get(case_id)
        if row is None or row.state not in OPEN:
            raise FundError("already_closed", f"case {case_id} holds no reservation")
        if only_waitlisted and row.state != "waitlisted":
            raise FundError("not_waitlisted", f"case {case_id} is {row.state}, no longer waitlisted")
        freed = ledger.void(case_id=case_id) if as_state == "voided" else ledger.release(case_id=case_id)
        return freed, as_state

    return _apply(s, year=year, cap_fen=cap_fen, at=at, op=op, case_id=case_id)


def lower(s: Session, *, year: int, case_id: str, amount_fen: int, cap_fen: int, at: datetime) -> FundChange:
    """Lower a reservation (first review), returning the difference to the fund and promoting."""
    def op(ledger: FundLedger, fund: FundYear, rows: dict[str, _Row]) -> Any:
        row = rows.get(case_id)
        if row is None or row.state != "reserved":
            raise FundError("not_reserved", f"case {case_id} holds no reservation to lower")
        if not 0 < amount_fen <= row.amount_fen:
            raise FundError("amount_raised", f"{amount_fen} fen is not a lowering of {row.amount_fen} fen")
        freed_fen = row.amount_fen - amount_fen
        row.amount_fen = amount_fen
        s.execute(update(_TABLE).where(_TABLE.c.case_id == case_id).values(amount_fen=amount_fen, updated_at=at))
        ledger.reservations[case_id] = (str(row.enterprise_org_id), amount_fen)
        freed = ledger.set_total(total_fen=fund.total_fen)  # same total: promotes whoever now fits
        return type(freed)(freed_fen=freed_fen, promoted=freed.promoted, dropped=freed.dropped), "reserved"

    return _apply(s, year=year, cap_fen=cap_fen, at=at, op=op, case_id=case_id)


def settle(s: Session, *, year: int, case_id: str, settled_fen: int, cap_fen: int, at: datetime) -> FundChange:
    """Pay out a reserved voucher once; the difference to its reservation returns to the fund."""
    def op(ledger: FundLedger, _fund: FundYear, _rows: dict[str, _Row]) -> Any:
        return ledger.settle(case_id=case_id, settled_fen=settled_fen), "settled"

    return _apply(s, year=year, cap_fen=cap_fen, at=at, op=op, case_id=case_id)


def set_total(s: Session, *, year: int, total_fen: int, cap_fen: int, actor: str, at: datetime) -> FundChange:
    """Change a year's fund (admin); never below what is reserved and settled; a raise promotes the waitlist."""
    def op(ledger: FundLedger, fund: FundYear, _rows: dict[str, _Row]) -> Any:
        freed = ledger.set_total(total_fen=total_fen)
        fund.total_fen, fund.updated_by, fund.updated_at = total_fen, actor, at
        s.add(fund)
        return freed, "total"

    return _apply(s, year=year, cap_fen=cap_fen, at=at, op=op)


def state_of(s: Session, case_id: str) -> FundReservation | None:
    return s.get(FundReservation, case_id)


def summary(s: Session, *, year: int) -> dict[str, Any]:
    """The public figures of a year's fund and its waitlist in serving order."""
    fund = s.get(FundYear, year)
    total = fund.total_fen if fund is not None else DEFAULT_TOTAL_FEN
    rows = list(s.exec(select(FundReservation).where(FundReservation.year == year)))
    reserved = sum(r.amount_fen for r in rows if r.state == "reserved")
    settled = sum(r.settled_fen for r in rows if r.state == "settled")
    waiting = sorted((r for r in rows if r.state == "waitlisted"), key=lambda r: (r.priority_group, r.submitted_at,
                                                                                  r.seq, r.case_id))
    return {"year": year, "total_fen": total, "reserved_fen": reserved, "settled_fen": settled,
            "remaining_fen": total - reserved - settled,
            "waitlist": [{"case_id": r.case_id, "amount_fen": r.amount_fen, "position": i + 1,
                          "priority": r.priority_group == 0, "priority_reason": r.priority_reason,
                          "submitted_at": r.submitted_at.isoformat()}
                         for i, r in enumerate(waiting)],
            "order_rule": _order_rule(year)}


def _order_rule(year: int) -> str:
    """How the year's applications are served, by the policy in force at its end (003 art. 11(3); 000 六(二))."""
    from datetime import date

    from rules.voucher import policy_in_force

    try:
        policy = policy_in_force(on=date(year, 12, 31))
    except ValueError:
        return "按申报先后顺序领取"
    if policy.priority_first:
        return (f"{policy.title}：自治区“专精特新”中小企业和信用评级A级以上的小微企业（经运营单位核验）优先申领，"
                "其余按申报先后顺序领取（第十一条第（三）项）")
    return f"{policy.title}：按申报先后顺序领取，至当期服务补贴券发完为止（六、使用规定）"
