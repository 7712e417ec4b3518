"""The voucher fund in the database: rules.fund's FundLedger applied under one lock per year.

Every change takes the year's row lock (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE, see
db.engine), loads what it needs of the year into a FundLedger (the head of the waitlist and its own row one by one,
the rest as sums), applies the operation there and writes back the rows whose state changed. The pure ledger
decides; this module only makes it atomic and durable, so the invariants tested on the ledger (reserved + settled
≤ total, each enterprise within its cap) hold in the database.
Functions flush and leave the commit to the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, case, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from db.models import Case, FundReservation, FundYear
from rules.fund import FundError, FundLedger, PriorityKey, WaitEntry, WaitlistIncomplete, priority_key
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


_LOCKED = "flow168_fund_year_locked"


def lock_year(s: Session, *, year: int, at: datetime) -> FundYear:
    """The year's row, created with the default total on first use, locked until the transaction ends; asked again in
    the same transaction (the reservation locks before it computes the amount, then reserves), the row it holds."""
    tx = s.get_transaction()
    held = s.info.get(_LOCKED)
    if held is not None and held[0] is tx and held[1] == year:
        return held[2]  # type: ignore[no-any-return]
    # Fresh from the database even when the session holds the row already; one statement once the year exists.
    locked = select(FundYear).where(FundYear.year == year).with_for_update().execution_options(populate_existing=True)
    row = s.exec(locked).first()
    if row is None:
        dialect = s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = FundYear.__table__  # type: ignore[attr-defined]
        s.execute(insert(table).values(year=year, total_fen=DEFAULT_TOTAL_FEN, updated_by="system", updated_at=at)
                  .on_conflict_do_nothing(index_elements=["year"]))
        row = s.exec(locked).one()
    s.info[_LOCKED] = (s.get_transaction(), year, row)
    return row


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


# How many waiting applications a change reads first, in serving order (issue 12). Serving stops at the first one the
# money does not cover, so a change rarely looks further; when it would, the ledger says so (WaitlistIncomplete) and
# the change reads the whole waitlist under the same lock.
WAITLIST_HEAD = 32


@dataclass
class _Year:
    """What a change needs of the year, read under its lock: the head of the waitlist in serving order and the case's
    own row one by one (they can change state), every other reservation and payout only as sums — per enterprise for
    the enterprises whose cap a change checks, one sum for all the others (issue 12: a year holds thousands of rows,
    and every change used to read them all into Python; the ledger's rules depend on those sums alone)."""

    rows: dict[str, _Row]  # the waiting applications read and the case's own row: written back when their state changes
    reserved: dict[int | None, int]  # enterprise (None: all the others) -> reserved fen of the other reservations
    settled: dict[int | None, int]  # enterprise (None: all the others) -> settled fen of the other payouts
    max_seq: int
    loaded_to: tuple[PriorityKey, str] | None  # the last waiting application read, when more wait behind it


def _statements() -> tuple[Any, Any, Any, Any, Any]:
    """A change's reads, built once with bound parameters (issue 12: building them for every change cost more Python
    than running them): the whole waitlist in serving order, its head (ix_fundreservation_serving), one case's row,
    the year's totals by state, and the sums of some enterprises (by their index; other years are dropped after)."""
    cases, t = Case.__table__, _TABLE  # type: ignore[attr-defined]
    columns = (*(t.c[c] for c in _COLUMNS), cases.c.policy_version)
    joined = t.outerjoin(cases, cases.c.id == t.c.case_id)
    waiting = (sa_select(*columns).select_from(joined)
               .where(t.c.year == bindparam("year"), t.c.state == "waitlisted", t.c.case_id != bindparam("case_id"))
               .order_by(t.c.priority_group, t.c.submitted_at, t.c.seq, t.c.case_id))
    own = sa_select(*columns).select_from(joined).where(t.c.case_id == bindparam("case_id"))
    totals = (sa_select(t.c.state, func.sum(t.c.amount_fen), func.sum(t.c.settled_fen), func.max(t.c.seq))
              .where(t.c.year == bindparam("year")).group_by(t.c.state))
    named = (sa_select(t.c.year, t.c.enterprise_org_id, t.c.state, func.sum(t.c.amount_fen), func.sum(t.c.settled_fen))
             .where(t.c.enterprise_org_id.in_(bindparam("named", expanding=True)),
                    t.c.case_id != bindparam("case_id"))
             .group_by(t.c.year, t.c.enterprise_org_id, t.c.state))
    return waiting, waiting.limit(bindparam("head", type_=Integer)), own, totals, named


_WAITING, _WAITING_HEAD, _OWN, _TOTALS, _NAMED = _statements()


def _load(s: Session, year: int, case_id: str | None = None, enterprise_org_id: int | None = None,
          whole: bool = False) -> _Year:
    """The year as a change needs it: its own row and the first WAITLIST_HEAD waiting applications in serving order
    (`whole`: all of them). Only the enterprises of those rows and the applying one (`enterprise_org_id`) are summed
    one by one (their caps are checked); every other enterprise's money counts only towards the fund's total, in one
    sum (key None): the year's totals less the named enterprises' sums and the case's own row."""
    db = s.connection()  # the session's transaction, holding the year's lock; plain rows, no ORM
    head = None if whole else WAITLIST_HEAD
    own = {"year": year, "case_id": case_id or ""}
    if head is None:
        read = [_Row(*r) for r in db.execute(_WAITING, own)]
    else:
        read = [_Row(*r) for r in db.execute(_WAITING_HEAD, own | {"head": head + 1})]
    loaded_to = None
    if head is not None and len(read) > head:
        read = read[:head]
        last = read[-1]
        loaded_to = ((last.priority_group, last.submitted_at, last.seq), last.case_id)
    rows = {r.case_id: r for r in read}
    mine = None
    if case_id is not None:
        for r in db.execute(_OWN, own):
            mine = rows[r[0]] = _Row(*r)
    reserved: dict[int | None, int] = {}
    settled: dict[int | None, int] = {}
    max_seq = 0
    for state, amount, paid, seq in db.execute(_TOTALS, own):
        max_seq = max(max_seq, int(seq or 0))
        if state == "reserved":
            reserved[None] = int(amount)
        elif state == "settled":
            settled[None] = int(paid)
    if mine is not None and mine.state == "reserved":
        reserved[None] -= mine.amount_fen
    elif mine is not None and mine.state == "settled":
        settled[None] -= mine.settled_fen
    named = {r.enterprise_org_id for r in rows.values()}
    if enterprise_org_id is not None:
        named.add(enterprise_org_id)
    if named:
        for in_year, org, state, amount, paid in db.execute(_NAMED, own | {"named": sorted(named)}):
            if in_year != year:
                continue
            if state == "reserved":
                reserved[org] = int(amount)
                reserved[None] -= int(amount)
            elif state == "settled":
                settled[org] = int(paid)
                settled[None] -= int(paid)
    for sums in (reserved, settled):
        if not sums.get(None):
            sums.pop(None, None)
    return _Year(rows=rows, reserved=reserved, settled=settled, max_seq=max_seq, loaded_to=loaded_to)


def _caps(rows: dict[str, _Row]) -> dict[str, int]:
    """The waiting applications' own yearly caps, by the policy each case runs under (003 art. 6: 5,000 元;
    000 二: 10,000 元)."""
    return {cid: POLICIES[r.policy_version].per_enterprise_year_cap_fen for cid, r in rows.items()
            if r.state == "waitlisted" and r.policy_version in POLICIES}


def _ledger(fund: FundYear, year: _Year, cap_fen: int) -> FundLedger:
    """The year's ledger under the fund year's cap; each waiting application keeps its own policy's. The other
    reservations and payouts enter as sums (`_Year`): one entry per summed enterprise and one for all the rest, under
    keys no case id can have."""
    ledger = FundLedger(total_fen=fund.total_fen, per_enterprise_cap_fen=cap_fen, waitlist_loaded_to=year.loaded_to)
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


_USED = (sa_select(func.coalesce(func.sum(case((_TABLE.c.state == "reserved", _TABLE.c.amount_fen),
                                                 (_TABLE.c.state == "settled", _TABLE.c.settled_fen), else_=0)), 0))
         .where(_TABLE.c.year == bindparam("year"), _TABLE.c.enterprise_org_id == bindparam("org"),
                _TABLE.c.case_id != bindparam("excluding")))


def enterprise_used_fen(s: Session, *, year: int, enterprise_org_id: int, excluding: str | None = None) -> int:
    """An enterprise's reserved and settled money of the year (for the yearly cap, 003 art. 6; 000 二): one sum."""
    got = s.connection().execute(_USED, {"year": year, "org": enterprise_org_id, "excluding": excluding or ""})
    return int(got.scalar_one())


def _decide(s: Session, fund: FundYear, *, year: int, cap_fen: int, decide: Any, case_id: str | None = None,
            enterprise_org_id: int | None = None, whole: bool = False) -> tuple[_Year, FundLedger, Any]:
    """`decide(ledger, loaded)` on the year under its lock: first on the head of the waitlist, on the whole of it when
    the ledger asks for more (it changes nothing before it raises WaitlistIncomplete)."""
    loaded = _load(s, year, case_id, enterprise_org_id, whole)
    ledger = _ledger(fund, loaded, cap_fen)
    try:
        return loaded, ledger, decide(ledger, loaded)
    except WaitlistIncomplete:
        if whole:
            raise
    return _decide(s, fund, year=year, cap_fen=cap_fen, decide=decide, case_id=case_id,
                   enterprise_org_id=enterprise_org_id, whole=True)


def reserve(s: Session, *, year: int, case_id: str, enterprise_org_id: int, amount_fen: int, specialized: bool,
            credit_rating: str | None, submitted_at: datetime, cap_fen: int, at: datetime,
            priority_reason: str | None = None, case_cap_fen: int | None = None) -> FundChange:
    """Reserve (or waitlist) an application, first come first served with priority; the same case again is a no-op."""
    def admit(ledger: FundLedger, loaded: _Year) -> Any:
        existing = loaded.rows.get(case_id)
        if existing is not None:
            if existing.state not in OPEN:
                raise FundError("case_closed", f"case {case_id} is already {existing.state}")
            return None
        seq = loaded.max_seq + 1
        key = priority_key(specialized=specialized, credit_rating=credit_rating, submitted_at=submitted_at, seq=seq)
        state, others = ledger.admit(case_id=case_id, enterprise=str(enterprise_org_id), amount_fen=amount_fen,
                                     key=key, cap_fen=case_cap_fen)
        return seq, key, state, others

    fund = lock_year(s, year=year, at=at)
    loaded, ledger, got = _decide(s, fund, year=year, cap_fen=cap_fen, decide=admit, case_id=case_id,
                                  enterprise_org_id=enterprise_org_id)
    if got is None:
        return FundChange(state=loaded.rows[case_id].state)
    seq, key, state, others = got
    s.add(FundReservation(case_id=case_id, year=year, enterprise_org_id=enterprise_org_id, amount_fen=amount_fen,
                          state=state, priority_group=key[0], submitted_at=key[1], seq=seq, updated_at=at,
                          priority_reason=priority_reason if key[0] == 0 else None))
    _write_back(s, ledger, loaded.rows, at)
    return FundChange(state=state, promoted=others.promoted, dropped=others.dropped)


def _apply(s: Session, *, year: int, cap_fen: int, at: datetime, op: Any, case_id: str | None = None,
           whole: bool = False) -> FundChange:
    """Run `op(ledger, fund, rows)` on the year under its lock (`_decide`) and write back what it changed."""
    fund = lock_year(s, year=year, at=at)
    loaded, ledger, (freed, state) = _decide(s, fund, year=year, cap_fen=cap_fen, case_id=case_id, whole=whole,
                                             decide=lambda ledger, loaded: op(ledger, fund, loaded.rows))
    _write_back(s, ledger, loaded.rows, at)
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
        freed = ledger.lower(case_id=case_id, amount_fen=amount_fen)
        row.amount_fen = amount_fen
        s.execute(update(_TABLE).where(_TABLE.c.case_id == case_id).values(amount_fen=amount_fen, updated_at=at))
        return freed, "reserved"

    return _apply(s, year=year, cap_fen=cap_fen, at=at, op=op, case_id=case_id)


def settle(s: Session, *, year: int, case_id: str, settled_fen: int, cap_fen: int, at: datetime) -> FundChange:
    """Pay out a reserved voucher once; the difference to its reservation returns to the fund."""
    def op(ledger: FundLedger, _fund: FundYear, _rows: dict[str, _Row]) -> Any:
        return ledger.settle(case_id=case_id, settled_fen=settled_fen), "settled"

    # A payout can make waiting applications impossible (settled money never comes back): the whole waitlist.
    return _apply(s, year=year, cap_fen=cap_fen, at=at, op=op, case_id=case_id, whole=True)


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
