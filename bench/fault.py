"""Issue 12, durability at scale: N provider-admission cases in flight through the API (launcher.py, CLOCK=real,
WORKERS worker processes), every worker killed with SIGKILL three times while they run (launcher.py starts them
again); then every case must be `filed`, none lost, nothing written twice, every history the same shape.

    .venv/bin/python -m bench.fault            # -n 200
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import banner, kill_all, loadavg
from bench.fullstack import Stack, duplicates, history_shapes
from bench.lifecycle import lifecycle

STAFF = ["operator1", "operator2", "expert1", "expert2", "expert3", "expert4", "expert5", "department1", "department2"]


async def run(n: int, workers: int, work: Path) -> bool:
    st = Stack(work, workers=workers)
    try:
        await st.start(timeout=180)
        await st.staff(*STAFF)
        providers = st.providers(n, "bf")
        t0 = time.perf_counter()
        # A killed worker's activities are retried when their start-to-close timeout (60 s) runs out, and a case
        # can meet three kills: the client waits up to 10 minutes for each step.
        runs = [asyncio.create_task(lifecycle(st.api, i, p, timeout=600)) for i, p in enumerate(providers)]
        killed = 0
        for _ in range(3):
            await asyncio.sleep(3)
            old = st.kill9(*(name for name in st.pids() if name.startswith("worker")))
            killed += len(old)
            await st.wait_restarted(old)
        results = await asyncio.gather(*runs, return_exceptions=True)
        took = time.perf_counter() - t0
        failed = [r for r in results if isinstance(r, BaseException)]
        case_ids = [r[0] for r in results if not isinstance(r, BaseException)]
        filed = st.rows("SELECT count(*) FROM 'case' WHERE type='provider_admission' AND status='filed'")[0][0]
        dup = duplicates(st, case_ids) if case_ids else {}
        shapes = await history_shapes(st, case_ids) if case_ids else {}
        print(f"{n} cases in flight, {workers} workers, {killed} worker processes killed with SIGKILL (3 rounds)")
        print(f"  all done after      {took:.1f} s ({len(case_ids) / took:.2f} lifecycles/s, load {loadavg()})")
        print(f"  filed               {filed} of {n}; lifecycles failed: {len(failed)} {failed[:2]}")
        print(f"  duplicated rows     {sum(len(v) for v in dup.values())} {dup if any(dup.values()) else ''}")
        print(f"  history shapes      {len(shapes)} (1 = every case scheduled the same activities; "
              f"statuses {sorted({str(s[0]) for s in shapes})})")
        return filed == n and not failed and not any(dup.values()) and len(shapes) == 1
    finally:
        await st.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    banner(f"kill -9 every worker with {args.n} cases in flight")
    try:
        with tempfile.TemporaryDirectory(prefix="flow168-fault-") as tmp:
            ok = asyncio.run(run(args.n, args.workers, args.keep or Path(tmp)))
    finally:
        kill_all()
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
