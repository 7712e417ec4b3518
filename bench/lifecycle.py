"""Part 2, the provider-admission lifecycle through the HTTP API of a real flow168 stack (real clock, dev server).

Setup (timed separately): register M providers and have an operator approve each registration.
Timed: M lifecycles, at most `concurrency` at once, each: submit the case -> the operator claims and approves
-> an expert claims and approves -> the department claims and files -> wait until the case reads `filed`.
Each step's phases are timed too (waiting for the task to show up, claim, complete), so the report says where
a lifecycle's time goes.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from bench.client import POLL_S, PROVIDER_PASSWORD, Api, BenchError, new_uscc
from bench.common import BIN, ROOT, cpu_by_name, free_port, kill_group, pct, spawn
from bench.history import history_breakdown

CITIES = ["yinchuan", "shizuishan", "wuzhong", "guyuan", "zhongwei"]
STEPS = [
    ("operator", "provider_admission.operator_review", {}),
    ("expert", "provider_admission.expert_review", {"score": 85, "opinion": "服务能力符合要求", "no_conflict": True}),
    ("department", "provider_admission.department_filing", {}),
]
ACTIVITIES_PER_LIFECYCLE = 11  # set_status, 3 x (open_task, close_task), file_provider, draft_document, set_status, notify
UPDATES_PER_LIFECYCLE = 3


async def register_provider(api: Api, i: int, run: str) -> tuple[str, float]:
    """Register provider i, approve its registration as an operator, log it in; returns (username, seconds)."""
    t0 = time.perf_counter()
    username = f"bench_{run}_{i}"
    body = {"kind": "provider", "username": username, "password": PROVIDER_PASSWORD,
            "org": {"name": f"宁夏基准测试{run}{i:03d}服务有限公司", "uscc": new_uscc(), "city": CITIES[i % 5],
                    "size": "small", "employees": 30, "revenue_fen": 800_000_000, "industry": "software",
                    "categories": ["credit"]}}
    r = await api.call("POST", "/api/register", json=body)
    if r.status_code not in (200, 201):
        raise BenchError(f"register {username}: {r.status_code} {r.text}")
    case_id = r.json()["case_id"]
    op = f"operator{i % 2 + 1}"
    task = await api.wait_task(op, "registration.review", case_id)
    await api.claim(op, task["id"])
    await api.complete(op, task["id"], {})
    end = time.monotonic() + 60
    while not await api.login(username, PROVIDER_PASSWORD):
        if time.monotonic() > end:
            raise BenchError(f"{username} still cannot log in after approval")
        await asyncio.sleep(POLL_S)
    return username, time.perf_counter() - t0


async def lifecycle(api: Api, i: int, provider: str, timeout: float = 120) -> tuple[str, dict[str, float]]:
    """One provider-admission case from submission to `filed`; returns its id and the seconds of each phase."""
    phases: dict[str, float] = {}
    t = t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        phases[name] = now - t
        t = now

    r = await api.call("POST", "/api/cases", provider, headers={"Idempotency-Key": uuid.uuid4().hex},
                       json={"type": "provider_admission", "data": {
                           "categories": ["credit"], "description": "信用服务",
                           "service_items": [{"name": "信用评价", "price_fen": 300000}]}})
    if r.status_code != 201:
        raise BenchError(f"submit as {provider}: {r.status_code} {r.text}")
    case_id = r.json()["id"]
    lap("submit (POST /api/cases)")
    users = {"operator": f"operator{i % 2 + 1}", "expert": f"expert{i % 5 + 1}", "department": f"department{i % 2 + 1}"}
    for role, task_type, data in STEPS:
        user = await api.panel_expert(case_id, timeout=timeout) if role == "expert" else users[role]
        task = await api.wait_task(user, task_type, case_id, timeout=timeout)
        lap(f"{role}: wait until task listed")
        await api.claim(user, task["id"])
        lap(f"{role}: claim")
        await api.complete(user, task["id"], data)
        lap(f"{role}: complete (Update)")
    await api.wait_status(provider, case_id, "filed", timeout=timeout)
    lap("wait until case filed")
    phases["total"] = time.perf_counter() - t0
    return case_id, phases


def _launcher_env(work: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "TEMPORAL_ADDRESS", "SMTP_URL", "SECRET_KEY")}
    env.update(PORT=str(port), DATA_DIR=str(work), TEMPORAL_PORT=str(free_port()),
               TEMPORAL_UI_PORT=str(free_port()), CLOCK="real", DEMO="1", PYTHONUNBUFFERED="1",
               # Every provider registers from 127.0.0.1: the per-address limit (20 an hour) would refuse the 21st.
               REGISTRATIONS_PER_ADDRESS_PER_HOUR="100000")
    return env


def _log_tail(work: Path, lines: int = 6) -> str:
    path = work / "launcher.log"
    text = path.read_text(errors="replace") if path.exists() else ""
    return " | ".join(line.strip() for line in text.splitlines()[-lines:])


async def _wait_healthy(api: Api, proc: Any, timeout: float, work: Path) -> float:
    t0 = time.perf_counter()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError(f"launcher.py exited with {proc.returncode} before /healthz answered; "
                             f"its log ends: {_log_tail(work)}")
        try:
            if (await api.http.get("/healthz")).status_code == 200:
                return time.perf_counter() - t0
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise BenchError(f"/healthz did not answer within {timeout:.0f}s")


def _temporal_address(work: Path) -> str | None:
    """The dev server's address, from the launcher's log line "Temporal dev server on 127.0.0.1:PORT"."""
    text = (work / "launcher.log").read_text(errors="replace")
    m = re.search(r"Temporal dev server on (127\.0\.0\.1:\d+)", text)
    return m.group(1) if m else None


def _log_findings(work: Path, sqlite: bool) -> dict[str, Any]:
    """Errors in the stack's log and activities still recorded as failing in its database."""
    # launcher.log, and since issue 12 the web app's and each worker's own log beside it.
    text = "\n".join(p.read_text(errors="replace") for p in sorted(work.glob("*.log"))
                     if p.name == "launcher.log" or p.name == "web.log" or p.name.startswith("worker-"))
    out: dict[str, Any] = {
        "log_errors": sum(1 for line in text.splitlines() if " ERROR " in line or line.startswith("Traceback")),
        "log_locked": text.count("database is locked"),
        "log_activity_failures": text.count("Completing activity as failed"),
        "log_slow_wft": text.count("Workflow task duration exceeded"),
    }
    db = work / "flow168.db"
    if sqlite and db.exists():
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            out["failing_activities"] = con.execute("SELECT count(*) FROM activityfailure").fetchone()[0]
            out["filed_cases"] = con.execute(
                "SELECT count(*) FROM \"case\" WHERE type='provider_admission' AND status='filed'").fetchone()[0]
        finally:
            con.close()
    return out


