"""Issue 9: window-platform onboarding through the HTTP API on the simulated clock, against the bare engine.

    .venv/bin/python -m bench.window_onboarding            # 50 onboardings at once, to `connected`
    .venv/bin/python -m bench.window_onboarding --quick    # 10

Each onboarding: the builder uploads its 3 materials and applies -> hub review -> 3 blind expert assessments ->
bureau approval -> public notice; the clock is advanced once past every notice (5 working days); then adaptation ->
connection check -> `connected`. Printed: lifecycles/s, and the bare engine's lifecycles/s on the same server with
the same counts (the activities and Updates of one application run's history: bench/baseline.py).
Setup (untimed): platform organisations and users written into the stack's database, tokens minted.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.baseline import run_bare_lifecycles
from bench.certification_life import advance_until, case_json, wait_all
from bench.client import BenchError
from bench.common import banner, kill_all, machine, pct
from bench.simstack import CITIES, SimStack, staff_tokens
from bench.voucher_life import upload
from bench.voucher_rush import complete, statuses
from db.models import Task

STAFF = ["admin", "operator1", "operator2", "department1", *[f"expert{i}" for i in range(1, 6)]]


async def task_id(st: SimStack, task_type: str, case_id: str, timeout: float = 180, assignee: str | None = None) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with Session(st.reads) as s:
            q = select(Task.id).where(Task.case_id == case_id, Task.type == task_type,
                                      col(Task.status).in_(("open", "claimed")))
            if assignee is not None:
                q = q.where(Task.assignee == assignee)
            found = s.exec(q).first()
            s.commit()
        if found:
            return str(found)
        await asyncio.sleep(0.1)
    raise BenchError(f"no open {task_type} for {case_id} after {timeout:.0f}s")


async def to_notice(st: SimStack, builder: str, city: str) -> tuple[str, datetime]:
    """Apply and walk the case into its public notice; returns the case id and when the notice closes."""
    materials = {k: await upload(st, builder, k) for k in ("application_form", "service_capability", "security_measures")}
    data = {"platform_name": f"基准窗口平台{uuid.uuid4().hex[:6]}", "city": city, "coverage": "region",
            "coverage_detail": "全市", "service_products": [{"name": "政策咨询", "description": "惠企政策解读"}],
            "staff": 10, "premises_sqm": 200, "materials": materials}
    r = await st.api.call("POST", "/api/cases", builder, headers={"Idempotency-Key": uuid.uuid4().hex},
                          json={"type": "window_onboarding", "data": data})
    if r.status_code != 201:
        raise BenchError(f"apply as {builder}: {r.status_code} {r.text[:300]}")
    cid = str(r.json()["id"])
    await complete(st, "operator1", await task_id(st, "window_onboarding.hub_review", cid), "approve", {})
    experts: list[str] = []
    for _ in range(300):
        experts = (await case_json(st, cid))["result"].get("experts") or []
        if experts:
            break
        await asyncio.sleep(0.2)
    for n, expert in enumerate(experts):
        await complete(st, expert, await task_id(st, "window_onboarding.expert_assessment", cid, assignee=expert),
                       "approve", {"score": 75 + n, "opinion": "服务能力较强", "no_conflict": True})
    await complete(st, "department1", await task_id(st, "window_onboarding.bureau_approval", cid), "approve", {})
    for _ in range(600):
        case = await case_json(st, cid)
        notice = [d for d in case["deadlines"] if d["name"] == "public_notice"]
        if case["status"] == "public_notice" and notice:
            return cid, datetime.fromisoformat(notice[0]["closes_at"])
        await asyncio.sleep(0.2)
    raise BenchError(f"{cid}: no public notice")


async def to_connected(st: SimStack, builder: str, cid: str) -> None:
    await complete(st, builder, await task_id(st, "window_onboarding.adaptation", cid), "submit",
                   {"report": "已完成软硬件改造"})
    await complete(st, "operator2", await task_id(st, "window_onboarding.connection_check", cid), "approve",
                   {"passed": True, "report": "验证通过"})


async def run(n: int, workdir: Path) -> dict[str, Any]:
    st = SimStack(workdir)
    out: dict[str, Any] = {"n": n}
    try:
        await st.start()
        out["boot_s"] = st.boot_s
        staff_tokens(st, STAFF)
        at = await st.now()
        builders = [u for u, _ in st.add_orgs("platform_org", n, f"win{uuid.uuid4().hex[:4]}", at)]
        err0 = st.api.server_errors
        t0 = time.perf_counter()
        got = await asyncio.wait_for(asyncio.gather(
            *(to_notice(st, b, CITIES[i % 5]) for i, b in enumerate(builders)), return_exceptions=True), 1200)
        ok = [(b, g) for b, g in zip(builders, got, strict=True) if not isinstance(g, BaseException)]
        errors = [repr(g) for g in got if isinstance(g, BaseException)]
        out["notice_s"] = time.perf_counter() - t0
        if ok:
            await advance_until(st, max(closes for _, (_, closes) in ok) + timedelta(hours=1))
        walls: list[float] = []

        async def connect(b: str, cid: str) -> None:
            t = time.perf_counter()
            await to_connected(st, b, cid)
            walls.append(time.perf_counter() - t)

        done = await asyncio.gather(*(connect(b, cid) for b, (cid, _) in ok), return_exceptions=True)
        errors += [repr(g) for g in done if isinstance(g, BaseException)]
        ids = {cid for _, (cid, _) in ok}
        connected = await wait_all(st, ids, "connected", 300) if ids else 0
        elapsed = time.perf_counter() - t0
        out.update(elapsed_s=elapsed, connected=connected, errors=errors, walls=walls, status=dict(statuses(st, ids)),
                   server_errors=st.api.server_errors - err0, requests=st.api.requests)
        client = await Client.connect(f"127.0.0.1:{st.temporal_port}", data_converter=pydantic_data_converter)
        first = next(iter(ids))
        # The application run (it ends in continue-as-new at the connection): the shape a bare workflow copies.
        handle = client.get_workflow_handle(first)
        history = await handle.fetch_history()
        run_id = history.events[0].workflow_execution_started_event_attributes.first_execution_run_id
        shape = await counts_of(client, first, run_id)
        out["shape"] = shape
        out["bare"] = await run_bare_lifecycles(client, n=n, concurrency=n, activities=shape["activities"],
                                                updates=shape["updates"])
        return out
    finally:
        await st.stop()


async def counts_of(client: Client, case_id: str, run_id: str | None) -> dict[str, int]:
    """Activities (of which local), Updates, timers and events of one run of the case's workflow."""
    from bench.history import shape_of

    return await shape_of(client, case_id, run_id)


