"""Issue 10: a yearly assessment campaign over N subjects through the HTTP API on the simulated clock.

    .venv/bin/python -m bench.assessment_campaign            # 500 signed providers
    .venv/bin/python -m bench.assessment_campaign --quick    # 50

Timed phases: (1) the hub opens the partner campaign (POST /api/assessment/campaigns: N cases written, N workflows
started) until every self-report task is open; (2) every subject submits its self-report (50 at a time) until every
scoring task is open; (3) the hub scores every subject (50 at a time) until every case has its result (qualified /
excellent awaiting the support decision / failed in rectification). Printed: each phase's seconds and per-subject rate.
Setup (untimed): N signed providers with a user each written into the stack's database, tokens minted.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bench.client import BenchError
from bench.common import banner, kill_all, machine, pct
from bench.simstack import SimStack, staff_tokens
from bench.voucher_rush import complete, statuses, wait_tasks
from db.models import Case

CONCURRENCY = 50
OUTCOMES = {"qualified", "support_review", "rectifying"}


def _cases(st: SimStack, campaign_id: int) -> dict[str, int]:
    with Session(st.reads) as s:
        rows = s.exec(select(Case).where(Case.type == "assessment")).all()
        out = {c.id: c.applicant_org_id or 0 for c in rows if c.data.get("campaign_id") == campaign_id}
        s.commit()
    return out


def _scores(i: int) -> dict[str, float]:
    """60 % qualified, 20 % excellent, 20 % failed."""
    v = 95 if i % 5 == 0 else 40 if i % 5 == 1 else 75
    return {"smes_served": v, "satisfaction": v}


async def _gather(jobs: list[Any]) -> list[float]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(job: Any) -> float:
        async with gate:
            return float(await job())

    return list(await asyncio.gather(*(one(j) for j in jobs)))


async def run(n: int, work: Path) -> dict[str, Any]:
    st = SimStack(work)
    await st.start()
    try:
        staff_tokens(st, ["admin", "operator1"])
        now = await st.now()
        subjects = st.add_orgs("provider", n, "assess", now, signed=True, categories=["credit"])
        user_of = {oid: user for user, oid in subjects}
        year = now.year + 1
        t0 = time.perf_counter()
        r = await st.api.call("POST", "/api/assessment/campaigns", "operator1", timeout=900,
                              json={"year": year, "kind": "partner", "subjects": [oid for _, oid in subjects]})
        if r.status_code != 201:
            raise BenchError(f"open campaign: {r.status_code} {r.text[:300]}")
        opened_s = time.perf_counter() - t0
        cases = _cases(st, int(r.json()["id"]))
        ids = set(cases)
        reports = await wait_tasks(st, "assessment.self_report", ids, timeout=1800)
        open_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        lat_report = await _gather([
            (lambda c=c, t=t: complete(st, user_of[cases[c]], t, "submit",
                                       {"figures": {"smes_served": "服务企业30家"}, "summary": "年度自评"}))
            for c, t in reports.items()])
        scoring = await wait_tasks(st, "assessment.scoring", ids, timeout=1800)
        report_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        order = sorted(ids)
        lat_score = await _gather([
            (lambda c=c, t=t: complete(st, "operator1", t, "submit",
                                       {"scores": _scores(order.index(c)), "opinion": "基准评分"}))
            for c, t in scoring.items()])
        end = time.monotonic() + 1800
        got: Counter[str] = Counter()
        while time.monotonic() < end:
            got = statuses(st, ids)
            if sum(v for k, v in got.items() if k in OUTCOMES) == n:
                break
            await asyncio.sleep(0.5)
        score_s = time.perf_counter() - t2
        return {"n": n, "open_request_s": opened_s, "open_s": open_s, "report_s": report_s, "score_s": score_s,
                "total_s": time.perf_counter() - t0, "statuses": dict(got), "boot_s": st.boot_s,
                "report_p50": pct(lat_report, 50), "report_p95": pct(lat_report, 95),
                "score_p50": pct(lat_score, 50), "score_p95": pct(lat_score, 95),
                "timeouts": st.api.timeouts, "server_errors": st.api.server_errors}
    finally:
        await st.stop()


def report(r: dict[str, Any]) -> None:
    n = r["n"]
    print(f"subjects: {n}   stack boot {r['boot_s']:.1f} s")
    print(f"open:        {r['open_s']:7.1f} s  (request {r['open_request_s']:.1f} s; {n / r['open_s']:.1f} cases/s "
          "until every self-report task is open)")
    print(f"self-report: {r['report_s']:7.1f} s  ({n / r['report_s']:.1f}/s; p50 {r['report_p50']:.2f} s, "
          f"p95 {r['report_p95']:.2f} s)")
    print(f"score:       {r['score_s']:7.1f} s  ({n / r['score_s']:.1f}/s; p50 {r['score_p50']:.2f} s, "
          f"p95 {r['score_p95']:.2f} s)")
    print(f"total:       {r['total_s']:7.1f} s   outcomes {r['statuses']}   client timeouts {r['timeouts']}, "
          f"5xx {r['server_errors']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--quick", action="store_true", help="-n 50")
    ap.add_argument("--keep", default=None, help="keep the stack's data and log in this folder")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    n = 50 if args.quick else args.n
    m = machine()
    banner(f"assessment campaign: {n} subjects ({m['date']}, {m['nproc']} cores, load {m['load']})")
    try:
        with tempfile.TemporaryDirectory(prefix="flow168-assess-") as tmp:
            report(asyncio.run(run(n, Path(args.keep or tmp))))
    finally:
        kill_all()


if __name__ == "__main__":
    main()
