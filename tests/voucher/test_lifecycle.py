"""The voucher end to end on the time-skipping stack (P1; seed 000 五, seed 003 art. 9-11)."""

from __future__ import annotations

import pytest

from tests.conftest import Stack, own_stack_fixture
from tests.helpers import login
from tests.voucher.factories import budget, new_voucher

pytestmark = [pytest.mark.pg, pytest.mark.workflow]

# Its cases leap the clock by days: a server of its own, so no other module's open cases wake (issue 12).
stack = own_stack_fixture()


class TestLifecycle:
    async def test_demand_to_settlement(self, stack: Stack) -> None:
        """Demand → bids → award → apply (fund reserved) → reviews → issued → delivery → rating → settled."""
        v = await new_voucher(stack)
        http = stack.http
        await v.to_bidding()
        r = await http.get("/api/voucher/demands", headers=v.prov)
        assert v.case_id in [d["id"] for d in r.json()["items"]]
        r = await v.bid()
        assert r.status_code == 201, r.text
        assert (await v.bid()).status_code == 409  # one bid per provider
        await v.close_bidding()
        bids = (await http.get(f"/api/cases/{v.case_id}/bids", headers=v.ent)).json()["items"]
        assert [b["amount_fen"] for b in bids] == [600_000] and "provider_ratings" in bids[0]
        assert (await v.bid()).status_code == 409  # bidding has closed
        await v.do(v.ent, "voucher.choose_bid", "submit", {"bid_id": bids[0]["id"]})
        await v.do("operator1", "voucher.award_review")
        await v.apply(600_000)
        applied = await v.status("in_review")
        # 000 二: credit is 50 %, no per-item cap under 2017; 600,000 fen contract → 300,000 fen
        assert applied["voucher"]["amount_fen"] == 300_000 and applied["voucher"]["status"] == "reserved"
        assert applied["policy_version"] == "2017"
        year = applied["result"]["voucher"]["fund_year"]
        before = await budget(stack, await login(http, "operator1"), year)
        bad = await v.do("operator1", "voucher.first_review", data={"amount_fen": 400_000})  # raised: refused, reopened
        assert bad["id"].endswith("first_review.1")
        await v.do("operator1", "voucher.first_review", data={"amount_fen": 250_000})
        dep = await v.h("department1")
        op_task = await v.do("department1", "voucher.final_review")
        assert op_task["role"] == "department"
        issued = await v.status("issued")
        assert issued["voucher"]["amount_fen"] == 250_000 and issued["voucher"]["valid_until"]
        assert {d["kind"] for d in issued["documents"]} == {"voucher_certificate", "three_party_contract"}
        assert any(d["name"] == "validity" for d in issued["deadlines"])
        after_lower = await budget(stack, dep, year)
        assert after_lower["reserved_fen"] == before["reserved_fen"] - 50_000
        await v.deliver(paid_fen=350_000)
        await v.status("in_service")
        await v.do(v.ent, "voucher.confirm", "submit", {"satisfaction": "satisfied"})
        await v.status("settling")
        await v.do("operator2", "voucher.settlement_review", data={"supervision_fee_bp": 400})
        await v.do("department2", "voucher.settlement_approval")
        done = await v.status("settled")
        assert done["voucher"]["status"] == "settled" and done["result"]["voucher"]["settled_fen"] == 250_000
        assert done["result"]["voucher"]["supervision_fee_fen"] == 24_000  # 4 % of 600,000 (003 art. 11(4))
        assert {d["kind"] for d in done["documents"]} >= {"settlement_statement"}
        end = await budget(stack, dep, year)
        assert end["settled_fen"] == after_lower["settled_fen"] + 250_000
        assert end["reserved_fen"] == after_lower["reserved_fen"] - 250_000
        d = await http.get(f"/api/documents/{done['documents'][0]['id']}", headers=v.ent)
        assert d.status_code == 200 and d.content[:2] == b"PK"
        mine = (await http.get(f"/api/voucher/contracts/{v.case_id}", headers=v.prov)).json()
        assert mine["status"] == "settled" and len(mine["documents"]) == 3
        contract = next(x for x in mine["documents"] if x["kind"] == "three_party_contract")
        d = await http.get(f"/api/voucher/contracts/{v.case_id}/documents/{contract['id']}", headers=v.prov)
        assert d.status_code == 200 and d.content[:2] == b"PK"
        won = (await http.get("/api/voucher/my-bids", headers=v.prov)).json()["items"]
        assert won[0]["status"] == "chosen" and won[0]["voucher"]["status"] == "settled"
