"""Plain factories for the voucher tests: signed providers, enterprises, a demand walked to any step."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlmodel import select

from db.engine import session_scope
from db.models import Organization
from tests.conftest import Stack
from tests.helpers import case_status, complete, leap, login, register_approved, task_of

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MATERIALS = ("premises_proof", "office_photo", "financial_statements", "social_security_proof", "tax_payment_proof")


async def signed_provider(stack: Stack, *categories: str) -> tuple[dict[str, str], dict[str, Any]]:
    """A registered provider listed as signed in the categories (as a filed admission would leave it)."""
    h, body = await register_approved(stack.http, "provider", categories=list(categories))
    with session_scope(stack.engine) as s:
        org = s.exec(select(Organization).where(Organization.uscc == body["org"]["uscc"])).one()
        org.signed, org.categories = True, sorted(categories)
    return h, body


def set_org(stack: Stack, uscc: str, **fields: Any) -> None:
    with session_scope(stack.engine) as s:
        org = s.exec(select(Organization).where(Organization.uscc == uscc)).one()
        for k, v in fields.items():
            setattr(org, k, v)


def get_org(stack: Stack, uscc: str) -> Organization:
    with session_scope(stack.engine) as s:
        return s.exec(select(Organization).where(Organization.uscc == uscc)).one()


async def upload(stack: Stack, h: dict[str, str], name: str = "证明.pdf") -> str:
    r = await stack.http.post("/api/uploads", headers=h, files={"file": (name, PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


@dataclass
class Voucher:
    """One voucher case being walked through its steps by its parties."""

    stack: Stack
    ent: dict[str, str]
    ent_body: dict[str, Any]
    prov: dict[str, str]
    prov_body: dict[str, Any]
    case_id: str = ""
    category: str = "credit"
    staff: dict[str, dict[str, str]] = field(default_factory=dict)

    async def h(self, who: str) -> dict[str, str]:
        if who not in self.staff:
            self.staff[who] = await login(self.stack.http, who)
        return self.staff[who]

    async def do(self, who: dict[str, str] | str, task_type: str, decision: str = "approve",
                 data: dict[str, Any] | None = None, comment: str = "同意") -> dict[str, Any]:
        h = await self.h(who) if isinstance(who, str) else who
        task = await task_of(self.stack.http, h, task_type, self.case_id)
        r = await complete(self.stack.http, h, task, decision, data, comment)
        assert r.status_code == 200, r.text
        return task

    async def detail(self, h: dict[str, str] | None = None) -> dict[str, Any]:
        r = await self.stack.http.get(f"/api/cases/{self.case_id}", headers=h or self.ent)
        assert r.status_code == 200, r.text
        return r.json()

    async def status(self, *statuses: str) -> dict[str, Any]:
        return await case_status(self.stack.http, self.ent, self.case_id, set(statuses))

    async def demand(self, budget_fen: int = 600_000) -> dict[str, Any]:
        data = {"category": self.category, "title": f"信用评价服务{uuid.uuid4().hex[:4]}", "description": "企业信用评级",
                "budget_fen": budget_fen}
        r = await self.stack.http.post("/api/cases", json={"type": "voucher", "data": data},
                                       headers={**self.ent, "Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 201, r.text
        self.case_id = r.json()["id"]
        return r.json()

    async def demand_2016(self) -> None:
        """A demand that runs under the 2016 version (003): the row is written with its version before its workflow
        starts, as a case submitted while the 2016 rules were in force would have it (the clock is in 2026)."""
        from api.workflows import start_case
        from db.models import Case, User

        self.case_id = f"VC-2016-{uuid.uuid4().hex[:10]}"
        with session_scope(self.stack.engine) as s:
            user = s.exec(select(User).where(User.username == self.ent_body["username"])).one()
            org = s.get(Organization, user.org_id)
            assert org is not None
            now = await self.stack.clock.now()
            case = Case(id=self.case_id, type="voucher", status="submitted", title=f"服务券需求：{org.name}",
                        applicant=org.name, applicant_user_id=user.id, applicant_org_id=org.id, city=org.city,
                        policy_version="2016", data={"category": self.category, "title": "信用评价服务",
                                                     "description": "企业信用评级", "budget_fen": 600_000},
                        created_at=now, updated_at=now)
            s.add(case)
            s.flush()
            s.expunge(case)
            s.expunge(user)
        await start_case(self.stack.client, self.stack.settings.task_queue, case, user)

    async def to_bidding(self) -> None:
        await self.demand()
        await self.do("operator1", "voucher.demand_review")
        await self.status("bidding")

    async def bid(self, h: dict[str, str] | None = None, amount_fen: int = 600_000) -> Any:
        return await self.stack.http.post(f"/api/cases/{self.case_id}/bids", headers=h or self.prov,
                                          json={"amount_fen": amount_fen, "plan": "两周内完成信用评价"})

    async def close_bidding(self) -> None:
        """Skip time until bidding has closed: its working days may span a long holiday (e.g. Spring Festival)."""
        for _ in range(15):
            await leap(self.stack, timedelta(days=4))
            if (await self.detail())["status"] != "bidding":
                return
        raise AssertionError(f"bidding on {self.case_id} did not close within 60 days")

    async def to_apply(self) -> None:
        await self.to_bidding()
        r = await self.bid()
        assert r.status_code == 201, r.text
        await self.close_bidding()
        bid_id = r.json()["id"]
        await self.do(self.ent, "voucher.choose_bid", "submit", {"bid_id": bid_id})
        await self.do("operator1", "voucher.award_review")

    async def apply(self, contract_amount_fen: int = 600_000) -> None:
        materials = {m: await upload(self.stack, self.ent) for m in MATERIALS}
        await self.do(self.ent, "voucher.apply", "submit",
                      {"contract_amount_fen": contract_amount_fen, "materials": materials})

    async def to_issued(self, *, contract_amount_fen: int = 600_000, lowered: int | None = None) -> None:
        await self.to_apply()
        await self.apply(contract_amount_fen)
        await self.do("operator1", "voucher.first_review", data={"amount_fen": lowered} if lowered else {})
        await self.do("department1", "voucher.final_review")
        await self.status("issued")

    async def deliver(self, paid_fen: int) -> None:
        data = {"completion_proof": await upload(self.stack, self.prov), "invoice": await upload(self.stack, self.prov),
                "paid_fen": paid_fen}
        await self.do(self.prov, "voucher.delivery", "submit", data)


async def new_voucher(stack: Stack, category: str = "credit", **ent_org: Any) -> Voucher:
    ent, ent_body = await register_approved(stack.http, "enterprise", **ent_org)
    prov, prov_body = await signed_provider(stack, category)
    return Voucher(stack, ent, ent_body, prov, prov_body, category=category)


async def budget(stack: Stack, h: dict[str, str], year: int) -> dict[str, Any]:
    r = await stack.http.get(f"/api/budget/{year}", headers=h)
    assert r.status_code == 200, r.text
    return r.json()
