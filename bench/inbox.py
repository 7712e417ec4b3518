"""Part 3, the inbox query (`db.tasks.inbox`) on 100,000 task rows, on SQLite and optionally PostgreSQL.

A fresh database is migrated with `db.engine.migrate`, filled with SQLAlchemy core bulk inserts (cases and the
tasks that reference them, spread over roles, cities, types, statuses and due times), then each inbox query runs
`reps` times, each in its own session as a request would. The SQL time of the count and of the page is measured
apart (cursor events), so the rest is the ORM's; the query plans are printed. Optionally the same inbox is read
through `GET /api/tasks` (the FastAPI app in process, through httpx's ASGI transport: no network).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, event
from sqlmodel import Session

from bench.common import pct
from db import tasks as task_repo
from db.engine import alembic_config, make_engine, migrate
from db.models import Case, Task, User

CITIES = ["yinchuan", "shizuishan", "wuzhong", "guyuan", "zhongwei"]
# (role, task types of that role, share of all tasks)
ROLES: list[tuple[str, list[str], float]] = [
    ("operator", ["registration.review", "provider_admission.operator_review", "voucher.demand_review",
                  "voucher.award_review", "voucher.first_review", "voucher.settlement_review"], 0.30),
    ("department", ["provider_admission.department_filing", "voucher.final_review", "voucher.settlement_approval",
                    "certification.precheck", "certification.decision", "certification.annual_assessment"], 0.20),
    ("expert", ["provider_admission.expert_review", "certification.expert_review"], 0.20),
    ("city_bureau", ["certification.city_recommendation", "certification.city_annual_report"], 0.15),
    ("enterprise", ["voucher.choose_bid", "voucher.apply", "voucher.confirm"], 0.10),
    ("provider", ["voucher.delivery", "provider_admission.correction"], 0.05),
]
# status, share: most rows are history, as in a system that has run for years.
STATUSES = [("completed", 0.75), ("open", 0.15), ("claimed", 0.05), ("cancelled", 0.05)]
CASE_TYPES = ["voucher", "provider_admission", "certification", "assessment", "window_onboarding"]
TASKS_PER_CASE = 4
TYPE_FILTER = "voucher.first_review"


def _pick(rng: random.Random, weighted: list[tuple[Any, float]]) -> Any:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def fill(engine: Engine, *, tasks: int, now: datetime, seed: int = 168) -> dict[str, int]:
    """Bulk-insert `tasks` task rows and the cases they belong to; returns row counts per role and status."""
    rng = random.Random(seed)
    n_cases = (tasks + TASKS_PER_CASE - 1) // TASKS_PER_CASE
    cases = []
    for i in range(n_cases):
        created = now - timedelta(days=rng.uniform(0, 3 * 365))
        cases.append({
            "id": f"BX-{i:07d}", "type": rng.choice(CASE_TYPES), "status": "in_review", "title": f"基准案件{i}",
            "applicant": f"宁夏基准{i % 997}有限公司", "applicant_user_id": None, "applicant_org_id": None,
            "city": CITIES[i % 5], "policy_version": "2019", "data": {}, "result": {}, "idempotency_key": None,
            "created_at": created, "updated_at": created, "closed_at": None,
        })
    rows = []
    counts: dict[str, int] = defaultdict(int)
    role_weights = [((r, types), share) for r, types, share in ROLES]
    for i in range(tasks):
        case = cases[i // TASKS_PER_CASE]
        role, types = _pick(rng, role_weights)
        status = _pick(rng, STATUSES)
        ttype = rng.choice(types)
        opened = now - timedelta(days=rng.uniform(0, 60))
        due = now + timedelta(days=rng.uniform(-30, 30), seconds=i)  # unique-ish, both overdue and not
        done = status in ("completed", "cancelled")
        assignee = None
        if status == "claimed" or status == "completed":
            assignee = f"{role}{rng.randint(1, 2)}" if role in ("operator", "department") else f"{role}_user"
        rows.append({
            "id": f"{case['id']}.{ttype.split('.', 1)[1]}.{i % TASKS_PER_CASE + 1}", "case_id": case["id"],
            "type": ttype, "title": f"待办{ttype}", "summary": f"{case['applicant']}：{case['title']}", "role": role,
            "city": case["city"] if role == "city_bureau" else None,
            "org_id": (i % 500) + 1 if role in ("enterprise", "provider") else None,
            "assignee": assignee, "status": status, "decisions": ["approve", "reject", "return"], "form": "review",
            "excluded_users": [], "opened_at": opened, "due_working_days": 5, "due_at": due,
            "reminder_at": due - timedelta(days=1), "due_confirmed": True,
            "completed_at": opened + timedelta(days=1) if done else None, "completed_by": assignee if done else None,
            "decision": "approve" if status == "completed" else None, "comment": None, "data": {},
        })
        counts[f"{role}/{status}"] += 1
    with engine.begin() as conn:
        for chunk in range(0, len(cases), 10_000):
            conn.execute(sa.insert(Case.__table__), cases[chunk:chunk + 10_000])  # type: ignore[attr-defined]
        for chunk in range(0, len(rows), 10_000):
            conn.execute(sa.insert(Task.__table__), rows[chunk:chunk + 10_000])  # type: ignore[attr-defined]
    return dict(counts)


class SqlTimer:
    """Time spent in the database per statement kind (count or page), from cursor events."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.by_kind: dict[str, list[float]] = defaultdict(list)
        self.statements: list[tuple[str, Any]] = []
        self.capture = False

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        t0 = conn.info.pop("bench_t0", None)
        if t0 is None or "FROM task" not in statement:
            return
        kind = "count" if "count(" in statement.lower() else "page"
        self.by_kind[kind].append(time.perf_counter() - t0)
        if self.capture:
            self.statements.append((statement, params))

    @contextmanager
    def attached(self) -> Any:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self._before)
            event.remove(self.engine, "after_cursor_execute", self._after)


