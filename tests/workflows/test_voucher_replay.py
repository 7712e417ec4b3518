"""Replay of a whole voucher run (demand returned once, lowered amount, settlement) on the current code.
FLOW168_RECORD_HISTORIES=1 writes it to tests/replay/histories/VoucherWorkflow__v11.json (then review the diff). The
older files stay as their versions recorded them: v1 and the v2 files before patch "statistics-started-by-worker",
v3 before "voucher-fund-signal-kept", v4 (and void_v2, withdrawn_v2) before "voucher-policy-order",
"voucher-category-confirmed", "voucher-void-informs-department" and "voucher-payout-reconciled"; v5 has the first
three, v5_payout the last alone, v6 all four; running cases of those versions must still replay. v8 (and void_v5,
withdrawn_v4, v8_2016) run their activities as local activities (patch "local-activities", issue 12); v9 writes a
reserved application's projection once (patch "voucher-reserved-projected-once"); v10 also writes five steps' opening
status in their open_task (patch "status-with-step"); v11 (recorded by the first test below now) writes the projection
in the reservation's own transaction (patch "voucher-reserve-projects").
VoucherWorkflow__v5_2016.json (without the payout patch) and __v6_2016.json are runs under the 2016 version's own
order (003 art. 9-10)."""

from __future__ import annotations

import os
from itertools import pairwise

import pytest

from tests.conftest import Stack, own_stack_fixture
from tests.helpers import activities_of, complete, task_of, wait_for
from tests.replay.test_replay import HISTORIES, replayer
from tests.voucher.factories import MATERIALS, new_voucher, upload

pytestmark = pytest.mark.workflow

# Its cases leap the clock by days: a server of its own, so no other module's open cases wake (issue 12).
stack = own_stack_fixture()


async def test_voucher_history_replays(stack: Stack) -> None:
    v = await new_voucher(stack)
    await v.demand()
    await v.do("operator1", "voucher.demand_review", "return", comment="请补充需求描述")
    await v.do(v.ent, "voucher.correction", "submit", {"category": "credit", "title": "信用评价", "description": "补充",
                                                       "budget_fen": 500_000})
    await v.do("operator1", "voucher.demand_review", data={"category": "credit"})
    await v.status("bidding")
    bid = (await v.bid()).json()
    await v.close_bidding()
    await v.do(v.ent, "voucher.choose_bid", "submit", {"bid_id": bid["id"]})
    await v.do("operator1", "voucher.award_review")
    await v.apply(600_000)
    await v.do("operator1", "voucher.first_review", data={"amount_fen": 200_000})
    await v.do("department1", "voucher.final_review")
    await v.status("issued")
    await v.deliver(paid_fen=400_000)
    await v.do(v.ent, "voucher.confirm", "submit", {"satisfaction": "basic"})
    await v.do("operator1", "voucher.settlement_review")
    await v.do("department1", "voucher.settlement_approval")
    await v.status("settled")
    history = await stack.client.get_workflow_handle(v.case_id).fetch_history()
    await replayer().replay_workflow(history)
    # Patch "voucher-reserved-projected-once": reserved at once, the application's projection was written once
    # between the reservation and the first review (before: twice); since patch "voucher-reserve-projects" the
    # reservation writes it itself, and the first review's step follows it directly.
    done = activities_of(history.events)
    after_reserve = done[done.index("voucher_reserve_fund") + 1:]
    assert after_reserve[0] == "open_task", done
    # Patch "status-with-step": choosing, the award review, applying, the first review and the settlement review open
    # with their status written by open_task; only the demand review (before and after the correction) and the
    # confirmation (in_service, written when the delivery is reported) are still preceded by a set_case_status.
    pairs = [i for i, (a, b) in enumerate(pairwise(done)) if (a, b) == ("set_case_status", "open_task")]
    assert len(pairs) == 3, [f"{i}:{a}" for i, a in enumerate(done)]
    if os.environ.get("FLOW168_RECORD_HISTORIES"):
        (HISTORIES / "VoucherWorkflow__v11.json").write_text(history.to_json())


