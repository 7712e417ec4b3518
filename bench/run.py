"""`make bench`: the three benchmarks of flow168 in one run, then a summary table.

    .venv/bin/python -m bench.run            # full run (about 5 minutes on 2 cores)
    .venv/bin/python -m bench.run --quick    # smaller counts
    .venv/bin/python -m bench.run --pg       # also on PostgreSQL (postgresql://postgres@127.0.0.1:5432)

1. bare engine: start + 2 activities + 1 Update per workflow on a Temporal dev server (bench/baseline.py)
2. the provider-admission lifecycle through flow168's HTTP API, real clock, dev server (bench/lifecycle.py)
3. the inbox query on 100,000 task rows (bench/inbox.py)
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench.common import banner, kill_all, loadavg, machine

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _sizes(quick: bool) -> dict[str, int]:
    """Counts of each part; `deadline` bounds each concurrent lifecycle run (seconds)."""
    if quick:
        return {"wf": 50, "wf_c": 20, "wf_serial": 10, "lc": 10, "lc_c": 5, "serial": 5,
                "tasks": 100_000, "reps": 50, "deadline": 45}
    return {"wf": 200, "wf_c": 20, "wf_serial": 20, "lc": 40, "lc_c": 10, "serial": 10,
            "tasks": 100_000, "reps": 200, "deadline": 65}


def part1(n: dict[str, int], work: Path) -> dict[str, Any]:
    from bench.baseline import print_baseline, run_baseline

    banner(f"1. bare engine: {n['wf']} workflows (start + 2 activities + 1 Update), {n['wf_c']} at a time")
    r = asyncio.run(run_baseline(workflows=n["wf"], concurrency=n["wf_c"], serial=n["wf_serial"],
                                 workdir=str(work / "baseline")))
    print_baseline(r)
    return r


def part2(n: dict[str, int], work: Path, baseline: dict[str, Any] | None, *, pg: bool) -> dict[str, Any]:
    from bench.inbox import fresh_pg
    from bench.lifecycle import print_lifecycles, run_lifecycles

    db = "PostgreSQL" if pg else "SQLite (the default)"
    banner(f"2. provider-admission lifecycle through the HTTP API, flow168 on {db}")
    # The SQLite stack stalls for 30 s at a time under concurrent requests (see docs/benchmarks.md): a short deadline
    # shows that without spending minutes on it; PostgreSQL gets room to finish.
    kw: dict[str, Any] = {"lifecycles": n["lc"], "concurrency": n["lc_c"], "serial": n["serial"],
                          "deadline_s": n["deadline"] * (2 if pg else 1)}
    if pg:
        with fresh_pg(PG_SERVER) as url:
            r = asyncio.run(run_lifecycles(workdir=str(work / "stack-pg"), database_url=url, **kw))
    else:
        r = asyncio.run(run_lifecycles(workdir=str(work / "stack-sqlite"), **kw))
    print_lifecycles(r, baseline)
    return r


def part3(n: dict[str, int], work: Path, *, pg: bool) -> list[dict[str, Any]]:
    from bench.inbox import analyze, fresh_pg, print_inbox, run_inbox

    banner(f"3. inbox query on {n['tasks']:,} task rows, {n['reps']} repetitions each")
    out = []
    r = run_inbox(url=f"sqlite:///{work / 'inbox.db'}", label="SQLite", tasks=n["tasks"], reps=n["reps"],
                  workdir=work, http=True)
    print_inbox(r)
    out.append(r)
    if pg:
        with fresh_pg(PG_SERVER) as url:
            r = run_inbox(url=url, label="PostgreSQL", tasks=n["tasks"], reps=n["reps"], workdir=work, http=True,
                          after_fill=analyze)
        print_inbox(r)
        out.append(r)
    return out


def _ms(x: float) -> str:
    return "-" if x != x else f"{x:,.0f} ms" if x >= 100 else f"{x:.1f} ms"  # x != x: NaN


def summary(m: dict[str, Any], base: dict[str, Any] | None, stacks: list[dict[str, Any]],
            inboxes: list[dict[str, Any]], failed: list[str]) -> None:
    banner("summary")
    rows: list[tuple[str, str, str]] = []
    wf = base["workflows_per_s"] if base else float("nan")
    if base:
        rows.append(("1 bare engine", "workflows/s (= updates/s)", f"{wf:.1f}"))
        rows.append(("1 bare engine", f"update latency p50 / p95, {base['concurrency']} at a time",
                     f"{_ms(base['update_p50_ms'])} / {_ms(base['update_p95_ms'])}"))
        if base["serial"]:
            rows.append(("1 bare engine", "update latency p50 / p95, 1 at a time",
                         f"{_ms(base['serial_update_p50_ms'])} / {_ms(base['serial_update_p95_ms'])}"))
    for s in stacks:
        for key, how in (("serial", "1 at a time"), ("concurrent", f"{s['concurrent']['concurrency']} at a time")):
            r = s[key]
            name = f"2 lifecycle, {s['database']}, {how}"
            rows.append((name, "lifecycles/s (finished/started)",
                         f"{r['lifecycles_per_s']:.2f} ({r['completed']}/{r['lifecycles']})"))
            rows.append((name, "one lifecycle p50 / p95",
                         f"{_ms(r['lifecycle_p50_s'] * 1000)} / {_ms(r['lifecycle_p95_s'] * 1000)}"))
            if base and r["lifecycles_per_s"] > 0:
                rows.append((name, "ratio to bare engine: per workflow / per update",
                             f"{r['lifecycles_per_s'] / wf:.3f} / {r['lifecycles_per_s'] * 3 / wf:.3f}"))
            if r.get("bare") and r["lifecycles_per_s"] > 0:
                rows.append((name, "ratio to a bare lifecycle with the same counts",
                             f"{r['lifecycles_per_s'] / r['bare']['per_s']:.3f} "
                             f"({r['lifecycles_per_s']:.2f} / {r['bare']['per_s']:.2f})"))
            if r["server_errors"] or r["ended_409"] or r["unfinished"]:
                rows.append((name, "HTTP 5xx / spurious 409 / unfinished",
                             f"{r['server_errors']} / {r['ended_409']} / {r['unfinished']}"))
    for i in inboxes:
        for q in i["queries"]:
            rows.append((f"3 inbox, {i['database']}", q["query"], f"{_ms(q['p50_ms'])} / {_ms(q['p95_ms'])}"))
        for h in i.get("http", []):
            rows.append((f"3 inbox, {i['database']}", h["query"], f"{_ms(h['p50_ms'])} / {_ms(h['p95_ms'])}"))
    w0 = max(len(r[0]) for r in rows) if rows else 10
    w1 = max(len(r[1]) for r in rows) if rows else 10
    print(f"{'part':{w0}s}  {'measure (inbox: p50 / p95)':{w1}s}  value")
    print(f"{'-' * w0}  {'-' * w1}  {'-' * 24}")
    for a, b, c in rows:
        print(f"{a:{w0}s}  {b:{w1}s}  {c}")
    print(f"\nmachine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM, Python {m['python']}, {m['os']}; {m['date']};"
          f" load average at start {m['load']}, at end {loadavg()}")
    for f in failed:
        print(f"FAILED: {f}")


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller counts (about 2 minutes)")
    ap.add_argument("--pg", action="store_true", help=f"also run parts 2 and 3 on PostgreSQL ({PG_SERVER})")
    ap.add_argument("--parts", default="1,2,3", help="which parts, e.g. 1,3")
    ap.add_argument("--keep", default=None, help="keep databases and logs in this folder instead of a temporary one")
    args = ap.parse_args()
    parts = {p.strip() for p in args.parts.split(",")}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally blocks and atexit stop the children

    m = machine()
    banner("flow168 benchmark")
    print(f"date {m['date']}; {m['nproc']} CPUs, {m['cpu']}; {m['memory']} RAM; Python {m['python']}; {m['os']}")
    print(f"load average at start {m['load']} (anything else running on the machine skews the figures)")
    print(f"run: {'quick' if args.quick else 'full'}{', with PostgreSQL' if args.pg else ''}; parts {args.parts}")
    n = _sizes(args.quick)
    base: dict[str, Any] | None = None
    stacks: list[dict[str, Any]] = []
    inboxes: list[dict[str, Any]] = []
    failed: list[str] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="flow168-bench-") as tmp:
        work = Path(args.keep) / time.strftime("run-%Y%m%d-%H%M%S") if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        try:
            steps: list[tuple[str, Any]] = []
            if "1" in parts:
                steps.append(("1 bare engine", lambda: part1(n, work)))
            if "2" in parts:
                steps.append(("2 lifecycle SQLite", lambda: part2(n, work, base, pg=False)))
                if args.pg:
                    steps.append(("2 lifecycle PostgreSQL", lambda: part2(n, work, base, pg=True)))
            if "3" in parts:
                steps.append(("3 inbox", lambda: part3(n, work, pg=args.pg)))
            for name, step in steps:
                t = time.perf_counter()
                try:
                    r = step()
                except Exception as exc:
                    traceback.print_exc()
                    failed.append(f"{name}: {exc!r}")
                    continue
                finally:
                    print(f"[{name}: {time.perf_counter() - t:.0f} s; load average now {loadavg()}]", flush=True)
                if name.startswith("1"):
                    base = r
                elif name.startswith("2"):
                    stacks.append(r)
                else:
                    inboxes.extend(r)
        finally:
            kill_all()
    summary(m, base, stacks, inboxes, failed)
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