async def measure(api: Api, proc: Any, providers: list[str], *, concurrency: int,
                  deadline_s: float) -> dict[str, Any]:
    """Run one lifecycle per provider, `concurrency` at a time; figures, phases, CPU and errors of the run."""
    requests0, stale0, err0, ended0 = api.requests, api.stale_409, api.server_errors, api.ended_409
    api.slowest = 0.0
    cpu0, me0 = cpu_by_name(proc.pid), time.process_time()
    errors: list[str] = []
    results: list[dict[str, float]] = []
    case_ids: list[str] = []
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            try:
                case_id, phases = await lifecycle(api, i, providers[i])
                results.append(phases)
                case_ids.append(case_id)
            except BenchError as exc:
                errors.append(str(exc))

    t0 = time.perf_counter()
    tasks = [asyncio.create_task(one(i)) for i in range(len(providers))]
    _, pending = await asyncio.wait(tasks, timeout=deadline_s)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    elapsed = time.perf_counter() - t0
    cpu1, me1 = cpu_by_name(proc.pid), time.process_time()
    by_phase: dict[str, list[float]] = defaultdict(list)
    for r in results:
        for k, v in r.items():
            by_phase[k].append(v)
    totals = by_phase.get("total", [])
    return {
        "case_ids": case_ids,
        "lifecycles": len(providers),
        "completed": len(results),
        "unfinished": len(pending),
        "errors": errors,
        "concurrency": concurrency,
        "elapsed_s": elapsed,
        "lifecycles_per_s": len(results) / elapsed,
        "lifecycle_p50_s": pct(totals, 50),
        "lifecycle_p95_s": pct(totals, 95),
        "lifecycle_max_s": max(totals, default=float("nan")),
        "phase_p50_s": {k: pct(vs, 50) for k, vs in by_phase.items()},
        "phase_mean_s": {k: sum(vs) / len(vs) for k, vs in by_phase.items()},
        "requests": api.requests - requests0,
        "slowest_request_s": api.slowest,
        "stale_409": api.stale_409 - stale0,
        "server_errors": api.server_errors - err0,
        "ended_409": api.ended_409 - ended0,
        "cpu_s": {name: cpu1.get(name, 0.0) - cpu0.get(name, 0.0) for name in cpu1},
        "cpu_bench_s": me1 - me0,
    }