async def test_void_and_withdrawal_histories_replay(stack: Stack) -> None:
    """The patched paths: a fraud void that drafts its decision, and a withdrawal arriving with an activity's result
    (right after the demand), which the process must not swallow. Recorded as VoucherWorkflow__void_v5 and
    VoucherWorkflow__withdrawn_v4."""
    voided = await new_voucher(stack)
    await voided.to_bidding()
    op = await voided.h("operator1")  # 003 art. 11(1): the operating unit voids, the department is informed
    r = await stack.http.post(f"/api/cases/{voided.case_id}/void", headers=op,
                              json={"reason": "虚构服务需求", "responsible_person": "李某"})
    assert r.status_code == 202, r.text
    assert "voucher_void_decision" in {d["kind"] for d in (await voided.status("void"))["documents"]}
    dep = await voided.h("department1")  # told under the voucher's own policy (patch "voucher-void-notice-policy")

    async def notices() -> list[dict]:
        items = (await stack.http.get("/api/notifications", headers=dep, params={"limit": 200})).json()["items"]
        return [n for n in items if n.get("case_id") == voided.case_id and n["subject"] == "服务券作废告知"]

    told = await wait_for(notices, what="the department to be told of the void")
    assert len(told) == 1 and "2017年办法“六、使用规定”" in told[0]["body"] and "2016年" not in told[0]["body"]
    withdrawn = await new_voucher(stack)
    await withdrawn.demand()
    r = await stack.http.post(f"/api/cases/{withdrawn.case_id}/withdraw", headers=withdrawn.ent,
                              json={"reason": "需求已自行解决"})
    assert r.status_code == 202, r.text
    await withdrawn.status("withdrawn")
    # void_v4: "voucher-void-notice-policy" (issue 15); void_v3 keeps the history before it
    for v, name in ((voided, "void_v5"), (withdrawn, "withdrawn_v4")):
        history = await stack.client.get_workflow_handle(v.case_id).fetch_history()
        await replayer().replay_workflow(history)
        if os.environ.get("FLOW168_RECORD_HISTORIES"):
            (HISTORIES / f"VoucherWorkflow__{name}.json").write_text(history.to_json())


async def test_voucher_2016_order_history_replays(stack: Stack) -> None:
    """003 art. 9-10: contract before the application, the operator alone reviews, issues and settles, the deposit."""
    v = await new_voucher(stack)
    await v.demand_2016()
    await v.do("operator1", "voucher.demand_review")
    await v.status("bidding")
    bid = (await v.bid()).json()
    await v.close_bidding()
    await v.do(v.ent, "voucher.choose_bid", "submit", {"bid_id": bid["id"]})
    await v.do("operator1", "voucher.award_review")
    applying = await v.status("applying")
    assert [d["kind"] for d in applying["documents"]] == ["three_party_contract"]  # before the application
    task = await task_of(stack.http, v.ent, "voucher.apply", v.case_id)
    r = await complete(stack.http, v.ent, task, "submit", {"contract_amount_fen": 700_000, "materials": {
        m: await upload(stack, v.ent) for m in MATERIALS}})
    assert r.status_code == 422 and r.json()["code"] == "contract_amount_differs", r.text
    await v.apply(600_000)
    await v.do("operator1", "voucher.first_review")
    await v.do("operator2", "voucher.deposit", "submit", {"deposit_fen": 300_000})
    await v.status("issued")
    await v.deliver(paid_fen=300_000)
    await v.do(v.ent, "voucher.confirm", "submit", {"satisfaction": "satisfied"})
    await v.do("operator1", "voucher.settlement_review")
    done = await v.status("settled")
    assert not [t for t in done["tasks"] if t["role"] == "department"]
    assert done["policy_version"] == "2016" and done["result"]["voucher"]["amount_fen"] == 300_000
    history = await stack.client.get_workflow_handle(v.case_id).fetch_history()
    await replayer().replay_workflow(history)
    if os.environ.get("FLOW168_RECORD_HISTORIES"):
        (HISTORIES / "VoucherWorkflow__v8_2016.json").write_text(history.to_json())
