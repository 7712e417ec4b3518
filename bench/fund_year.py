"""Issue 12: what one fund reservation costs as its year fills up — N reservations of 3,000 CNY, one per enterprise,
into a fresh SQLite file whose fund covers N/2 (the rest wait), timed by quarter.

    .venv/bin/python -m bench.fund_year            # N = 2000
    .venv/bin/python -m bench.fund_year -n 4000

It drives `db.fund.reserve` directly (no Temporal, no web app): the database part of the rush's reservation alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import SQLModel

from bench.common import banner
from db import fund
from db.engine import make_engine, session_scope
from db.models import Case

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
AMOUNT_FEN = 300_000
CAP_FEN = 500_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=2000)
    n = ap.parse_args().n
    banner(f"fund reservations: {n} into one year, the fund covering {n // 2}")
    with tempfile.TemporaryDirectory() as work:
        engine = make_engine(f"sqlite:///{Path(work) / 'fund.db'}")
        SQLModel.metadata.create_all(engine)
        ids = [f"VC-B-{uuid.uuid4().hex[:10]}" for _ in range(n)]
        with session_scope(engine) as s:
            fund.set_total(s, year=T0.year, total_fen=(n // 2) * AMOUNT_FEN, cap_fen=CAP_FEN, actor="bench", at=T0)
            for cid in ids:
                s.add(Case(id=cid, type="voucher", status="applying", policy_version="2017", created_at=T0,
                           updated_at=T0))
        quarter = max(n // 4, 1)
        wall, cpu = time.perf_counter(), time.process_time()
        for i, cid in enumerate(ids):
            with session_scope(engine) as s:
                fund.reserve(s, year=T0.year, case_id=cid, enterprise_org_id=i + 1, amount_fen=AMOUNT_FEN,
                             specialized=False, credit_rating=None, submitted_at=T0 + timedelta(seconds=i),
                             cap_fen=CAP_FEN, at=T0)
            if (i + 1) % quarter == 0:
                print(f"  reservations {i + 1 - quarter:>5}–{i + 1:<5} {1000 * (time.perf_counter() - wall) / quarter:6.2f} ms "
                      f"wall, {1000 * (time.process_time() - cpu) / quarter:6.2f} ms CPU per reservation")
                wall, cpu = time.perf_counter(), time.process_time()
        with session_scope(engine) as s:
            got = fund.summary(s, year=T0.year)
        print(f"  reserved {got['reserved_fen'] // AMOUNT_FEN}, waitlisted {len(got['waitlist'])}")
        engine.dispose()


if __name__ == "__main__":
    main()
