"""The voucher's computation in words for the applicant's home (003 art. 6; 000 二)."""

from __future__ import annotations

from rules.voucher import POLICIES, explain_amount, yuan_words


def test_amounts_as_written_in_a_sentence() -> None:
    assert yuan_words(1_000_000) == "1 万元" and yuan_words(540_000) == "5,400 元" and yuan_words(301_250) == "3,012.50 元"


def test_the_2017_version_ratio_and_yearly_cap() -> None:
    text = explain_amount(policy=POLICIES["2017"], category="credit", amount_fen=300_000)
    assert text == "比例 50%，年度上限 1 万元，本券 3,000 元"


def test_the_2016_version_names_its_per_item_cap_and_before_the_amount_is_known() -> None:
    text = explain_amount(policy=POLICIES["2016"], category="credit", amount_fen=None)
    assert text == "比例 50%，单项上限 3,000 元，年度上限 5,000 元，本券金额在申领时按合同金额计算"