def plans(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    """The query plan of each captured statement (SQLite EXPLAIN QUERY PLAN, PostgreSQL EXPLAIN ANALYZE)."""
    out = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for stmt, params in statements:
            kind = "count" if "count(" in stmt.lower() else "page"
            if engine.dialect.name == "sqlite":
                rows = raw.execute("EXPLAIN QUERY PLAN " + stmt, params).fetchall()
                out.append(f"{kind}: " + " | ".join(r[-1] for r in rows))
            else:
                cur = raw.cursor()
                cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + stmt, params)
                out.append(f"{kind}: " + " | ".join(r[0].strip() for r in cur.fetchall()))
        conn.rollback()
    return out


QUERIES: list[tuple[str, User, dict[str, Any]]] = [
    ("operator, available, page 1", User(id=2, username="operator1", password_hash="", role="operator"), {}),
    ("city bureau (yinchuan), available",
     User(id=13, username="city_yinchuan", password_hash="", role="city_bureau", city="yinchuan"), {}),
    ("operator, available, overdue=true", User(id=2, username="operator1", password_hash="", role="operator"),
     {"overdue": True}),
    (f"operator, available, type={TYPE_FILTER}", User(id=2, username="operator1", password_hash="", role="operator"),
     {"task_type": TYPE_FILTER}),
]


def time_inbox(engine: Engine, *, now: datetime, reps: int) -> list[dict[str, Any]]:
    """Each query of QUERIES `reps` times, a fresh session each time; p50/p95 of the call and its SQL."""
    out = []
    for label, user, kw in QUERIES:
        timer = SqlTimer(engine)
        with timer.attached():
            timer.capture = True
            with Session(engine) as s:
                rows, total = task_repo.inbox(s, user, scope="available", now=now, limit=50, offset=0, **kw)
            timer.capture = False
            timer.by_kind.clear()
            calls = []
            for _ in range(reps):
                t0 = time.perf_counter()
                with Session(engine) as s:
                    task_repo.inbox(s, user, scope="available", now=now, limit=50, offset=0, **kw)
                calls.append(time.perf_counter() - t0)
        out.append({
            "query": label, "rows": len(rows), "total": total, "reps": reps,
            "p50_ms": pct(calls, 50) * 1000, "p95_ms": pct(calls, 95) * 1000,
            "count_p50_ms": pct(timer.by_kind["count"], 50) * 1000,
            "page_p50_ms": pct(timer.by_kind["page"], 50) * 1000,
            "plans": plans(engine, timer.statements),
        })
    return out


async def time_http(engine: Engine, *, workdir: Path, now: datetime, reps: int) -> list[dict[str, Any]]:
    """GET /api/tasks through the real app (in process, ASGI transport), operator and city bureau."""
    import httpx

    from api.app import create_app
    from api.security import issue_token
    from clock import RealClock
    from db.seed import seed_demo
    from settings import Settings

    with Session(engine) as s:
        seed_demo(s, password_hash="not-used", now=now)
        s.commit()
        ids = {u: s.exec(sa.select(User.id).where(User.username == u)).scalar_one()  # type: ignore[call-overload]
               for u in ("operator1", "city_yinchuan")}
    settings = Settings(data_dir=workdir, clock="real", secret_key=uuid.uuid4().hex + uuid.uuid4().hex)
    app = create_app(settings=settings, engine=engine, clock=RealClock(), temporal=None)  # type: ignore[arg-type]
    secret = app.state.secret
    out = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for label, user, params in [("GET /api/tasks operator1", "operator1", {"scope": "available"}),
                                    ("GET /api/tasks city_yinchuan", "city_yinchuan", {"scope": "available"})]:
            headers = {"Authorization": f"Bearer {issue_token(secret, ids[user])}"}
            r = await http.get("/api/tasks", params=params, headers=headers)
            r.raise_for_status()
            size = len(r.content)
            calls = []
            for _ in range(reps):
                t0 = time.perf_counter()
                r = await http.get("/api/tasks", params=params, headers=headers)
                calls.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
            out.append({"query": label, "reps": reps, "bytes": size,
                        "p50_ms": pct(calls, 50) * 1000, "p95_ms": pct(calls, 95) * 1000})
    return out