async def run_lifecycles(*, lifecycles: int, concurrency: int, serial: int, workdir: str,
                         database_url: str | None = None, deadline_s: float = 120) -> dict[str, Any]:
    """Start flow168 (launcher.py, real clock), register providers, run the lifecycles, return the figures.

    `serial` lifecycles run one at a time first, then `lifecycles` run `concurrency` at a time.
    """
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = _launcher_env(work, port)
    if database_url:
        env["DATABASE_URL"] = database_url
    log = open(work / "launcher.log", "ab")  # closed in finally
    proc = spawn([str(BIN / "python"), str(ROOT / "launcher.py")], log=log, env=env)
    api = Api(f"http://127.0.0.1:{port}")
    run = uuid.uuid4().hex[:6]
    try:
        boot_s = await _wait_healthy(api, proc, 120, work)
        for u in ["operator1", "operator2", "department1", "department2", *[f"expert{k}" for k in range(1, 6)]]:
            if not await api.login(u):
                raise BenchError(f"demo user {u} cannot log in")
        # Setup, one registration at a time (concurrent requests can stall the SQLite stack, see the report).
        t0 = time.perf_counter()
        regs = [await register_provider(api, i, run) for i in range(max(lifecycles, serial) + 1)]
        reg_s = time.perf_counter() - t0
        providers = [u for u, _ in regs]
        setup_errors, setup_stale = api.server_errors, api.stale_409
        # Warm-up: one lifecycle alone (imports, first document render, sandbox caches), not counted.
        _, warm = await lifecycle(api, 0, providers[-1])
        one_by_one = await measure(api, proc, providers[:serial], concurrency=1, deadline_s=deadline_s)
        together = await measure(api, proc, providers[:lifecycles], concurrency=concurrency, deadline_s=deadline_s)
        address = _temporal_address(work)
        for r in (one_by_one, together):
            r["history"] = await history_breakdown(address, r["case_ids"]) if address and r["case_ids"] else {}
        if address and together["case_ids"]:
            together["bare"] = await same_counts_baseline(address, together["case_ids"][0], n=lifecycles,
                                                          concurrency=concurrency)
        return {
            "database": "PostgreSQL" if database_url else "SQLite",
            "boot_s": boot_s,
            "registrations": len(regs),
            "registrations_s": reg_s,
            "registrations_per_s": len(regs) / reg_s,
            "registration_p50_s": pct([s for _, s in regs], 50),
            "registration_p95_s": pct([s for _, s in regs], 95),
            "setup_server_errors": setup_errors,
            "setup_stale_409": setup_stale,
            "warm_lifecycle_s": warm["total"],
            "serial": one_by_one,
            "concurrent": together,
            **_log_findings(work, database_url is None),
        }
    finally:
        await api.close()
        kill_group(proc)
        log.close()