def report(r: dict[str, Any]) -> None:
    n, e, shape, bare = r["n"], r["elapsed_s"], r["shape"], r["bare"]
    print(f"stack up in {r['boot_s']:.1f} s; {n} window onboardings at once, all through the API")
    print(f"  apply -> public notice {r['notice_s']:7.1f} s")
    print(f"  connected              {r['connected']}/{n} after {e:.1f} s = {r['connected'] / e:.2f} lifecycles/s = "
          f"{r['connected'] * shape['updates'] / e:.1f} Updates/s")
    if r["walls"]:
        print(f"  adaptation..connected  p50 {pct(r['walls'], 50):.1f} s   p95 {pct(r['walls'], 95):.1f} s")
    print(f"  final status           {r['status']}; HTTP 5xx retried: {r['server_errors']}; "
          f"{len(r['errors'])} failed")
    for err in r["errors"][:3]:
        print(f"    ERROR {err[:300]}")
    print(f"  one application run    {shape['activities']} activities, {shape['updates']} Updates, "
          f"{shape['timers']} timers, {shape['events']} events")
    print(f"bare engine, same server, same counts, {bare['n']} at once:")
    print(f"  whole run              {bare['elapsed_s']:7.1f} s = {bare['per_s']:.2f} lifecycles/s = "
          f"{bare['updates_per_s']:.1f} Updates/s; wall p50 {bare['wall_p50_s']:.1f} s")
    print(f"  ratio window / bare    {(r['connected'] / e) / bare['per_s']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("--quick", action="store_true", help="10 onboardings")
    ap.add_argument("--keep", default=None, help="keep the stack's data and log in this folder")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the stack's process group is ended too
    n = 10 if args.quick else args.n
    m = machine()
    banner(f"window onboarding: {n} at once to connected ({m['date']}, {m['nproc']} cores, load {m['load']})")
    try:
        with tempfile.TemporaryDirectory(prefix="flow168-window-") as tmp:
            report(asyncio.run(run(n, Path(args.keep or tmp))))
    finally:
        kill_all()


if __name__ == "__main__":
    main()
