"""Issue 4: the demonstration-platform certification through the HTTP API on the simulated clock.

    .venv/bin/python -m bench.certification_life            # 100 concurrent certifications up to the grant
    .venv/bin/python -m bench.certification_life --quick    # 10

1. `-c` certifications at once, each: platform_org applies -> city recommendation -> precheck -> 3 blind expert
   reviews -> on-site inspection -> decision -> the year's list (002 art. 12: published by the last decided case, or
   by the department for the candidates waiting) -> public notice; then the clock is advanced once past every notice
   (5 working days) and the run ends when all read `granted`. Printed: lifecycles/s and the ratio to the bare engine.
2. One certification's full life, alone: apply -> grant -> 3 yearly cycles (summary, city report, rating; the clock
   advanced 31 days at a time until each summary task opens) -> the clock past the validity -> `expired`.
Setup (untimed): platform organisations and users written into the stack's database, tokens minted (bench/simstack.py).
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

from bench.client import BenchError
from bench.common import banner, kill_all, machine, pct
from bench.simstack import CITIES, SimStack, staff_tokens
from bench.voucher_rush import BASELINE_UPDATES_PER_S, complete, open_tasks, statuses
from db.models import Task

UPDATES_TO_GRANT = 7  # recommendation, precheck, 3 expert reviews, on-site inspection, decision
STAFF = ["admin", "department1", "department2", *[f"expert{i}" for i in range(1, 6)], *[f"city_{c}" for c in CITIES]]


def application(city: str) -> dict[str, Any]:
    """A certification form that meets art. 6 and the information function of art. 7 (as tests/api uses)."""
    return {
        "platform_name": f"宁夏基准示范平台{uuid.uuid4().hex[:6]}", "city": city, "org_type": "enterprise",
        "mountain_area": False, "years_operating": 5, "total_assets_fen": 300_000_000,
        "smes_served_last_year": 120, "smes_served_prev_year": 100, "satisfaction_pct": 92,
        "service_orgs_aggregated": 4, "public_benefit_share_pct": 30, "staff_serving_smes": 25,
        "qualified_staff_share_pct": 80, "functions": {"information": {"smes_served_offline": 60, "events": 6}},
    }


async def materials(st: SimStack, org_user: str) -> dict[str, str]:
    """Every material of 002 art. 11, uploaded by the applicant (a tiny PDF each)."""
    from forms.certification import MATERIALS

    out = {}
    for key in MATERIALS:
        r = await st.api.call("POST", "/api/uploads", org_user,
                              files={"file": (f"{key}.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
        if r.status_code != 201:
            raise BenchError(f"upload {key} as {org_user}: {r.status_code} {r.text[:300]}")
        out[key] = str(r.json()["id"])
    return out


def _open_task(st: SimStack, task_type: str, case_id: str, assignee: str | None) -> str | None:
    with Session(st.reads) as s:
        q = select(Task.id).where(Task.case_id == case_id, Task.type == task_type,
                                  col(Task.status).in_(("open", "claimed")))
        if assignee is not None:
            q = q.where(Task.assignee == assignee)
        found = s.exec(q).first()
        s.commit()
    return found


async def task_id(st: SimStack, task_type: str, case_id: str, timeout: float = 120, assignee: str | None = None) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = _open_task(st, task_type, case_id, assignee)
        if found:
            return found
        await asyncio.sleep(0.1)
    raise BenchError(f"no open {task_type} for {case_id} after {timeout:.0f}s")


async def case_json(st: SimStack, case_id: str) -> dict[str, Any]:
    r = await st.api.call("GET", f"/api/cases/{case_id}", "department1")
    if r.status_code != 200:
        raise BenchError(f"GET case {case_id}: {r.status_code} {r.text[:200]}")
    return dict(r.json())


async def wait_case(st: SimStack, case_id: str, what: str, pred: Any, timeout: float = 120) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        case = await case_json(st, case_id)
        if pred(case):
            return case
        await asyncio.sleep(0.2)
    raise BenchError(f"{case_id}: no {what} after {timeout:.0f}s")


async def ensure_call(st: SimStack) -> None:
    if (await st.api.call("GET", "/api/certification/calls/current")).status_code == 200:
        return
    year = (await st.now() + timedelta(hours=8)).year
    r = await st.api.call("POST", "/api/certification/calls", "department1",
                          json={"year": year, "deadline": f"{year}-12-31", "experts": 3})
    if r.status_code != 201:
        raise BenchError(f"open call: {r.status_code} {r.text[:300]}")


async def to_notice(st: SimStack, org_user: str, city: str) -> tuple[str, datetime]:
    """Apply and walk the case into its public notice; returns the case id and when the notice closes."""
    data = {**application(city), "materials": await materials(st, org_user)}
    r = await st.api.call("POST", "/api/cases", org_user, headers={"Idempotency-Key": uuid.uuid4().hex},
                          json={"type": "certification", "data": data})
    if r.status_code != 201:
        raise BenchError(f"apply as {org_user}: {r.status_code} {r.text[:300]}")
    cid = str(r.json()["id"])
    await complete(st, f"city_{city}", await task_id(st, "certification.city_recommendation", cid), "recommend",
                   {"opinion": "运营规范，业绩突出", "scores": {"运营情况": 90, "服务业绩": 88}})
    await complete(st, "department1", await task_id(st, "certification.precheck", cid), "approve", {})
    case = await wait_case(st, cid, "experts", lambda c: len(c["result"].get("experts") or []) >= 3)
    for n, expert in enumerate(case["result"]["experts"]):
        await complete(st, expert, await task_id(st, "certification.expert_review", cid, assignee=expert), "approve",
                       {"score": 80 + n, "opinion": "材料齐全", "no_conflict": True})
    await complete(st, "department1", await task_id(st, "certification.onsite_inspection", cid), "approve",
                   {"passed": True, "report": "场地设施齐全"})
    await complete(st, "department2", await task_id(st, "certification.decision", cid), "approve", {})
    # 002 art. 12: an approved platform waits for the year's 拟认定名单 (`listed`). The last case of the year to be
    # decided publishes it; a case still waiting a moment later goes out in a (supplementary) list the department
    # publishes, as an official would with the candidates waiting then.
    case = await wait_case(st, cid, "the decision", lambda c: c["status"] in ("listed", "public_notice"))
    if case["status"] == "listed":
        await asyncio.sleep(2)
        case = await wait_case(st, cid, "the decision", lambda c: c["status"] in ("listed", "public_notice"))
    if case["status"] == "listed":
        r = await st.api.call("POST", f"/api/certification/years/{case['result']['call_year']}/list", "department1")
        if r.status_code != 200 and r.json().get("code") != "certification_list_empty":  # another published it
            raise BenchError(f"publish the list of {cid}: {r.status_code} {r.text[:300]}")
    case = await wait_case(st, cid, "public notice", lambda c: c["status"] == "public_notice" and any(
        d["name"] == "public_notice" for d in c["deadlines"]))
    closes = next(d for d in case["deadlines"] if d["name"] == "public_notice")["closes_at"]
    return cid, datetime.fromisoformat(closes)


async def advance_until(st: SimStack, when: datetime) -> None:
    for _ in range(3):
        r = await st.api.call("POST", "/api/admin/clock/advance", "admin", json={"until": when.isoformat()})
        if r.status_code == 200:
            return
        # The API's own advice on an interrupted move (a transport error to the test server): read the clock, go on.
        if r.status_code != 503 or r.json().get("code") != "clock_advance_incomplete" or await st.now() >= when:
            break
        print(f"  clock move interrupted ({r.json().get('detail', '')[:80]}); moving on from {await st.now()}")
    if r.status_code != 200 and await st.now() < when:
        raise BenchError(f"advance until {when}: {r.status_code} {r.text[:300]}")


async def wait_all(st: SimStack, ids: set[str], status: str, timeout: float) -> int:
    end = time.monotonic() + timeout
    n = 0
    while time.monotonic() < end:
        n = statuses(st, ids).get(status, 0)
        if n == len(ids):
            break
        await asyncio.sleep(0.2)
    return n


async def yearly_cycle(st: SimStack, org_user: str, city: str, cid: str, rating: str) -> None:
    for _ in range(14):
        if open_tasks(st, "certification.annual_summary", {cid}):
            break
        await st.advance(31)
        await asyncio.sleep(0.2)
    tid = await task_id(st, "certification.annual_summary", cid)
    before = len((await case_json(st, cid))["result"].get("annual_ratings", {}))
    await complete(st, org_user, tid, "submit", {"summary": "年度工作总结"})
    await complete(st, f"city_{city}", await task_id(st, "certification.city_annual_report", cid), "approve",
                   {"report": "服务规范", "satisfaction_pct": 90})
    await complete(st, "department1", await task_id(st, "certification.annual_assessment", cid), "approve",
                   {"rating": rating})
    await wait_case(st, cid, "rating", lambda c: len(c["result"].get("annual_ratings", {})) > before)


async def run(concurrency: int, workdir: Path) -> dict[str, Any]:
    st = SimStack(workdir)
    out: dict[str, Any] = {"concurrency": concurrency}
    try:
        await st.start()
        out["boot_s"] = st.boot_s
        staff_tokens(st, STAFF)
        at = await st.now()
        orgs = st.add_orgs("platform_org", concurrency + 1, f"plat{uuid.uuid4().hex[:4]}", at)
        await ensure_call(st)
        # 1. concurrently up to the grant
        err0 = st.api.server_errors
        t0 = time.perf_counter()
        got = await asyncio.wait_for(asyncio.gather(
            *(to_notice(st, u, CITIES[i % 5]) for i, (u, _) in enumerate(orgs[:concurrency])),
            return_exceptions=True), 900)
        ok = [g for g in got if not isinstance(g, BaseException)]
        errors = [repr(g) for g in got if isinstance(g, BaseException)]
        notice_s = time.perf_counter() - t0
        per_case: list[float] = []
        if ok:
            await advance_until(st, max(c for _, c in ok) + timedelta(hours=1))
            granted = await wait_all(st, {cid for cid, _ in ok}, "granted", 300)
        else:
            granted = 0
        grant_s = time.perf_counter() - t0
        out.update(c_ok=len(ok), c_errors=errors, c_notice_s=notice_s, c_grant_s=grant_s, c_granted=granted,
                   c_5xx=st.api.server_errors - err0, c_case_s=per_case)
        # 2. one certification's whole life, alone
        await ensure_call(st)
        user, _ = orgs[-1]
        city = CITIES[0]
        t0 = time.perf_counter()
        cid, closes = await to_notice(st, user, city)
        await advance_until(st, closes + timedelta(hours=1))
        if await wait_all(st, {cid}, "granted", 120) != 1:
            raise BenchError(f"{cid} not granted")
        laps = {"apply -> granted": time.perf_counter() - t0}
        for year, rating in enumerate(("excellent", "qualified", "qualified"), 1):
            t1 = time.perf_counter()
            await yearly_cycle(st, user, city, cid, rating)
            laps[f"yearly cycle {year}"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        case = await case_json(st, cid)
        validity = datetime.fromisoformat(next(d for d in case["deadlines"] if d["name"] == "validity")["closes_at"])
        await advance_until(st, validity + timedelta(hours=1))
        if await wait_all(st, {cid}, "expired", 120) != 1:
            raise BenchError(f"{cid} did not expire: {statuses(st, {cid})}")
        laps["advance past validity -> expired"] = time.perf_counter() - t1
        out.update(life_s=time.perf_counter() - t0, life_laps=laps, life_requests=st.api.requests)
        return out
    finally:
        await st.stop()


def report(r: dict[str, Any], baseline: float) -> None:
    c = r["concurrency"]
    print(f"stack up in {r['boot_s']:.1f} s")
    print(f"-- {c} certifications at once, apply -> public notice -> (clock past the notices) -> granted")
    print(f"  reached the notice    {r['c_ok']}/{c} in {r['c_notice_s']:.1f} s")
    print(f"  granted               {r['c_granted']}/{c} after {r['c_grant_s']:.1f} s")
    rate = r["c_granted"] / r["c_grant_s"] if r["c_grant_s"] else 0.0
    print(f"  throughput            {rate:.2f} lifecycles/s ({rate * UPDATES_TO_GRANT:.1f} updates/s, "
          f"{UPDATES_TO_GRANT} per certification)")
    print(f"  vs bare engine        {rate / baseline:.3f} per workflow, {rate * UPDATES_TO_GRANT / baseline:.2f} per update "
          f"({baseline} workflows/s)")
    print(f"  errors                {len(r['c_errors'])} failed, {r['c_5xx']} HTTP 5xx retried")
    for e in r["c_errors"][:3]:
        print(f"    ERROR {e[:300]}")
    if r["c_case_s"]:
        print(f"  one case to notice    p50 {pct(r['c_case_s'], 50):.1f} s")
    if "life_s" in r:
        print(f"-- one certification's 3-year life alone: {r['life_s']:.1f} s wall")
        for k, v in r["life_laps"].items():
            print(f"    {k:36s} {v:6.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-c", type=int, default=100)
    ap.add_argument("--quick", action="store_true", help="-c 10")
    ap.add_argument("--baseline-updates-per-s", type=float, default=BASELINE_UPDATES_PER_S)
    ap.add_argument("--keep", default=None, help="keep the stack's data and log in this folder")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the stack's process group is ended too
    c = 10 if args.quick else args.c
    m = machine()
    banner(f"certification life: {c} at once, then one full life ({m['date']}, {m['nproc']} cores, load {m['load']})")
    try:
        with tempfile.TemporaryDirectory(prefix="flow168-cert-") as tmp:
            report(asyncio.run(run(c, Path(args.keep or tmp))), args.baseline_updates_per_s)
    finally:
        kill_all()


if __name__ == "__main__":
    main()