async def same_counts_baseline(address: str, case_id: str, *, n: int, concurrency: int) -> dict[str, Any]:
    """The bare engine on the stack's own Temporal server, doing what one finished case's history shows (its
    activities, Updates and due-date timers, as no-ops: bench.baseline.BareLifecycleWorkflow), `n` times,
    `concurrency` at once, right after flow168's run: like against like, in the same run (issue 12)."""
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    from bench.baseline import run_bare_lifecycles
    from bench.history import shape_of

    client = await Client.connect(address, data_converter=pydantic_data_converter)
    shape = await shape_of(client, case_id)
    kw: dict[str, Any] = {"n": n, "concurrency": concurrency, "activities": shape["activities"],
                          "updates": shape["updates"], "timers": shape["timers"], "bidding_days": 0}
    bare = await run_bare_lifecycles(client, **kw)
    local = await run_bare_lifecycles(client, **kw, local=True) if shape["local_activities"] else None
    return {**bare, "local": local, "case_activities": shape["activities"], "case_local": shape["local_activities"],
            "case_updates": shape["updates"], "case_timers": shape["timers"]}


def print_run(r: dict[str, Any], baseline: dict[str, float] | None) -> None:
    """One measured run (serial or concurrent) of part 2."""
    print(f"{r['completed']}/{r['lifecycles']} lifecycles, {r['concurrency']} at a time, in {r['elapsed_s']:.2f} s"
          f" ({r['requests']} HTTP requests; inbox and case polled every {POLL_S * 1000:.0f} ms)")
    if r["unfinished"]:
        print(f"  !! {r['unfinished']} lifecycles unfinished at the deadline")
    print(f"  throughput          {r['lifecycles_per_s']:8.2f} lifecycles/s  "
          f"({r['lifecycles_per_s'] * UPDATES_PER_LIFECYCLE:.2f} updates/s)")
    print(f"  one lifecycle       p50 {r['lifecycle_p50_s'] * 1000:7.0f} ms   p95 {r['lifecycle_p95_s'] * 1000:7.0f} ms"
          f"   max {r['lifecycle_max_s'] * 1000:7.0f} ms")
    if baseline and r["lifecycles_per_s"] > 0:
        wf = baseline["workflows_per_s"]
        print(f"  vs bare engine      {r['lifecycles_per_s'] / wf:.3f} lifecycles/s per baseline workflow/s "
              f"({r['lifecycles_per_s']:.2f} / {wf:.1f})")
        print(f"  per update          {r['lifecycles_per_s'] * UPDATES_PER_LIFECYCLE / wf:.3f} "
              f"({UPDATES_PER_LIFECYCLE} updates + {ACTIVITIES_PER_LIFECYCLE} activities per lifecycle, vs 1 + 2)")
        print(f"  per activity        {r['lifecycles_per_s'] * ACTIVITIES_PER_LIFECYCLE / (wf * 2):.3f}")
    bare = r.get("bare")
    if bare:
        print(f"  bare engine, same server, same counts ({bare['case_activities']} activities, {bare['case_updates']} "
              f"Updates, {bare['case_timers']} timers), {bare['n']} at {r['concurrency']} at a time: "
              f"{bare['per_s']:.2f} lifecycles/s")
        if r["lifecycles_per_s"] > 0:
            print(f"  ratio to it         {r['lifecycles_per_s'] / bare['per_s']:.3f} (issue 12's like-for-like ratio; "
                  f"flow168 ran {bare['case_local']} of its activities as local ones, the bare engine none)")
        if bare.get("local") and r["lifecycles_per_s"] > 0:
            print(f"  the same with local activities: {bare['local']['per_s']:.2f} lifecycles/s; ratio "
                  f"{r['lifecycles_per_s'] / bare['local']['per_s']:.3f}")
    mean_total = r["phase_mean_s"].get("total", 0.0) or 1.0
    if r["completed"]:
        print("  where one lifecycle's time goes (per phase: p50, mean, share of the mean lifecycle):")
    for k, v in r["phase_p50_s"].items():
        if k == "total":
            continue
        m = r["phase_mean_s"][k]
        print(f"    {k:34s} p50 {v * 1000:7.0f} ms   mean {m * 1000:7.0f} ms  {m / mean_total:6.1%}")
    cpu = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(r["cpu_s"].items(), key=lambda kv: -kv[1]) if v > 0.05)
    print(f"  CPU: {cpu}; bench client {r['cpu_bench_s']:.1f} s; over {r['elapsed_s']:.1f} s wall")
    if r["completed"]:
        per = ", ".join(f"{k} {v / r['completed'] * 1000:.0f} ms" for k, v in
                        sorted(r["cpu_s"].items(), key=lambda kv: -kv[1]) if v > 0.05)
        print(f"  CPU per finished lifecycle: {per}")
    print(f"  HTTP 5xx {r['server_errors']}, 409 'no longer open' on a task just listed {r['stale_409']}, "
          f"409 'process has already ended' on a running case {r['ended_409']}, "
          f"slowest request {r['slowest_request_s'] * 1000:.0f} ms")
    for e in r["errors"][:5]:
        print(f"  ERROR {e[:300]}")
    h = r.get("history") or {}
    if h:
        print(f"  from the Temporal histories of the {h['cases']} cases (medians; queue = scheduled -> started):")
        for k in sorted(h["run_p50_ms"], key=lambda k: -h["run_p50_ms"][k] * h["count"][k]):
            q = h["queue_p50_ms"].get(k)
            qs = f"queue {q:6.1f} ms  " if q is not None else " " * 17
            print(f"    {k:34s} x{h['count'][k]:4.1f}  {qs}run {h['run_p50_ms'][k]:6.1f} ms")
        print("    per case, summed: " + ", ".join(f"{k} {v:.0f} ms" for k, v in h["per_case_p50_ms"].items()))


