"""Part 1, the bare-engine baseline: start + 2 activities + 1 Update per workflow on a Temporal dev server.

The workflow has the shape of one flow168 human step without any of flow168's I/O: an activity "opens"
the step, the workflow waits, an Update (whose handler runs the second activity, as `complete_task` runs
`close_task`) ends the wait, the workflow returns. Activities are async no-ops, so every millisecond
measured here is the engine's: the dev server, its SQLite file, gRPC and the Python SDK.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from google.protobuf.duration_pb2 import Duration
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

TIMEOUT = timedelta(seconds=30)


class BaselineInput(BaseModel):
    key: str


class BaselineDecision(BaseModel):
    decision: str


class BaselineActivities:
    """Two no-op activities; `open_step` tells the driver (same process) that the step is open."""

    def __init__(self) -> None:
        self.opened: dict[str, asyncio.Event] = {}

    def expect(self, key: str) -> asyncio.Event:
        return self.opened.setdefault(key, asyncio.Event())

    @activity.defn(name="bench_open_step")
    async def open_step(self, key: str) -> str:
        self.expect(key).set()
        return key

    @activity.defn(name="bench_close_step")
    async def close_step(self, key: str) -> str:
        return key


@workflow.defn(name="BenchBaseline")
class BaselineWorkflow:
    """open_step -> wait for the `decide` Update (which runs close_step) -> return the decision."""

    def __init__(self) -> None:
        self.key = ""
        self.opened = False
        self.decision: str | None = None

    @workflow.run
    async def run(self, inp: BaselineInput) -> str:
        self.key = inp.key
        await workflow.execute_activity("bench_open_step", inp.key, start_to_close_timeout=TIMEOUT)
        self.opened = True
        await workflow.wait_condition(lambda: self.decision is not None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self.decision is not None
        return self.decision

    @workflow.update
    async def decide(self, d: BaselineDecision) -> str:
        await workflow.wait_condition(lambda: self.opened)
        await workflow.execute_activity("bench_close_step", self.key, start_to_close_timeout=TIMEOUT)
        self.decision = d.decision
        return d.decision

    @decide.validator
    def _validate(self, d: BaselineDecision) -> None:
        if d.decision not in ("approve", "reject"):
            raise ApplicationError(f"decision {d.decision!r} is not allowed", type="InvalidDecision")


class BareLifecycleInput(BaseModel):
    key: str
    activities: int
    updates: int
    # Issue 12's "same counts" include the timers: with `timers` > `updates`, each wait races a due-date timer the
    # decision cancels (as flow168's task deadlines), the wait after the first decision is a `bidding_days` timer the
    # clock must be advanced past (as the voucher's bidding), and the rest are timers started and cancelled.
    timers: int = 0
    bidding_days: int = 7
    # Run the activities as local activities (in the workflow task, as flow168 runs its own since issue 12's fifth
    # round); False is the baseline, every activity a regular one.
    local: bool = False


@workflow.defn(name="BenchBareLifecycle")
class BareLifecycleWorkflow:
    """A process with flow168's counts and none of its work: `activities` no-op activities, `updates` Updates.

    Each Update's handler runs one activity (as `complete_task` closes its task); the others are spread evenly
    before each wait and after the last one. The last activity before wait i is `bench_open_step("key:i")`, which
    tells the driver (same process) that Update i may be sent."""

    def __init__(self) -> None:
        self.key = ""
        self.waiting = -1
        self.local = False
        self.decided: set[int] = set()

    @workflow.run
    async def run(self, inp: BareLifecycleInput) -> int:
        self.key = inp.key
        self.local = inp.local
        outside = max(inp.activities - inp.updates, inp.updates)
        slots = inp.updates + 1
        timed = inp.timers >= inp.updates > 0  # each wait races its due-date timer
        bidding = inp.timers > inp.updates and inp.bidding_days > 0
        spare = [asyncio.ensure_future(workflow.sleep(timedelta(days=365)))
                 for _ in range(max(inp.timers - inp.updates - (1 if bidding else 0), 0))]
        for i in range(slots):
            count = outside // slots + (1 if i < outside % slots else 0)
            for j in range(count):
                last = i < inp.updates and j == count - 1
                await self._activity("bench_open_step" if last else "bench_close_step",
                                     f"{inp.key}:{i}" if last else inp.key)
            if i < inp.updates:
                self.waiting = i
                await workflow.wait_condition(lambda i=i: i in self.decided,
                                              timeout=timedelta(days=30) if timed else None)
                if bidding and i == 0:
                    await workflow.sleep(timedelta(days=inp.bidding_days))
        for timer in spare:
            timer.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(self.decided)

    @workflow.update
    async def decide(self, i: int) -> int:
        await workflow.wait_condition(lambda: self.waiting == i)
        await self._activity("bench_close_step", self.key)
        self.decided.add(i)
        return i

    async def _activity(self, name: str, arg: str) -> str:
        if self.local:
            return str(await workflow.execute_local_activity(name, arg, start_to_close_timeout=TIMEOUT))
        return str(await workflow.execute_activity(name, arg, start_to_close_timeout=TIMEOUT))


def _runner() -> Any:
    """The workflow runner flow168's workers use (WORKER_SANDBOX), so the bare engine runs under the same one."""
    from settings import Settings
    from worker import workflow_runner

    return workflow_runner(Settings(secret_key="bench-" + "0" * 32))


