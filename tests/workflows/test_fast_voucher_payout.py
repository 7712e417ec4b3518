"""Payout figures on fake activities (issue 11): the settlement counts what the enterprise confirms it paid, never
more than the contract, and a provider's figure above the contract no longer loops the settlement review forever
with the money reserved (patch "voucher-payout-reconciled")."""

from __future__ import annotations

import pytest

from tests.workflows.harness import Harness
from tests.workflows.test_fast_voucher import CONTRACT, _fund_ops, _start, _to_first_review

pytestmark = pytest.mark.workflow


async def _to_delivery(h: Harness, case_id: str, paid_fen: int) -> None:
    await _to_first_review(h, case_id)
    await h.step("voucher.first_review", "approve", "operator1", case_id=case_id)
    await h.step("voucher.final_review", "approve", "department1", case_id=case_id)
    await h.step("voucher.delivery", "submit", "prov_a", case_id=case_id, data={"paid_fen": paid_fen})


class TestPayout:
    async def test_the_enterprise_confirms_what_it_paid(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await _to_delivery(harness, case_id, 500_000)  # the provider says the enterprise paid its whole share
        confirm = await harness.fakes.task("voucher.confirm", case_id)
        assert "5000.00" in confirm.spec.summary  # the enterprise sees the provider's figure
        await harness.decide(confirm, "submit", "ent_a", data={"satisfaction": "satisfied", "paid_fen": 300_000})
        await harness.step("voucher.settlement_review", "approve", "operator2", case_id=case_id)
        await harness.step("voucher.settlement_approval", "approve", "department2", case_id=case_id)
        assert await harness.result(case_id) == "settled"
        # Paid 300,000 of its 500,000 share: the voucher's share of what was paid, 500,000 × 3/5.
        f = harness.fakes
        assert _fund_ops(f, case_id) == ["settle"] and f.inputs("voucher_fund_op", case_id)[0].amount_fen == 300_000
        voucher = f.inputs("voucher_project", case_id)[-1].voucher
        assert (voucher["paid_fen"], voucher["paid_confirmed_fen"], voucher["paid_declared_fen"]) == (
            300_000, 300_000, 500_000)

    async def test_a_paid_figure_above_the_contract_settles_instead_of_looping(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await _to_delivery(harness, case_id, CONTRACT + 200_000)  # not checked here: the API refuses it (422)
        await harness.step("voucher.confirm", "submit", "ent_a", case_id=case_id, data={"satisfaction": "satisfied"})
        await harness.step("voucher.settlement_review", "approve", "operator2", case_id=case_id)
        # Before: the review was refused with "paid exceeds the contract" and opened again, for ever.
        approval = await harness.fakes.task("voucher.settlement_approval", case_id, timeout=10)
        await harness.decide(approval, "approve", "department2")
        assert await harness.result(case_id) == "settled"
        f = harness.fakes
        voucher = f.inputs("voucher_project", case_id)[-1].voucher
        assert voucher["paid_capped"] is True and voucher["paid_fen"] == CONTRACT
        assert _fund_ops(f, case_id) == ["settle"]  # the reservation is settled, not held
        assert len([t for t in f.tasks.values() if t.case_id == case_id and t.type == "voucher.settlement_review"]) == 1
