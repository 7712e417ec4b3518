"""Issue 3 (b): whole voucher lifecycles through the HTTP API, and a bare workflow with the same counts.

    .venv/bin/python -m bench.voucher_life            # 40 lifecycles, 20 at once
    .venv/bin/python -m bench.voucher_life --quick    # 10 lifecycles, 10 at once

On a CLOCK=simulated stack (bench/simstack.py; organisations and users written into its database, untimed),
each lifecycle is every step a real voucher takes, through the API: demand -> demand review -> the provider's
bid -> (the clock advanced once past every bidding deadline) -> choose bid -> award -> 5 material uploads ->
apply (fund reserved) -> first review -> final review -> delivery (2 uploads) -> confirm -> settlement review ->
settlement approval -> `settled`. Timed from the first demand to the last settlement, clock advance included.

Then, on the same Temporal server, the bare engine doing the same work: a workflow with as many no-op activities
and Updates as one voucher's recorded history shows (bench/baseline.py, BareLifecycleWorkflow), run just as many
times at the same concurrency. The ratio is voucher lifecycles/s over bare lifecycles/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.baseline import run_bare_lifecycles
from bench.client import BenchError
from bench.common import banner, cpu_by_name, kill_all, loadavg, machine, pct
from bench.history import shape_of
from bench.simstack import SimStack, add_pg_option, database, staff_tokens
from bench.voucher_rush import MATERIALS, PDF, complete, statuses
from db.engine import _GateStats
from db.models import Case, Task
from payloads import DATA_CONVERTER, payload_walks_as_shipped, skip_empty_payload_walks

CONTRACT_FEN = 600_000
POLL_S = float(os.environ.get("BENCH_POLL_S", "0.05"))
GATE_WRITTEN_S = _GateStats.WRITTEN_EVERY_S + 0.2  # long enough for every process to have written its gate figures
PHASES: Counter[str] = Counter()  # seconds spent per kind of wait, summed over the lifecycles (choose..settled)


# The bare lifecycles run beside the comparator (every activity a regular one, the SDK as shipped): the key in
# run()'s result, the ratio's label, what the bare engine does differently.
VARIANTS = (("local", "with local activities", "every activity a local one"),
            ("tuned", "with flow168's payload settings", "flow168's payload settings (payloads.py)"))

UPDATES = ("demand_review", "choose_bid", "award_review", "apply", "first_review", "final_review", "delivery",
           "confirm", "settlement_review", "settlement_approval")


_TASK, _CASE = Task.__table__.c, Case.__table__.c  # type: ignore[attr-defined]
_OPEN_TASKS = select(_TASK.id, _TASK.case_id, _TASK.type).where(_TASK.case_id.in_(bindparam("ids", expanding=True)),
                                                                 _TASK.status.in_(("open", "claimed")))
_STATUSES = select(_CASE.id, _CASE.status).where(_CASE.id.in_(bindparam("ids", expanding=True)))


class Watch:
    """The driver's view of the open tasks and statuses: ONE reader polls the database every POLL_S for every case of
    the run and wakes the lifecycles waiting on them (as the bare driver's activity wakes its own at once).

    Before this (until the ninth round), each of the 20 lifecycles polled for itself every 0.25 s: 0.1–0.2 s of the
    driver's own delay per step, 1–2 s per lifecycle that the bare comparator, woken in-process, never had."""

    def __init__(self, st: SimStack) -> None:
        self.st = st
        self.cases: set[str] = set()
        self.tasks: dict[tuple[str, str], str] = {}
        self.status: dict[str, str] = {}
        self.changed = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()

    def _read(self) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
        ids = list(self.cases)
        # Core statements on a read-only connection (until the fourteenth round an ORM session: a third of this
        # driver's CPU, on the cores the measured stack runs on).
        with self.st.reads.connect() as conn:
            tasks = {(c, t): i for i, c, t in conn.execute(_OPEN_TASKS, {"ids": ids})}
            status = {str(c): str(s) for c, s in conn.execute(_STATUSES, {"ids": ids})}
        return tasks, status

    async def _run(self) -> None:
        while True:
            if self.cases:
                self.tasks, self.status = self._read()
                self.changed.set()
                self.changed = asyncio.Event()
            await asyncio.sleep(POLL_S)

    async def until(self, what: str, found: Any, timeout: float = 300) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = found()
            if got:
                return got
            try:
                await asyncio.wait_for(self.changed.wait(), max(end - time.monotonic(), 0.01))
            except TimeoutError:
                break
        raise BenchError(f"{what} after {timeout:.0f}s")


_WATCHES: dict[int, Watch] = {}


def watch(st: SimStack) -> Watch:
    """The stack's one poller, started the first time a lifecycle waits (bench.programme_year drives lifecycles too)."""
    w = _WATCHES.get(id(st))
    if w is None or w.st is not st:
        w = _WATCHES[id(st)] = Watch(st)
        w.start()
    return w


async def unwatch(st: SimStack) -> None:
    """Stop the stack's poller (before the stack stops)."""
    w = _WATCHES.pop(id(st), None)
    if w is not None:
        await w.stop()


async def task_id(st: SimStack, case_id: str, task_type: str, timeout: float = 300) -> str:
    """Wait until the case's task of that type is open (seen by the stack's one poller)."""
    w = watch(st)
    w.cases.add(case_id)
    return str(await w.until(f"no open {task_type} on {case_id}", lambda: w.tasks.get((case_id, task_type)), timeout))


async def case_in(st: SimStack, case_id: str, wanted: set[str], timeout: float = 300) -> str:
    w = watch(st)
    w.cases.add(case_id)
    return str(await w.until(f"{case_id} not in {wanted}",
                             lambda: w.status.get(case_id) if w.status.get(case_id) in wanted else None, timeout))


async def upload(st: SimStack, user: str, name: str) -> str:
    r = await st.api.call("POST", "/api/uploads", user, files={"file": (f"{name}.pdf", PDF, "application/pdf")})
    if r.status_code != 201:
        raise BenchError(f"upload as {user}: {r.status_code} {r.text[:300]}")
    return str(r.json()["id"])


async def step(st: SimStack, user: str, case_id: str, kind: str, decision: str = "approve",
               data: dict[str, Any] | None = None) -> None:
    t0 = time.perf_counter()
    tid = await task_id(st, case_id, f"voucher.{kind}")
    t1 = time.perf_counter()
    await complete(st, user, tid, decision, data or {})
    PHASES["wait for task"] += t1 - t0
    PHASES["complete"] += time.perf_counter() - t1


async def until_bid(st: SimStack, ent: str, prov: str) -> tuple[str, str]:
    """Demand, its review, and the provider's bid once bidding is open."""
    r = await st.api.call("POST", "/api/cases", ent, headers={"Idempotency-Key": uuid.uuid4().hex},
                          json={"type": "voucher", "data": {"category": "credit", "title": "信用评价服务",
                                                            "description": "企业信用评级", "budget_fen": CONTRACT_FEN}})
    if r.status_code != 201:
        raise BenchError(f"demand as {ent}: {r.status_code} {r.text[:300]}")
    case_id = str(r.json()["id"])
    await step(st, "operator1", case_id, "demand_review")
    await case_in(st, case_id, {"bidding"})
    r = await st.api.call("POST", f"/api/cases/{case_id}/bids", prov,
                          json={"amount_fen": CONTRACT_FEN, "plan": "两周内完成信用评价"})
    if r.status_code != 201:
        raise BenchError(f"bid on {case_id}: {r.status_code} {r.text[:300]}")
    return case_id, str(r.json()["id"])


async def after_bidding(st: SimStack, ent: str, prov: str, case_id: str, bid_id: str) -> None:
    """Choose, award, apply with materials, two reviews, delivery, confirmation, settlement."""
    await step(st, ent, case_id, "choose_bid", "submit", {"bid_id": int(bid_id)})
    await step(st, "operator1", case_id, "award_review")
    t0 = time.perf_counter()
    materials = {m: await upload(st, ent, m) for m in MATERIALS}
    PHASES["uploads"] += time.perf_counter() - t0
    await step(st, ent, case_id, "apply", "submit", {"contract_amount_fen": CONTRACT_FEN, "materials": materials})
    await step(st, "operator1", case_id, "first_review")
    await step(st, "department1", case_id, "final_review")
    t0 = time.perf_counter()
    await case_in(st, case_id, {"issued"})
    t1 = time.perf_counter()
    proof, invoice = await upload(st, prov, "completion"), await upload(st, prov, "invoice")
    PHASES["wait for status"] += t1 - t0
    PHASES["uploads"] += time.perf_counter() - t1
    await step(st, prov, case_id, "delivery", "submit",
               {"completion_proof": proof, "invoice": invoice, "paid_fen": CONTRACT_FEN // 2})
    await step(st, ent, case_id, "confirm", "submit", {"satisfaction": "satisfied"})
    await step(st, "operator1", case_id, "settlement_review", data={})
    await step(st, "department1", case_id, "settlement_approval")
    t0 = time.perf_counter()
    await case_in(st, case_id, {"settled"})
    PHASES["wait for status"] += time.perf_counter() - t0
    watch(st).cases.discard(case_id)  # settled: the poller reads it no more


async def counts(client: Client, case_id: str) -> dict[str, int]:
    """Activities (of which local), Updates, timers and events in one finished voucher's history."""
    return await shape_of(client, case_id)


def server_cpu(st: SimStack) -> float:
    return sum(v for k, v in cpu_by_name(st.proc.pid).items() if k.startswith("temporal"))


async def run(n: int, concurrency: int, workdir: Path, database_url: str | None = None) -> dict[str, Any]:
    PHASES.clear()  # per round
    st = SimStack(workdir, database_url)
    try:
        await st.start()
        staff_tokens(st, ["admin", "operator1", "department1"])
        cleared = await st.clear_month_start(14)  # the bidding needs the clock 8 days on (a holiday may add some)
        at = await st.now()
        ents = [u for u, _ in st.add_orgs("enterprise", n, f"le{uuid.uuid4().hex[:4]}", at)]
        provs = [u for u, _ in st.add_orgs("provider", n, f"lp{uuid.uuid4().hex[:4]}", at, categories=["credit"],
                                           signed=True, signed_at=at, signed_source="bench")]
        sem = asyncio.Semaphore(concurrency)

        async def bounded(coro: Any) -> Any:
            async with sem:
                return await coro

        err0 = st.api.server_errors
        await asyncio.sleep(GATE_WRITTEN_S)  # the set-up's last turns at the write gate written out (untimed)
        gate0 = st.gate_stats()
        cpu0 = cpu_by_name(st.proc.pid)  # issue 12: CPU seconds by process, less sensitive to the load than wall time
        driver0 = time.process_time()  # this driver's own (the users' side: HTTP client, uploads, its one poller)
        t0 = time.perf_counter()
        got = await asyncio.gather(*(bounded(until_bid(st, e, p)) for e, p in zip(ents, provs, strict=True)))
        t_bids = time.perf_counter() - t0
        ids = {cid for cid, _ in got}
        advanced = 0
        while statuses(st, ids).get("bidding", 0) and advanced < 60:
            await st.advance(4)  # bidding lasts some working days; a long holiday may be in the way
            advanced += 4
            await asyncio.sleep(1)
        t_adv = time.perf_counter() - t0 - t_bids
        walls: list[float] = []

        async def rest(ent: str, prov: str, cid: str, bid: str) -> None:
            async with sem:
                t = time.perf_counter()
                await after_bidding(st, ent, prov, cid, bid)
                walls.append(time.perf_counter() - t)

        await asyncio.gather(*(rest(e, p, cid, bid) for e, p, (cid, bid) in zip(ents, provs, got, strict=True)))
        elapsed = time.perf_counter() - t0
        cpu1 = cpu_by_name(st.proc.pid)
        driver_cpu = time.process_time() - driver0
        await asyncio.sleep(GATE_WRITTEN_S)
        gate1 = st.gate_stats()
        load_run = loadavg()
        client = await Client.connect(f"127.0.0.1:{st.temporal_port}", data_converter=pydantic_data_converter)
        shape = await counts(client, next(iter(ids)))
        during0 = cpu_by_name(st.proc.pid)

        async def bare_run(on: Client, *, local: bool = False) -> dict[str, Any]:
            """The bare lifecycles with flow168's counts, with their CPU (the server's and this process's)."""
            server0, own0 = server_cpu(st), time.process_time()
            got = await run_bare_lifecycles(on, n=n, concurrency=concurrency, activities=shape["activities"],
                                            updates=shape["updates"], timers=shape["timers"], local=local)
            return {**got, "cpu_server_s": server_cpu(st) - server0, "cpu_python_s": time.process_time() - own0}

        with payload_walks_as_shipped():  # the engine as shipped (this process skips them after the first round)
            bare = await bare_run(client)
            if shape["local_activities"]:
                # flow168 runs its activities as local ones: the bare engine doing the same, like for like in mechanism.
                bare["local"] = await bare_run(client, local=True)
        # The bare engine with flow168's payload settings (payloads.py: one shared converter, no empty payload walks;
        # from here on for this driver process too): what the same SDK savings give a workflow that does nothing.
        skip_empty_payload_walks()
        bare["tuned"] = await bare_run(await Client.connect(f"127.0.0.1:{st.temporal_port}",
                                                            data_converter=DATA_CONVERTER))
        during1 = cpu_by_name(st.proc.pid)
        # flow168's own processes while the bare lifecycles ran (the bare's timers move the shared clock, so flow168's
        # open tasks may remind meanwhile): CPU they took from the bare runs.
        bare["flow168_cpu_s"] = sum(during1.get(k, 0.0) - during0.get(k, 0.0) for k in during1
                                    if not k.startswith("temporal"))
        return {"n": n, "concurrency": concurrency, "boot_s": st.boot_s, "elapsed_s": elapsed, "bids_s": t_bids,
                "advance_s": t_adv, "advanced_days": advanced, "walls": walls, "status": dict(statuses(st, ids)),
                "server_errors": st.api.server_errors - err0, "requests": st.api.requests, "shape": shape,
                "bare": bare, "load_run": load_run, "cleared": cleared,
                "gate": {k: [v[i] - gate0.get(k, [0, 0.0, 0.0, 0.0])[i] for i in range(4)] for k, v in gate1.items()},
                "cpu": {k: cpu1.get(k, 0.0) - cpu0.get(k, 0.0) for k in cpu1}, "driver_cpu_s": driver_cpu}
    finally:
        await unwatch(st)
        await st.stop()


def report(r: dict[str, Any]) -> None:
    n, e, shape, bare = r["n"], r["elapsed_s"], r["shape"], r["bare"]
    print(f"stack up in {r['boot_s']:.1f} s; {n} voucher lifecycles, {r['concurrency']} at once, all through the API")
    if r.get("cleared"):
        print(f"  untimed: the month's first day was within the run's 8+ days: {r['cleared']}")
    print(f"  demand -> bid for all  {r['bids_s']:7.1f} s; clock advanced {r['advanced_days']} days in "
          f"{r['advance_s']:.1f} s")
    print(f"  whole run              {e:7.1f} s = {n / e:.2f} lifecycles/s = {n * shape['updates'] / e:.1f} Updates/s")
    print(f"  choose..settled wall   p50 {pct(r['walls'], 50):.1f} s   p95 {pct(r['walls'], 95):.1f} s per lifecycle")
    gate = {k: v for k, v in r.get("gate", {}).items() if v[0] > 0}
    if gate:
        n_tx, held, cpu, waited = (sum(v[i] for v in gate.values()) for i in range(4))
        print(f"  write lock held        {held:.1f} s of the run ({held / e:.0%}), {1000 * held / n:.0f} ms per lifecycle in "
              f"{n_tx / n:.0f} transactions, {1000 * held / max(n_tx, 1):.1f} ms each (holder on CPU {cpu / held:.0%}); "
              "most held: " + ", ".join(f"{k} {v[0]}× {1000 * v[1] / v[0]:.1f} ms"
                                        for k, v in sorted(gate.items(), key=lambda kv: -kv[1][1])[:6]))
        print(f"  waited for the lock    {1000 * waited / max(n_tx, 1):.1f} ms per transaction on average, "
              f"{1000 * waited / n:.0f} ms per lifecycle; most waited: " + ", ".join(
                  f"{k} {1000 * v[3] / v[0]:.1f} ms" for k, v in sorted(gate.items(), key=lambda kv: -kv[1][3])[:4]))
    total = sum(PHASES.values())
    print("  where a lifecycle waits (its steps after the demand): " + ", ".join(
        f"{k} {v / n:.1f} s ({100 * v / total:.0f} %)" for k, v in PHASES.most_common())
        + f" per lifecycle; one driver poller every {POLL_S} s")
    print(f"  final status           {r['status']}; HTTP 5xx retried: {r['server_errors']}")
    print(f"  one voucher's history  {shape['activities']} activities ({shape['local_activities']} of them local), "
          f"{shape['updates']} Updates, {shape['timers']} timers, {shape['events']} events")
    print(f"bare engine, same server, same counts ({shape['activities']} activities, {shape['updates']} Updates, "
          f"{shape['timers']} timers, the clock advanced past its bidding timer as above), {bare['n']} at "
          f"once-limit {r['concurrency']}:")
    print(f"  whole run              {bare['elapsed_s']:7.1f} s = {bare['per_s']:.2f} lifecycles/s = "
          f"{bare['updates_per_s']:.1f} Updates/s; wall p50 {bare['wall_p50_s']:.1f} s")
    print(f"  one bare history       {bare['activities']} activities, {bare['updates']} Updates, {bare['timers']} timers")
    print(f"  ratio voucher / bare   {(n / e) / bare['per_s']:.2f} (the issue's baseline: every activity a regular one)")
    for key, label, what in VARIANTS:
        other = bare.get(key)
        if other:
            print(f"the same bare lifecycles with {what}: {other['per_s']:.2f} lifecycles/s; "
                  f"CPU {other['cpu_python_s'] / other['n']:.2f} s Python + {other['cpu_server_s'] / other['n']:.2f} s "
                  f"server per lifecycle")
            print(f"  ratio voucher / bare {label} {(n / e) / other['per_s']:.2f}")
    cpu = r["cpu"]
    server = sum(v for k, v in cpu.items() if k.startswith("temporal"))
    python = sum(v for k, v in cpu.items() if not k.startswith("temporal"))
    per_bare = (bare["cpu_server_s"] + bare["cpu_python_s"]) / bare["n"]
    print(f"  CPU per lifecycle      flow168 {python / n:.2f} s Python (web + workers) + {server / n:.2f} s server; "
          f"bare {bare['cpu_python_s'] / bare['n']:.2f} s Python + {bare['cpu_server_s'] / bare['n']:.2f} s server")
    print("  CPU per lifecycle by process: " + ", ".join(f"{k} {v / n:.2f} s" for k, v in sorted(cpu.items()))
          + f"; this driver (the users' side) {r['driver_cpu_s'] / n:.2f} s")
    print(f"  CPU ratio bare / flow168 {per_bare / ((python + server) / n):.2f} (load during the run {r['load_run']}; "
          f"WORKERS={os.environ.get('WORKERS', 'default')})")
    if "flow168_cpu_s" in bare:
        print(f"  flow168's processes took {bare['flow168_cpu_s']:.1f} s CPU while the bare lifecycles ran")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=40)
    ap.add_argument("-c", "--concurrency", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="10 lifecycles, 10 at once")
    ap.add_argument("--keep", default=None, help="keep the stack's data and log in this folder")
    ap.add_argument("--rounds", type=int, default=1,
                    help="repeat the pair (flow168, then the bare lifecycles) on fresh stacks and report the median "
                         "ratio: one bare run alone varies by a third on a busy 2-core machine")
    add_pg_option(ap)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    n, c = (10, 10) if args.quick else (args.n, args.concurrency)
    m = machine()
    banner(f"voucher lifecycle: {n} through the API, {c} at once ({m['date']}, {m['nproc']} cores, load {m['load']})")
    ratios: dict[str, list[float]] = {"": [], **{key: [] for key, _, _ in VARIANTS}}
    try:
        for i in range(max(args.rounds, 1)):
            if args.rounds > 1:
                print(f"--- round {i + 1} of {args.rounds} (load {machine()['load']})")
            with tempfile.TemporaryDirectory(prefix="flow168-vlife-") as tmp, database(args.pg) as url:
                r = asyncio.run(run(n, c, Path(args.keep or tmp), url))
            report(r)
            rate = r["n"] / r["elapsed_s"]
            ratios[""].append(rate / r["bare"]["per_s"])
            for key, _, _ in VARIANTS:
                if r["bare"].get(key):
                    ratios[key].append(rate / r["bare"][key]["per_s"])
    finally:
        kill_all()
    if len(ratios[""]) > 1:
        labels = {"": "", **{key: f" {label}" for key, label, _ in VARIANTS}}
        print(f"median of {len(ratios[''])} rounds: " + "; ".join(
            f"ratio voucher / bare{labels[key]} {statistics.median(got):.2f} "
            f"(rounds {', '.join(f'{x:.2f}' for x in got)})" for key, got in ratios.items() if got))


if __name__ == "__main__":
    main()
