"""Issue 13 (b): the yearly per-enterprise cap of a voucher application is its policy's: 5,000 元 under the 2016
rules (003 art. 6, "每家企业年度…不超过5000元") and 10,000 元 under the 2017 notice (000 二, "每户…年度…不超过1万元").

A case keeps the version in force on its submission (003 art. 12), but its money lives in the fund year of its
reservation: a 2016 application reserved in 2017 is in the 2017 ledger. The ledger is kept under the fund year's cap
(the fund operations: release, void, lapse, lower, settle, the total) and each waiting application under its own
policy's cap (`WaitEntry.cap_fen`, loaded from the case's `policy_version`), so a fund operation never promotes an
enterprise past the cap of the policy its application runs under. Before, the reservation built the whole ledger with
the case's cap and the operations with the fund year's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.fund import FundError, FundLedger, priority_key
from rules.voucher import POLICIES, policy_in_force

AT = datetime(2017, 3, 1, tzinfo=UTC)
CAP_2016 = POLICIES["2016"].per_enterprise_year_cap_fen


def _key(seq: int) -> tuple[int, datetime, int]:
    return priority_key(specialized=False, credit_rating=None, submitted_at=AT, seq=seq)


def _ledger_2017() -> FundLedger:
    """The 2017 ledger (cap of the fund year's policy, 000 二) with all its money held by enterprise B."""
    ledger = FundLedger(total_fen=1_000_000, per_enterprise_cap_fen=policy_in_force(on=AT.date())
                        .per_enterprise_year_cap_fen)
    ledger.reserve(case_id="other", enterprise="B", amount_fen=1_000_000, key=_key(1))
    return ledger


def test_003_art_6_and_000_2_the_two_versions_caps_differ() -> None:
    assert CAP_2016 == 500_000  # 003 art. 6
    assert POLICIES["2017"].per_enterprise_year_cap_fen == 1_000_000  # 000 二
    assert policy_in_force(on=datetime(2017, 12, 31).date()).per_enterprise_year_cap_fen == 1_000_000


def test_003_art_6_a_2016_enterprise_is_not_promoted_past_5000_yuan_by_a_fund_operation() -> None:
    ledger = _ledger_2017()
    # Enterprise A applies twice under the 2016 rules; each amount was computed against A's 5,000 元 with nothing
    # reserved yet (waiting applications are not "used"), so both wait with 4,000 元.
    for n in (2, 3):
        ledger.reserve(case_id=f"a{n}", enterprise="A", amount_fen=400_000, key=_key(n), cap_fen=CAP_2016)
    freed = ledger.release(case_id="other")  # money comes back: the queue moves
    assert freed.promoted == ("a2",) and ledger.state(case_id="a3") == "waitlisted"
    assert ledger.enterprise_used_fen(enterprise="A") <= CAP_2016


def test_000_2_a_2017_application_of_the_same_year_keeps_the_10000_yuan_cap() -> None:
    ledger = _ledger_2017()
    for n in (2, 3):
        ledger.reserve(case_id=f"a{n}", enterprise="A", amount_fen=400_000, key=_key(n))
    assert ledger.release(case_id="other").promoted == ("a2", "a3")
    assert ledger.enterprise_used_fen(enterprise="A") == 800_000


def test_003_art_6_settled_money_counts_against_the_2016_cap() -> None:
    ledger = FundLedger(total_fen=2_000_000, per_enterprise_cap_fen=1_000_000)
    ledger.reserve(case_id="a1", enterprise="A", amount_fen=400_000, key=_key(1))
    ledger.settle(case_id="a1", settled_fen=400_000)
    with pytest.raises(FundError) as refused:  # 4,000 paid + 2,000 > 5,000 元 under 003 art. 6
        ledger.reserve(case_id="a2", enterprise="A", amount_fen=200_000, key=_key(2), cap_fen=CAP_2016)
    assert refused.value.code == "exceeds_enterprise_cap"
    ledger.reserve(case_id="a3", enterprise="A", amount_fen=200_000, key=_key(3))  # a 2017 application may (000 二)
    assert ledger.state(case_id="a3") == "reserved"