async def run_bare_lifecycles(client: object, *, n: int, concurrency: int, activities: int,
                              updates: int, timers: int = 0, bidding_days: int = 7,
                              local: bool = False) -> dict[str, float]:
    """`n` bare lifecycles on an existing server (`client`), `concurrency` at once; returns the figures.

    With `timers` > `updates` (bench.voucher_life: the voucher's own counts) it runs as the voucher benchmark does:
    every lifecycle to its first decision, then the time-skipping server's clock advanced 4 days at a time (a second
    apart, as bench.voucher_life advances flow168's) until every bidding timer has fired, then the rest, timed from
    the first start to the last result."""
    import time
    import uuid

    from temporalio.api.testservice.v1 import SleepRequest
    from temporalio.client import Client, WorkflowHandle
    from temporalio.worker import Worker

    assert isinstance(client, Client)
    queue = f"bench-bare-{uuid.uuid4().hex[:8]}"
    acts = BaselineActivities()
    sem = asyncio.Semaphore(concurrency)
    walls: list[float] = []
    timed = timers > updates and bidding_days > 0  # a bidding wait: the driver advances the clock past it
    started: dict[str, tuple[WorkflowHandle[Any, Any], float]] = {}

    async def decide(handle: WorkflowHandle[Any, Any], key: str, steps: range) -> None:
        for i in steps:
            await asyncio.wait_for(acts.expect(f"{key}:{i}").wait(), 300)
            await handle.execute_update(BareLifecycleWorkflow.decide, i, id=f"u{i}")

    async def first(key: str) -> None:
        async with sem:
            t0 = time.perf_counter()
            handle = await client.start_workflow(BareLifecycleWorkflow.run, BareLifecycleInput(
                key=key, activities=activities, updates=updates, timers=timers, bidding_days=bidding_days, local=local), id=key,
                task_queue=queue,
                execution_timeout=timedelta(days=400))
            started[key] = (handle, t0)
            await decide(handle, key, range(0, 1 if timed else updates))
            if not timed:
                await finish(key)

    async def finish(key: str) -> None:
        handle, t0 = started[key]
        assert await handle.result() == updates
        walls.append(time.perf_counter() - t0)

    async def rest(key: str) -> None:
        async with sem:
            await decide(started[key][0], key, range(1, updates))
            await finish(key)

    keys = [f"{queue}-{i}" for i in range(n)]
    # The same workflow runner as flow168's workers (settings.worker_sandbox, default off): like against like.
    async with Worker(client, task_queue=queue, workflows=[BareLifecycleWorkflow],
                      activities=[acts.open_step, acts.close_step], workflow_runner=_runner()):
        t0 = time.perf_counter()
        await asyncio.gather(*(first(k) for k in keys))
        if timed:
            advanced = 0
            while not all(acts.expect(f"{k}:1").is_set() for k in keys) and advanced < 60:
                await client.test_service.unlock_time_skipping_with_sleep(
                    SleepRequest(duration=Duration(seconds=4 * 86400)), timeout=timedelta(minutes=10))
                advanced += 4
                await asyncio.sleep(1)
            await asyncio.gather(*(rest(k) for k in keys))
        elapsed = time.perf_counter() - t0
    from bench.common import pct
    from bench.history import shape_of

    shape = await shape_of(client, keys[0])  # one bare history's own counts
    return {"n": n, "elapsed_s": elapsed, "per_s": n / elapsed, "updates_per_s": n * updates / elapsed,
            "wall_p50_s": pct(walls, 50), "wall_p95_s": pct(walls, 95), **shape}


