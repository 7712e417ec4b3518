"""Registration and the subsidy objects: 003 art. 5 (registered in Ningxia, independent legal person) refused at
registration with 4xx codes worded in Chinese; 000 一 (2017: production manufacturing and producer services only)
refused when a voucher demand is published under the 2017 version."""

from __future__ import annotations

import uuid

import pytest

from api.error_messages import MESSAGES
from tests.conftest import Stack
from tests.helpers import new_uscc, org_body, register_approved

pytestmark = pytest.mark.pg


async def test_seed_003_art_5_a_credit_code_outside_ningxia_is_refused(stack: Stack) -> None:
    body = org_body("enterprise", uscc=new_uscc("91110105"))
    r = await stack.http.post("/api/register", json=body)
    assert r.status_code == 422 and r.json()["code"] == "not_registered_in_ningxia", r.text
    assert "宁夏" in MESSAGES["not_registered_in_ningxia"]


async def test_seed_003_art_5_not_an_independent_legal_person_is_refused(stack: Stack) -> None:
    r = await stack.http.post("/api/register", json=org_body("enterprise", independent_legal_person=False))
    assert r.status_code == 422 and r.json()["code"] == "not_independent_legal_person", r.text


async def test_a_provider_is_not_held_to_the_enterprise_rule(stack: Stack) -> None:
    """Provider eligibility is 000 四 (provider admission), not 003 art. 5."""
    r = await stack.http.post("/api/register", json=org_body("provider", uscc=new_uscc("91110105")))
    assert r.status_code == 201, r.text


async def test_seed_000_section_1_the_2017_policy_refuses_other_sectors(stack: Stack) -> None:
    demand = {"category": "credit", "title": "信用评价", "description": "", "budget_fen": 500_000}
    other, _ = await register_approved(stack.http, "enterprise", sector="other")
    r = await stack.http.post("/api/cases", headers={**other, "Idempotency-Key": uuid.uuid4().hex},
                              json={"type": "voucher", "data": demand})
    assert r.status_code == 403 and r.json()["code"] == "not_subsidy_object", r.text
    assert "000 一" in r.json()["detail"]
    maker, _ = await register_approved(stack.http, "enterprise", sector="production_manufacturing", industry="retail",
                                       employees=20, revenue_fen=200_000_000)
    r = await stack.http.post("/api/cases", headers={**maker, "Idempotency-Key": uuid.uuid4().hex},
                              json={"type": "voucher", "data": demand})
    assert r.status_code == 201, r.text
