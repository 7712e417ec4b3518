"""A flow168 stack on the simulated clock (launcher.py, CLOCK=simulated) for the voucher and certification benchmarks.

Setup shortcuts, untimed: organisations and approved users are written straight into the stack's SQLite database
(one password hash for all of them), and bearer tokens are minted with the stack's SECRET_KEY instead of logging in.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select

from api.security import hash_password, issue_token
from bench.client import PROVIDER_PASSWORD, Api, BenchError, new_uscc
from bench.common import BIN, ROOT, free_port, kill_group, spawn
from bench.lifecycle import _wait_healthy
from db.engine import make_engine, reader
from db.models import Organization, Task, User
from rules.calendar import SHANGHAI

CITIES = ["yinchuan", "shizuishan", "wuzhong", "guyuan", "zhongwei"]


class SimStack:
    """launcher.py with CLOCK=simulated in its own process group; `await start()`, then `stop()`."""

    def __init__(self, workdir: Path, database_url: str | None = None) -> None:
        self.work = workdir
        self.database_url = database_url  # None: SQLite in the work folder (the default of `make run`)
        self.work.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.temporal_port = free_port()
        self.secret = secrets.token_hex(24)
        self.proc: Any = None
        self.log: Any = None
        self.api = Api(f"http://127.0.0.1:{self.port}")
        self.engine: Any = None
        self.reads: Any = None
        self.boot_s = 0.0

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEMPORAL_ADDRESS", "SMTP_URL")}
        env.update(PORT=str(self.port), DATA_DIR=str(self.work), TEMPORAL_PORT=str(self.temporal_port),
                   TEMPORAL_UI_PORT=str(free_port()), CLOCK="simulated", DEMO="1", PYTHONUNBUFFERED="1",
                   SECRET_KEY=self.secret, FLOW168_GATE_STATS=str(self.work / "gate"))
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        self.log = open(self.work / "launcher.log", "ab")  # closed in stop()
        self.proc = spawn([str(BIN / "python"), str(ROOT / "launcher.py")], log=self.log, env=env)
        self.boot_s = await _wait_healthy(self.api, self.proc, 120, self.work)
        self.engine = make_engine(self.database_url or f"sqlite:///{(self.work / 'flow168.db').resolve()}")
        # The driver's polls only read: on SQLite they must not queue for the stack's write lock (and slow it).
        self.reads = reader(self.engine)

    def gate_stats(self) -> dict[str, list[float]]:
        """How long the stack's writers have held SQLite's write gate so far, by activity or thread, summed over its
        processes (db.engine._GateStats): name -> [transactions, seconds held, holder's CPU seconds, seconds waited]."""
        import json

        out: dict[str, list[float]] = {}
        for path in sorted((self.work / "gate").glob("gate-*.json")):
            try:
                rows = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            for name, row in rows.items():
                acc = out.setdefault(name, [0, 0.0, 0.0, 0.0])
                acc[0] += row["n"]
                acc[1] += row["held_s"]
                acc[2] += row["cpu_s"]
                acc[3] += row.get("waited_s", 0.0)
        return out

    async def stop(self) -> None:
        await self.api.close()
        if self.proc is not None:
            kill_group(self.proc)
        if self.engine is not None:
            self.engine.dispose()
        if self.log is not None:
            self.log.close()

    def token_for(self, username: str) -> None:
        """Mint a bearer token for an existing user (no Argon2 verification, no login request)."""
        with Session(self.engine, expire_on_commit=False) as s:
            user = s.exec(select(User).where(User.username == username)).one()
            s.commit()
        self.api.tokens[username] = issue_token(self.secret, user.id or 0)

    def add_orgs(self, kind: str, count: int, prefix: str, at: datetime, **org_fields: Any) -> list[tuple[str, int]]:
        """`count` approved organisations of `kind`, each with one active user; tokens minted. Returns (user, org id)."""
        pw = hash_password(PROVIDER_PASSWORD)  # once for all of them
        out: list[tuple[str, int]] = []
        with Session(self.engine, expire_on_commit=False) as s:
            pairs = []
            for i in range(count):
                fields: dict[str, Any] = {"city": CITIES[i % 5], "size": "small", "employees": 30,
                                          "revenue_fen": 800_000_000, "industry": "software", **org_fields}
                org = Organization(kind=kind, name=f"宁夏基准{prefix}{i:05d}有限公司", uscc=new_uscc(), created_at=at, **fields)
                s.add(org)
                pairs.append((f"{prefix}_{i}", org))
            s.flush()
            users = [User(username=u, password_hash=pw, role=kind, org_id=o.id, city=o.city, display_name=o.name,
                          created_at=at)
                     for u, o in pairs]
            s.add_all(users)
            s.flush()
            ids = [(u.username, u.id or 0, o.id or 0) for u, (_, o) in zip(users, pairs, strict=True)]
            s.commit()
        for username, uid, oid in ids:
            self.api.tokens[username] = issue_token(self.secret, uid)
            out.append((username, oid))
        return out

    async def advance(self, days: float) -> str:
        # Every open case's timers on the way fire before the answer: with thousands of cases that takes minutes.
        r = await self.api.call("POST", "/api/admin/clock/advance", "admin", json={"days": days}, timeout=900)
        if r.status_code != 200:
            raise BenchError(f"advance {days} days: {r.status_code} {r.text}")
        return str(r.json()["now"])

    async def clear_month_start(self, days: int) -> str | None:
        """Move the clock past the next first of a month if it falls within `days` (the December assessment campaign,
        the monthly voucher report and the other openers of a month's first day), then wait until the cases they
        opened have settled: the benchmark then times its own cases only, as the bare workflow it is compared with
        does. Returns what was done, or None when the window was clear."""
        now = await self.now()
        local = now.astimezone(SHANGHAI)
        first = (local.replace(day=1) + timedelta(days=32)).replace(day=2, hour=10, minute=0, second=0, microsecond=0)
        if (first - local).days > days + 1:
            return None
        await self.advance((first - local).total_seconds() / 86400)
        tasks, still = -1, 0
        while still < 3:  # no new task row for 3 s: the month's openers have done their work
            await asyncio.sleep(1)
            with Session(self.reads) as s:
                n = s.exec(select(func.count()).select_from(Task)).one()
            tasks, still = n, (still + 1 if n == tasks else 0)
        return f"clock moved to {first:%Y-%m-%d %H:%M} (Shanghai) first, {tasks} tasks open then"

    async def now(self) -> datetime:
        r = await self.api.call("GET", "/api/clock")
        return datetime.fromisoformat(r.json()["now"])


def add_pg_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--pg", action="store_true", help="flow168 on PostgreSQL (a fresh database on "
                    "postgresql://postgres@127.0.0.1:5432, dropped afterwards) instead of SQLite")


@contextmanager
def database(pg: bool) -> Iterator[str | None]:
    """None (SQLite in the stack's folder), or with `pg` a fresh PostgreSQL database on bench.run's server, dropped
    afterwards."""
    if not pg:
        yield None
        return
    from bench.inbox import fresh_pg
    from bench.run import PG_SERVER

    with fresh_pg(PG_SERVER) as url:
        yield url


def staff_tokens(st: SimStack, names: list[str]) -> None:
    for n in names:
        st.token_for(n)


def elapsed(t0: float) -> float:
    return time.perf_counter() - t0
