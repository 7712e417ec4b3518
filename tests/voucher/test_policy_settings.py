"""The department (003 art. 3) sets a voucher policy version's numbers (DOMAIN.md P1 "configurable"): bidding days,
validity, expiry reminders, the default supervision fee; new cases use them. Own server and database: the settings are global."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import Stack, own_stack_fixture
from tests.helpers import login
from tests.voucher.factories import new_voucher

stack = own_stack_fixture()
pytestmark = [pytest.mark.pg, pytest.mark.workflow]


async def test_settings_are_checked_and_apply_to_new_cases(stack: Stack) -> None:
    http = stack.http
    admin, op = await login(http, "department1"), await login(http, "operator1")  # 003 art. 3: the department
    url = "/api/admin/voucher-policies/2017"
    listed = {p["code"]: p for p in (await http.get("/api/admin/voucher-policies", headers=op)).json()["items"]}
    assert listed["2017"]["bidding_working_days"] == listed["2017"]["defaults"]["bidding_working_days"] == 5
    assert (await http.put(url, headers=op, json={"bidding_working_days": 8})).status_code == 403
    sysadmin = await login(http, "admin")
    assert (await http.put(url, headers=sysadmin, json={"bidding_working_days": 8})).status_code == 403
    assert (await http.put("/api/admin/voucher-policies/2030", headers=admin, json={})).status_code == 404
    bad = await http.put(url, headers=admin, json={"voucher_validity_days": 60, "expiry_reminder_days": [90]})
    assert bad.status_code == 422 and "each expiry reminder must be 1 to 59 days" in bad.json()["detail"]
    r = await http.put(url, headers=admin, json={"bidding_working_days": 8, "voucher_validity_days": 90,
                                                 "expiry_reminder_days": [20], "supervision_fee_bp": 500})
    assert r.status_code == 200, r.text
    assert (r.json()["bidding_working_days"], r.json()["supervision_fee_bp"]) == (8, 500)

    v = await new_voucher(stack)
    await v.to_bidding()
    opened = [e for e in (await v.detail())["timeline"] if e["action"] == "bidding_opened"]
    assert "8个工作日内报价" in opened[0]["message"]
    r = await v.bid()
    assert r.status_code == 201, r.text
    await v.close_bidding()
    await v.do(v.ent, "voucher.choose_bid", "submit", {"bid_id": r.json()["id"]})
    await v.do("operator1", "voucher.award_review")
    await v.apply(600_000)
    await v.do("operator1", "voucher.first_review")
    await v.do("department1", "voucher.final_review")
    voucher = (await v.status("issued"))["result"]["voucher"]
    assert date.fromisoformat(voucher["valid_until"]) == date.fromisoformat(voucher["issued_on"]) + timedelta(days=90)
    await v.deliver(paid_fen=300_000)
    await v.do(v.ent, "voucher.confirm", "submit", {"satisfaction": "satisfied"})
    await v.do("operator1", "voucher.settlement_review")
    await v.do("department1", "voucher.settlement_approval")
    assert (await v.status("settled"))["result"]["voucher"]["supervision_fee_fen"] == 30_000  # 5 % of 6,000 元

    reset = await http.put(url, headers=admin, json={})
    assert reset.status_code == 200 and reset.json()["voucher_validity_days"] == 180