def print_lifecycles(r: dict[str, Any], baseline: dict[str, float] | None) -> None:
    print(f"flow168 on {r['database']}, real clock, Temporal dev server; up (/healthz) in {r['boot_s']:.1f} s")
    print(f"setup: {r['registrations']} provider registrations one at a time in {r['registrations_s']:.1f} s"
          f" = {r['registrations_per_s']:.2f}/s; one registration (register, operator claims + approves, login) "
          f"p50 {r['registration_p50_s'] * 1000:.0f} ms, p95 {r['registration_p95_s'] * 1000:.0f} ms"
          f" (5xx {r['setup_server_errors']}, early 409 {r['setup_stale_409']})")
    print(f"warm-up lifecycle alone: {r['warm_lifecycle_s'] * 1000:.0f} ms")
    print("-- one at a time")
    print_run(r["serial"], baseline)
    print("-- concurrently")
    print_run(r["concurrent"], baseline)
    line = (f"stack log: {r['log_errors']} ERROR/Traceback lines, {r['log_locked']} 'database is locked', "
            f"{r['log_slow_wft']} 'workflow task duration exceeded', {r['log_activity_failures']} failed activity attempts")
    if "failing_activities" in r:
        line += f"; activityfailure rows {r['failing_activities']}"
    print(line)


if __name__ == "__main__":
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description="provider-admission lifecycles only")
    ap.add_argument("-n", type=int, default=40)
    ap.add_argument("-c", type=int, default=10)
    ap.add_argument("-s", type=int, default=10, help="lifecycles one at a time first")
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--keep", default=None, help="keep the stack's data and log in this folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="flow168-bench-") as tmp:
        print_lifecycles(asyncio.run(run_lifecycles(lifecycles=args.n, concurrency=args.c, serial=args.s,
                                                    workdir=args.keep or tmp, database_url=args.database_url)), None)