async def run_baseline(*, workflows: int, concurrency: int, workdir: str, warmup: int = 10,
                       serial: int = 20) -> dict[str, float]:
    """Start a dev server with a database file, run `workflows` baseline workflows, return the figures."""
    import time
    import uuid
    from pathlib import Path

    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Worker

    from bench.common import BIN, cpu_by_name, free_port, kill_group, pct, spawn, wait_port

    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    port, ui = free_port(), free_port()
    log = open(work / "temporal.log", "ab")
    cmd = [str(BIN / "temporal"), "server", "start-dev", "--db-filename", str(work / "t.db"), "--ip", "127.0.0.1",
           "--port", str(port), "--ui-port", str(ui), "--headless", "--log-level", "warn"]
    t_boot = time.perf_counter()
    server = spawn(cmd, log=log)
    try:
        wait_port(port, timeout=60, proc=server)
        client = None
        for _ in range(120):
            try:
                client = await Client.connect(f"127.0.0.1:{port}", data_converter=pydantic_data_converter)
                break
            except Exception:  # the frontend accepts connections before the namespace is ready
                await asyncio.sleep(0.25)
        if client is None:
            raise RuntimeError(f"cannot connect to the dev server on 127.0.0.1:{port}")
        boot_s = time.perf_counter() - t_boot
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        acts = BaselineActivities()
        worker = Worker(client, task_queue=queue, workflows=[BaselineWorkflow],
                        activities=[acts.open_step, acts.close_step], workflow_runner=_runner())
        sem = asyncio.Semaphore(concurrency)
        upd: list[float] = []
        wall: list[float] = []

        async def one(key: str, record: bool, sem: asyncio.Semaphore = sem) -> None:
            async with sem:
                t0 = time.perf_counter()
                opened = acts.expect(key)
                handle = await client.start_workflow(BaselineWorkflow.run, BaselineInput(key=key), id=key,
                                                     task_queue=queue, execution_timeout=timedelta(minutes=5))
                await asyncio.wait_for(opened.wait(), 60)
                t1 = time.perf_counter()
                await handle.execute_update(BaselineWorkflow.decide, BaselineDecision(decision="approve"), id="decide")
                t2 = time.perf_counter()
                result = await handle.result()
                t3 = time.perf_counter()
                assert result == "approve", result
                acts.opened.pop(key, None)
                if record:
                    upd.append(t2 - t1)
                    wall.append(t3 - t0)

        async with worker:
            await asyncio.gather(*(one(f"{queue}-warm-{i}", False) for i in range(warmup)))
            cpu0, srv0 = time.process_time(), sum(cpu_by_name(server.pid).values())
            t0 = time.perf_counter()
            await asyncio.gather(*(one(f"{queue}-{i}", True) for i in range(workflows)))
            elapsed = time.perf_counter() - t0
            cpu1, srv1 = time.process_time(), sum(cpu_by_name(server.pid).values())
            figures = (list(upd), list(wall))
            upd.clear()
            wall.clear()
            alone = asyncio.Semaphore(1)
            t1 = time.perf_counter()
            await asyncio.gather(*(one(f"{queue}-alone-{i}", True, alone) for i in range(serial)))
            serial_s = time.perf_counter() - t1
            upd1, wall1 = upd, wall
            upd, wall = figures
        return {
            "workflows": workflows,
            "concurrency": concurrency,
            "elapsed_s": elapsed,
            "boot_s": boot_s,
            "workflows_per_s": workflows / elapsed,
            "updates_per_s": workflows / elapsed,
            "update_p50_ms": pct(upd, 50) * 1000,
            "update_p95_ms": pct(upd, 95) * 1000,
            "workflow_p50_ms": pct(wall, 50) * 1000,
            "workflow_p95_ms": pct(wall, 95) * 1000,
            "cpu_python_s": cpu1 - cpu0,
            "cpu_server_s": srv1 - srv0,
            "serial": serial,
            "serial_per_s": serial / serial_s if serial else float("nan"),
            "serial_update_p50_ms": pct(upd1, 50) * 1000,
            "serial_update_p95_ms": pct(upd1, 95) * 1000,
            "serial_workflow_p50_ms": pct(wall1, 50) * 1000,
        }
    finally:
        kill_group(server)
        log.close()


def print_baseline(r: dict[str, float]) -> None:
    print(f"{r['workflows']:.0f} workflows, {r['concurrency']:.0f} at once, in {r['elapsed_s']:.2f} s "
          f"(dev server ready in {r['boot_s']:.1f} s)")
    print(f"  throughput         {r['workflows_per_s']:8.1f} workflows/s  (= updates/s, 2 activities each)")
    print(f"  update latency     p50 {r['update_p50_ms']:7.1f} ms   p95 {r['update_p95_ms']:7.1f} ms"
          "   (client execute_update, handler runs 1 activity)")
    print(f"  workflow wall time p50 {r['workflow_p50_ms']:7.1f} ms   p95 {r['workflow_p95_ms']:7.1f} ms")
    n = r["workflows"]
    print(f"  CPU during the run: Temporal dev server {r['cpu_server_s']:.1f} s, "
          f"Python (worker + driver) {r['cpu_python_s']:.1f} s, over {r['elapsed_s']:.1f} s wall; per workflow "
          f"{r['cpu_server_s'] / n * 1000:.0f} ms server + {r['cpu_python_s'] / n * 1000:.0f} ms Python")
    if r["serial"]:
        print(f"then {r['serial']:.0f} workflows one at a time: {r['serial_per_s']:.1f} workflows/s, update latency "
              f"p50 {r['serial_update_p50_ms']:.1f} ms, p95 {r['serial_update_p95_ms']:.1f} ms, "
              f"workflow wall time p50 {r['serial_workflow_p50_ms']:.1f} ms")


if __name__ == "__main__":
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description="bare-engine baseline only")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("-c", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="flow168-bench-") as tmp:
        print_baseline(asyncio.run(run_baseline(workflows=args.n, concurrency=args.c, workdir=tmp)))