def time_serialization(engine: Engine, *, now: datetime, reps: int) -> float:
    """p50 ms to turn a 50-task page into JSON dicts (api.views.task_json, with the form schema)."""
    from api.views import task_json

    with Session(engine) as s:
        rows, _ = task_repo.inbox(s, QUERIES[0][1], scope="available", now=now, limit=50)
        calls = []
        for _ in range(reps):
            t0 = time.perf_counter()
            [task_json(t, now=now) for t in rows]
            calls.append(time.perf_counter() - t0)
    return pct(calls, 50) * 1000


def migrate_or_heads(url: str) -> str:
    """`db.engine.migrate`; if the migrations have several heads (a merge migration is missing), upgrade to all
    heads instead so the benchmark still runs, and say so."""
    from alembic import command
    from alembic.util import CommandError

    try:
        migrate(url)
        return ""
    except CommandError as exc:
        if "head" not in str(exc).lower():
            raise
        command.upgrade(alembic_config(url), "heads")
        return f"db.engine.migrate failed ({exc}); upgraded to 'heads' instead"


def run_inbox(*, url: str, label: str, tasks: int, reps: int, workdir: Path, http: bool,
              after_fill: Callable[[Engine], None] | None = None) -> dict[str, Any]:
    """Migrate a fresh database at `url`, fill it, time the inbox; the engine is disposed at the end."""
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    warning = migrate_or_heads(url)
    if warning:
        print(f"  !! {warning}")
    engine = make_engine(url)
    try:
        t1 = time.perf_counter()
        counts = fill(engine, tasks=tasks, now=now)
        t2 = time.perf_counter()
        if after_fill is not None:
            after_fill(engine)
        result: dict[str, Any] = {
            "database": label, "tasks": tasks, "migrate_s": t1 - t0, "fill_s": t2 - t1, "warning": warning,
            "open_operator": counts.get("operator/open", 0),
            "open_city_bureau": counts.get("city_bureau/open", 0),
            "queries": time_inbox(engine, now=now, reps=reps),
            "serialize_p50_ms": time_serialization(engine, now=now, reps=50),
        }
        if http:
            result["http"] = asyncio.run(time_http(engine, workdir=workdir, now=now, reps=reps))
        return result
    finally:
        engine.dispose()


@contextmanager
def fresh_pg(server_url: str) -> Any:
    """A new, empty PostgreSQL database on the server (dropped afterwards); yields its SQLAlchemy URL."""
    base = server_url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"flow168_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.rsplit("/", 1)[0] + f"/{name}"
        finally:
            with admin.connect() as c:
                c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                          {"n": name})
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


def analyze(engine: Engine) -> None:
    """PostgreSQL's autovacuum would have analysed a table this size; do it now so plans are steady-state."""
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE task"))
        conn.execute(sa.text('ANALYZE "case"'))


def print_inbox(r: dict[str, Any]) -> None:
    print(f"{r['database']}: {r['tasks']:,} task rows ({r['open_operator']:,} open for operators, "
          f"{r['open_city_bureau']:,} open for city bureaus) inserted in {r['fill_s']:.1f} s "
          f"(migrations {r['migrate_s']:.1f} s)")
    for q in r["queries"]:
        print(f"  {q['query']:44s} p50 {q['p50_ms']:7.2f} ms  p95 {q['p95_ms']:7.2f} ms   "
              f"(SQL count {q['count_p50_ms']:.2f} + page {q['page_p50_ms']:.2f} ms; {q['rows']} of {q['total']:,})")
        for p in q["plans"]:
            print(f"      plan {p[:220]}")
    print(f"  task_json of a 50-task page (API serialisation): p50 {r['serialize_p50_ms']:.2f} ms")
    for h in r.get("http", []):
        print(f"  {h['query']:44s} p50 {h['p50_ms']:7.2f} ms  p95 {h['p95_ms']:7.2f} ms   "
              f"({h['bytes'] / 1024:.0f} KiB, in-process ASGI)")


if __name__ == "__main__":
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description="inbox query only")
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("-r", type=int, default=200)
    ap.add_argument("--pg", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="flow168-bench-") as tmp:
        print_inbox(run_inbox(url=f"sqlite:///{tmp}/inbox.db", label="SQLite", tasks=args.n, reps=args.r,
                              workdir=Path(tmp), http=True))
        if args.pg:
            with fresh_pg("postgresql://postgres@127.0.0.1:5432/postgres") as url:
                print_inbox(run_inbox(url=url, label="PostgreSQL", tasks=args.n, reps=args.r, workdir=Path(tmp),
                                      http=True, after_fill=analyze))
