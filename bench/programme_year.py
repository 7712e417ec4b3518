"""Issue 12: a programme year on the simulated clock, scaled. At --scale 1: 600 vouchers (demand to settlement),
30 certifications (to the grant), 20 window onboardings (to `connected`), an assessment campaign over 50 providers,
then the clock is advanced through the rest of the year month by month, so every reminder, escalation, monthly report
and expiry on the way fires. Everything through the HTTP API on one `make run` stack (web app + WORKERS workers).

    .venv/bin/python -m bench.programme_year --scale 0.1     # 60 / 3 / 2 / 5: a few minutes
    .venv/bin/python -m bench.programme_year                 # the whole year (the target: 15 minutes)

A scaled run prints its figures and, labelled as such, a linear extrapolation to scale 1.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import certification_life as cert
from bench import window_onboarding as window
from bench.assessment_campaign import OUTCOMES, _cases, _scores
from bench.client import BenchError
from bench.common import banner, kill_all, loadavg, machine
from bench.simstack import CITIES, SimStack, staff_tokens
from bench.voucher_life import after_bidding, until_bid, unwatch
from bench.voucher_rush import complete, statuses, wait_tasks

FULL = {"vouchers": 600, "certifications": 30, "windows": 20, "assessed": 50}
CONCURRENCY = 20


async def run(scale: float, work: Path) -> dict[str, Any]:
    counts = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    st = SimStack(work)
    laps: dict[str, float] = {}
    out: dict[str, Any] = {"counts": counts, "laps": laps}
    try:
        await st.start()
        staff_tokens(st, sorted({*cert.STAFF, *window.STAFF, "operator1", "department1"}))
        at = await st.now()
        tag = uuid.uuid4().hex[:4]
        ents = [u for u, _ in st.add_orgs("enterprise", counts["vouchers"], f"ye{tag}", at)]
        provs = [u for u, _ in st.add_orgs("provider", counts["vouchers"], f"yp{tag}", at, categories=["credit"],
                                           signed=True, signed_at=at, signed_source="bench")]
        certs = [u for u, _ in st.add_orgs("platform_org", counts["certifications"], f"yc{tag}", at)]
        wins = [u for u, _ in st.add_orgs("platform_org", counts["windows"], f"yw{tag}", at)]
        subjects = st.add_orgs("provider", counts["assessed"], f"ya{tag}", at, signed=True, categories=["credit"])
        await cert.ensure_call(st)
        sem = asyncio.Semaphore(CONCURRENCY)

        async def bounded(coro: Any) -> Any:
            async with sem:
                return await coro

        t0 = time.perf_counter()
        # 1. Applications of every kind at once, up to their first clock-bound step.
        bids, cert_ids, win_ids = await asyncio.gather(
            asyncio.gather(*(bounded(until_bid(st, e, p)) for e, p in zip(ents, provs, strict=True))),
            asyncio.gather(*(bounded(cert.to_notice(st, u, CITIES[i % 5])) for i, u in enumerate(certs))),
            asyncio.gather(*(bounded(window.to_notice(st, u, CITIES[i % 5])) for i, u in enumerate(wins))))
        laps["applications to bidding / public notice"] = time.perf_counter() - t0
        t = time.perf_counter()
        closes = max([c for _, c in cert_ids] + [c for _, c in win_ids] + [await st.now() + timedelta(days=8)])
        await cert.advance_until(st, closes + timedelta(hours=1))
        ids = {cid for cid, _ in bids}
        while statuses(st, ids).get("bidding", 0):
            await st.advance(4)
        laps["clock: biddings and notices close"] = time.perf_counter() - t
        # 2. Every voucher to settlement, every window to `connected`, the certifications granted.
        t = time.perf_counter()
        await asyncio.gather(
            asyncio.gather(*(bounded(after_bidding(st, e, p, cid, bid))
                             for e, p, (cid, bid) in zip(ents, provs, bids, strict=True))),
            asyncio.gather(*(bounded(window.to_connected(st, u, cid)) for u, (cid, _) in zip(wins, win_ids, strict=True))))
        granted = await cert.wait_all(st, {c for c, _ in cert_ids}, "granted", 600)
        connected = await cert.wait_all(st, {c for c, _ in win_ids}, "connected", 600)
        laps["vouchers settled, windows connected"] = time.perf_counter() - t
        # 3. The assessment campaign over the providers: self-reports, then the hub's scores.
        t = time.perf_counter()
        user_of = {oid: user for user, oid in subjects}
        r = await st.api.call("POST", "/api/assessment/campaigns", "operator1", timeout=900,
                              json={"year": at.year + 1, "kind": "partner", "subjects": [o for _, o in subjects]})
        if r.status_code != 201:
            raise BenchError(f"open campaign: {r.status_code} {r.text[:300]}")
        cases = _cases(st, int(r.json()["id"]))
        reports = await wait_tasks(st, "assessment.self_report", set(cases), timeout=900)
        await asyncio.gather(*(bounded(complete(st, user_of[cases[c]], tid, "submit", {
            "figures": {"smes_served": "服务企业30家"}, "summary": "年度自评"})) for c, tid in reports.items()))
        scoring = await wait_tasks(st, "assessment.scoring", set(cases), timeout=900)
        await asyncio.gather(*(bounded(complete(st, "operator1", tid, "submit", {
            "scores": _scores(i), "opinion": "年度评分"}))
            for i, tid in enumerate(scoring.values())))
        laps["assessment campaign"] = time.perf_counter() - t
        # 4. The rest of the year, a month at a time: reminders, escalations, monthly reports, expiries fire.
        t = time.perf_counter()
        months: list[float] = []
        for _ in range(11):
            m = time.perf_counter()
            await st.advance(30)
            months.append(time.perf_counter() - m)
        laps["clock: 11 more months"] = time.perf_counter() - t
        out.update(total_s=time.perf_counter() - t0, months=months, granted=granted, connected=connected,
                   vouchers=dict(statuses(st, ids)), assessed=dict(statuses(st, set(cases))),
                   server_errors=st.api.server_errors, load=loadavg())
        out["assessment_outcomes"] = sum(v for k, v in out["assessed"].items() if k in OUTCOMES)
        return out
    finally:
        await unwatch(st)
        await st.stop()


def report(r: dict[str, Any], scale: float) -> None:
    c = r["counts"]
    print(f"scale {scale}: {c['vouchers']} vouchers, {c['certifications']} certifications, {c['windows']} windows, "
          f"{c['assessed']} assessed providers")
    for k, v in r["laps"].items():
        print(f"  {k:45s} {v:7.1f} s")
    print(f"  {'whole year':45s} {r['total_s']:7.1f} s  (months advanced: "
          f"{', '.join(f'{m:.0f}' for m in r['months'])} s; load at the end {r['load']})")
    print(f"  vouchers {r['vouchers']}; certifications granted {r['granted']}/{c['certifications']}; windows "
          f"connected {r['connected']}/{c['windows']}; assessments with an outcome {r['assessment_outcomes']}"
          f"/{c['assessed']}; HTTP 5xx retried {r['server_errors']}")
    if scale < 1:
        print(f"  EXTRAPOLATED (linear, not measured) to scale 1: {r['total_s'] / scale / 60:.1f} min "
              f"(the clock advances grow with the open cases; the API work with the case count)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    m = machine()
    banner(f"programme year at scale {args.scale} ({m['date']}, {m['nproc']} cores, load {m['load']})")
    try:
        with tempfile.TemporaryDirectory(prefix="flow168-year-") as tmp:
            report(asyncio.run(run(args.scale, args.keep or Path(tmp))), args.scale)
    finally:
        kill_all()


if __name__ == "__main__":
    main()
