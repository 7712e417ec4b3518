"""The world the authorization matrix runs against: one organisation per applicant role (own and other), staff, and
one real case of each kind the routes take an id of, built once per module through the API (workflows on the module's
own time-skipping server) and, where only a row is needed (documents, an upload's case, a notification), straight
into the database."""

from __future__ import annotations

import json
import secrets
import uuid
from base64 import b64encode
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import itsdangerous
from sqlmodel import select

from api.security import hash_password, issue_token
from db.engine import session_scope
from db.models import AssessmentCampaign, Case, Document, Notification, Organization, Task, Upload, User
from tests.conftest import Stack
from tests.helpers import PASSWORD, auth, complete, new_uscc, org_body, task_of, wait_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Every role the matrix knows; `own`/`other` are relative to the fixture cases (the enterprise owns the voucher case,
# the platform organisation the certification and the window cases, the Yinchuan bureau their city; the expert sits on
# the certification's panel, the other expert does not).
ROLES = ("anonymous", "enterprise", "enterprise_other", "provider", "provider_other", "platform", "platform_other",
         "operating_unit", "city", "city_other", "expert", "expert_other", "operator", "department", "admin")


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # role -> username
    uids: dict[str, int] = field(default_factory=dict)  # role -> user id
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> bearer header
    pages: dict[str, httpx.AsyncClient] = field(default_factory=dict)  # role -> client with its session cookie
    csrf: dict[str, str] = field(default_factory=dict)


def _org(s: Any, kind: str, city: str, pw: str, role: str, **over: Any) -> User:
    now = datetime.now(UTC)
    body = org_body(kind, city=city)["org"]
    org = Organization(kind=kind, name=body["name"], uscc=new_uscc(), city=city, size="small", employees=30,
                       revenue_fen=800_000_000, industry="software", categories=body.get("categories", []), created_at=now,
                       **over)
    s.add(org)
    s.flush()
    user = User(username=f"authz_{role}_{uuid.uuid4().hex[:6]}", password_hash=pw, role=kind, org_id=org.id,
                city=city, display_name=role, status="active", created_at=now)
    s.add(user)
    s.flush()
    return user


async def _case(http: httpx.AsyncClient, h: dict[str, str], type_: str, data: dict[str, Any]) -> str:
    r = await http.post("/api/cases", headers={**h, "Idempotency-Key": uuid.uuid4().hex}, json={"type": type_, "data": data})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _upload(http: httpx.AsyncClient, h: dict[str, str], name: str = "m.pdf") -> str:
    r = await http.post("/api/uploads", headers=h, files={"file": (name, PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def page_client(stack: Stack, user_id: int | None) -> tuple[httpx.AsyncClient, str]:
    """A browser of the app with a session cookie of its own, signed as the app signs it (no password check: argon2 is
    slow on a shared machine), logged in as `user_id` (None: anonymous), and the session's CSRF token."""
    client = httpx.AsyncClient(transport=stack.http._transport, base_url="http://flow168.test", timeout=60,
                               follow_redirects=False)
    token = secrets.token_urlsafe(16)
    session: dict[str, Any] = {"csrf": token} if user_id is None else {"csrf": token, "uid": user_id}
    signer = itsdangerous.TimestampSigner(stack.settings.secret_key or "")
    client.cookies.set("flow168_session", signer.sign(b64encode(json.dumps(session).encode())).decode())
    return client, token


async def build_world(stack: Stack) -> World:
    w = World()
    http = stack.http
    pw = hash_password(PASSWORD)
    with session_scope(stack.engine) as s:
        made = {
            "enterprise": _org(s, "enterprise", "yinchuan", pw, "enterprise"),
            "enterprise_other": _org(s, "enterprise", "shizuishan", pw, "enterprise_other"),
            "provider": _org(s, "provider", "yinchuan", pw, "provider", signed=True),
            "provider_other": _org(s, "provider", "shizuishan", pw, "provider_other", signed=True),
            "platform": _org(s, "platform_org", "yinchuan", pw, "platform"),
            "platform_other": _org(s, "platform_org", "shizuishan", pw, "platform_other"),
            "operating_unit": _org(s, "operating_unit", "yinchuan", pw, "operating_unit"),  # 受托运营机构 (issue 10)
        }
        for role, u in made.items():
            w.users[role] = u.username
        w.ids["provider_org"] = made["provider"].org_id
        secret = stack.settings.secret_key or ""
        for role, u in made.items():
            w.uids[role] = int(u.id or 0)
            w.tokens[role] = auth(issue_token(secret, w.uids[role]))
        staff = {"city": "city_yinchuan", "city_other": "city_shizuishan", "operator": "operator1",
                 "department": "department1", "admin": "admin"}
        for role, name in staff.items():
            u = s.exec(select(User).where(User.username == name)).one()
            w.users[role], w.uids[role] = name, int(u.id or 0)
            w.tokens[role] = auth(issue_token(secret, w.uids[role]))
        experts = {u.username: u for u in s.exec(select(User).where(User.role == "expert"))}
    ops = w.tokens["operator"]
    dep = w.tokens["department"]
    now = await stack.clock.now()
    year = (now + timedelta(hours=8)).year

    # Registration cases: R waits for the operator's review; R2 is the one the admin terminates.
    for key in ("R", "R2"):
        r = await http.post("/api/register", json=org_body("enterprise", city="yinchuan"))
        assert r.status_code == 201, r.text
        w.ids[key] = r.json()["case_id"]
    w.ids["T_reg"] = (await task_of(http, ops, "registration.review", w.ids["R"]))["id"]

    # Voucher V: the enterprise's demand, published (bidding), with the provider's bid. V2: another enterprise's demand
    # still under review (not published).
    demand = {"category": "credit", "title": "信用评价服务", "description": "企业信用评级", "budget_fen": 600_000}
    w.ids["V"] = await _case(http, w.tokens["enterprise"], "voucher", demand)
    w.ids["V2"] = await _case(http, w.tokens["enterprise_other"], "voucher", demand)
    w.ids["V3"] = await _case(http, w.tokens["enterprise"], "voucher", {**demand, "category": "legal"})
    r = await complete(http, ops, await task_of(http, ops, "voucher.demand_review", w.ids["V"]))
    assert r.status_code == 200, r.text

    async def bidding() -> bool:
        r = await http.get(f"/api/cases/{w.ids['V']}", headers=ops)
        return r.json()["status"] == "bidding"

    await wait_for(bidding, what="bidding")
    r = await http.post(f"/api/cases/{w.ids['V']}/bids", headers=w.tokens["provider"],
                        json={"amount_fen": 500_000, "plan": "两周内完成"})
    assert r.status_code == 201, r.text
    w.ids["U"] = await _upload(http, w.tokens["enterprise"])  # one of V's materials

    # Certification C: the platform's application, recommended by its city, prechecked: its experts are named.
    if (await http.get("/api/certification/calls/current")).status_code != 200:
        r = await http.post("/api/certification/calls", headers=dep,
                            json={"year": year, "deadline": f"{year}-12-31", "experts": 3})
        assert r.status_code == 201, r.text
    from tests.api.test_certification import application, materials

    w.ids["C"] = await _case(http, w.tokens["platform"], "certification", {
        **application("yinchuan"), "materials": await materials(http, w.tokens["platform"])})
    city = w.tokens["city"]
    r = await complete(http, city, await task_of(http, city, "certification.city_recommendation", w.ids["C"]),
                       "recommend", data={"opinion": "运营规范", "scores": {"运营情况": 90, "服务业绩": 88}})
    assert r.status_code == 200, r.text
    r = await complete(http, dep, await task_of(http, dep, "certification.precheck", w.ids["C"]))
    assert r.status_code == 200, r.text

    async def panel() -> list[str] | None:
        case = (await http.get(f"/api/cases/{w.ids['C']}", headers=dep)).json()
        return (case.get("result") or {}).get("experts")

    named = await wait_for(panel, what="the expert panel")
    w.users["expert"] = named[0]
    w.users["expert_other"] = next(n for n in sorted(experts) if n not in named)
    for role in ("expert", "expert_other"):
        w.uids[role] = int(experts[w.users[role]].id or 0)
        w.tokens[role] = auth(issue_token(secret, w.uids[role]))
    w.ids["T_exp"] = (await task_of(http, w.tokens["expert"], "certification.expert_review", w.ids["C"]))["id"]

    # Window W: the platform's application for window onboarding.
    from tests.api.test_window_onboarding import application as window_application

    w.ids["W"] = await _case(http, w.tokens["platform"], "window_onboarding",
                             await window_application(http, w.tokens["platform"]))

    # An assessment campaign of the signed partners (the provider).
    r = await http.post("/api/assessment/campaigns", headers=ops,
                        json={"year": 2061, "kind": "partner", "subjects": [w.ids["provider_org"]]})
    assert r.status_code == 201, r.text
    w.ids["CAMP"] = r.json()["id"]

    # Rows only: V's material, documents of each kind the routes serve, a notification of the enterprise.
    docs = stack.settings.data_dir / "authz-docs"
    docs.mkdir(parents=True, exist_ok=True)
    with session_scope(stack.engine) as s:
        up = s.get(Upload, w.ids["U"])
        assert up is not None
        up.case_id = w.ids["V"]
        camp = s.get(AssessmentCampaign, w.ids["CAMP"])
        assert camp is not None
        for key, kind, case_id, dkey in (
                ("D_case", "expert_review_summary", w.ids["C"], None),
                ("D_notice", "public_notice", w.ids["C"], None),
                ("D_cert", "certification_notice", w.ids["C"], None),
                ("D_stat", "monthly_voucher_statistics", None, None),
                ("D_summary", "city_summary", None, f"certification.{year}.city_summary.yinchuan.0"),
                ("D_bulletin", "assessment_result_bulletin", None, f"assessment-bulletin.{camp.year}.{camp.kind}")):
            doc_id = f"authz-{key}-{uuid.uuid4().hex[:6]}"
            path = docs / f"{doc_id}.docx"
            path.write_bytes(b"PK\x03\x04 authz")
            s.add(Document(id=doc_id, key=dkey or doc_id, case_id=case_id, kind=kind, title=key, filename=f"{key}.docx",
                           path=str(path), sha256="0" * 64, size=path.stat().st_size, layout_version="authz",
                           created_at=now))
            w.ids[key] = doc_id
        ent = s.exec(select(User).where(User.username == w.users["enterprise"])).one()
        n = Notification(key=f"authz-{uuid.uuid4().hex[:6]}", user_id=int(ent.id or 0), channel="app", subject="authz",
                         created_at=now)
        s.add(n)
        s.flush()
        w.ids["N"] = n.id
        assert s.get(Case, w.ids["C"]) is not None and s.get(Task, w.ids["T_exp"]) is not None

    # A browser session per role (anonymous too), each with its CSRF token.
    for role in ROLES:
        w.pages[role], w.csrf[role] = page_client(stack, w.uids.get(role))
    return w
