"""Voucher policy versions and amounts, row by row against DOMAIN.md P1 and seeds 003 (2016) and 000 (2017)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from rules.errors import RuleViolation
from rules.voucher import (
    CATEGORIES,
    POLICIES,
    POLICY_2016,
    POLICY_2017,
    PolicySettings,
    PolicyVersion,
    VoucherRuleError,
    compute_voucher_amount,
    policy_in_force,
    settlement_amount,
    supervision_fee,
    validate_lowered_amount,
    voucher_valid_until,
    with_settings,
)

YUAN = 100  # fen

# DOMAIN.md P1 "category ratios", written out again so a slip in POLICIES shows: (policy, category, bp).
RATIOS = [
    *[("2016", c, 5_000) for c in CATEGORIES if c != "cloud"],  # 003 art. 6: 50 % for all (art. 7 has no cloud)
    ("2017", "financial_informatization", 2_500),  # 000 二
    ("2017", "financial_agency", 2_500),
    ("2017", "informatization", 3_000),
    ("2017", "cloud", 5_000),
    ("2017", "legal", 5_000),
    ("2017", "management_consulting", 5_000),
    ("2017", "tech_quality", 5_000),
    ("2017", "ip", 5_000),
    ("2017", "credit", 5_000),
    ("2017", "other", 5_000),
]


def amount(code: str, category: str, contract: int, used: int = 0) -> tuple[int, tuple[str, ...]]:
    """Shorthand: amount and limits under a policy code."""
    result = compute_voucher_amount(policy=POLICIES[code], category=category, contract_amount_fen=contract,
                                    used_this_year_fen=used)
    return result.amount_fen, result.limited_by


class TestCategories:
    """The ten category codes and labels of ARCHITECTURE.md / 000 三 / 003 art. 7."""

    def test_labels(self) -> None:
        """000 三: labels in Chinese."""
        assert CATEGORIES == {
            "cloud": "云服务", "informatization": "信息化服务", "financial_informatization": "财务信息化服务",
            "financial_agency": "财务代理服务", "management_consulting": "管理咨询服务", "legal": "法律服务",
            "tech_quality": "技术创新与质量服务", "ip": "知识产权服务", "credit": "信用服务",
            "other": "企业迫切需要的其他服务",
        }

    def test_2017_covers_every_category(self) -> None:
        """000 二-三: every category has a 2017 ratio."""
        assert set(POLICY_2017.categories) == set(CATEGORIES)

    def test_2016_has_no_cloud(self) -> None:
        """003 art. 7 lists no cloud service; the 2016 version refuses it."""
        assert set(POLICY_2016.categories) == set(CATEGORIES) - {"cloud"}


class TestPolicyVersions:
    """DOMAIN.md P1 rules table, column by column."""

    def test_2016_numbers(self) -> None:
        """003 art. 6: ≤ 50 % and ≤ 3,000 CNY per item, ≤ 5,000 CNY per enterprise a year; fund configurable."""
        p = POLICIES["2016"]
        assert (p.title, p.per_item_cap_fen, p.per_enterprise_year_cap_fen, p.annual_fund_fen) == (
            "宁非公经发〔2016〕73号", 300_000, 500_000, None)

    def test_2017_numbers(self) -> None:
        """000 二, 六: no CNY cap per item, ≤ 10,000 CNY per enterprise a year, 5,000,000 CNY fund a year."""
        p = POLICIES["2017"]
        assert (p.title, p.per_item_cap_fen, p.per_enterprise_year_cap_fen, p.annual_fund_fen) == (
            "宁非公经发〔2017〕101号", None, 1_000_000, 500_000_000)

    @pytest.mark.parametrize("code", ["2016", "2017"])
    def test_shared_settings(self, code: str) -> None:
        """003 art. 11(4): 3-6 % supervision fee; validity and reminders are settings of the version."""
        p = POLICIES[code]
        assert p.supervision_fee_bp_range == (300, 600)
        assert p.expiry_reminder_days == (30, 7)
        assert p.voucher_validity_days == 180
        assert p.bidding_working_days == 5

    def test_2016_effective_date_is_publication(self) -> None:
        """003 art. 12: in force from publication, the notice dated 2016-06-24."""
        assert POLICY_2016.effective_from == date(2016, 6, 24)
        assert POLICY_2016.effective_from_confirmed

    def test_2017_effective_date_is_a_placeholder(self) -> None:
        """000 names 〔2017〕101号 without a date: flagged unconfirmed."""
        assert POLICY_2017.effective_from == date(2017, 1, 1)
        assert not POLICY_2017.effective_from_confirmed

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            ({"ratios_bp": {"legal": 5_001}}, "policy_invalid"),  # 003 art. 6 / 000 二: never above 50 %
            ({"ratios_bp": {"legal": 0}}, "policy_invalid"),
            ({"ratios_bp": {"lottery": 1_000}}, "policy_invalid"),
            ({"ratios_bp": {}}, "policy_invalid"),
            ({"per_item_cap_fen": 0}, "policy_invalid"),
            ({"per_enterprise_year_cap_fen": 0}, "policy_invalid"),
            ({"annual_fund_fen": -1}, "policy_invalid"),
            ({"voucher_validity_days": 0}, "policy_invalid"),
            ({"supervision_fee_bp_range": (600, 300)}, "policy_invalid"),
            ({"expiry_reminder_days": (180,)}, "policy_invalid"),
        ],
    )
    def test_invalid_versions_refused(self, changes: dict[str, object], code: str) -> None:
        """A configured version may not break 003 art. 6 / 000 二 or be self-contradictory."""
        with pytest.raises(VoucherRuleError) as info:
            replace(POLICY_2017, **changes)
        assert info.value.code == code

    def test_ratios_are_read_only(self) -> None:
        """A version's ratios cannot be changed after it is built."""
        with pytest.raises(TypeError):
            POLICY_2017.ratios_bp["legal"] = 1  # type: ignore[index]


class TestPolicyInForce:
    """A case keeps the version in force on the day it was submitted (DOMAIN.md P1; 003 art. 12)."""

    @pytest.mark.parametrize(
        ("on", "code"),
        [
            (date(2016, 6, 24), "2016"),
            (date(2016, 12, 31), "2016"),
            (date(2017, 1, 1), "2017"),
            (date(2019, 5, 1), "2017"),
            (date(2026, 1, 5), "2017"),
        ],
    )
    def test_version_by_day(self, on: date, code: str) -> None:
        """003 art. 12 (2016-06-24) and the 2017 rules of 000."""
        assert policy_in_force(on=on).code == code

    def test_before_any_version(self) -> None:
        """Before 003 took effect no voucher could be applied for."""
        with pytest.raises(VoucherRuleError) as info:
            policy_in_force(on=date(2016, 6, 23))
        assert info.value.code == "no_policy_in_force"
        assert isinstance(info.value, ValueError) and isinstance(info.value, RuleViolation)

    def test_admin_versions(self) -> None:
        """Versions are configurable: a later one takes over from its own date."""
        later = replace(POLICY_2017, code="2027", effective_from=date(2027, 3, 1))
        policies = {**POLICIES, "2027": later}
        assert policy_in_force(on=date(2027, 2, 28), policies=policies).code == "2017"
        assert policy_in_force(on=date(2027, 3, 1), policies=policies).code == "2027"


class TestCategoryRatios:
    """Every category's ratio under both versions (003 art. 6-7; 000 二-三)."""

    @pytest.mark.parametrize(("code", "category", "bp"), RATIOS)
    def test_ratio(self, code: str, category: str, bp: int) -> None:
        """DOMAIN.md "category ratios" row."""
        assert POLICIES[code].ratios_bp[category] == bp

    @pytest.mark.parametrize(("code", "category", "bp"), RATIOS)
    def test_amount_applies_ratio(self, code: str, category: str, bp: int) -> None:
        """A 2,000 CNY contract gets ratio × contract, below every cap (003 art. 6; 000 二)."""
        assert amount(code, category, 2_000 * YUAN) == (2_000 * YUAN * bp // 10_000, ("ratio",))

    @pytest.mark.parametrize(("code", "category", "bp"), RATIOS)
    def test_amount_floors_to_the_fen(self, code: str, category: str, bp: int) -> None:
        """Ratio × an odd contract is floored to the fen, never rounded up."""
        contract = 123_457
        assert amount(code, category, contract)[0] == contract * bp // 10_000
        assert amount(code, category, 3)[0] == 3 * bp // 10_000  # 0 fen for tiny contracts


class TestComputeAmount:
    """Caps per item and per enterprise and year, with the limiting reasons (003 art. 6; 000 二)."""

    @pytest.mark.parametrize(
        ("code", "category", "contract", "used", "expected"),
        [
            # 003 art. 6: 50 % and ≤ 3,000 CNY per item
            ("2016", "legal", 599_999, 0, (299_999, ("ratio",))),
            ("2016", "legal", 600_000, 0, (300_000, ("ratio", "per_item_cap"))),
            ("2016", "legal", 600_001, 0, (300_000, ("ratio", "per_item_cap"))),  # 300,000.5 floored
            ("2016", "legal", 600_002, 0, (300_000, ("per_item_cap",))),
            ("2016", "informatization", 5_000_000, 0, (300_000, ("per_item_cap",))),
            # 003 art. 6: ≤ 5,000 CNY per enterprise a year
            ("2016", "legal", 1_000_000, 200_000, (300_000, ("per_item_cap", "yearly_cap"))),
            ("2016", "legal", 1_000_000, 400_000, (100_000, ("yearly_cap",))),
            ("2016", "legal", 1_000_000, 499_999, (1, ("yearly_cap",))),
            ("2016", "legal", 1_000_000, 500_000, (0, ("yearly_cap",))),
            ("2016", "legal", 1_000_000, 600_000, (0, ("yearly_cap",))),
            # 000 二: ratio only per item, ≤ 10,000 CNY per enterprise a year
            ("2017", "legal", 1_999_999, 0, (999_999, ("ratio",))),
            ("2017", "legal", 2_000_000, 0, (1_000_000, ("ratio", "yearly_cap"))),
            ("2017", "legal", 3_000_000, 0, (1_000_000, ("yearly_cap",))),
            ("2017", "informatization", 3_000_000, 0, (900_000, ("ratio",))),
            ("2017", "financial_agency", 10_000_000, 0, (1_000_000, ("yearly_cap",))),
            ("2017", "cloud", 600_001, 0, (300_000, ("ratio",))),  # no 3,000 CNY item cap in 2017
            ("2017", "legal", 1_000_000, 900_000, (100_000, ("yearly_cap",))),
            ("2017", "legal", 1_000_000, 1_000_000, (0, ("yearly_cap",))),
            ("2017", "informatization", 333, 0, (99, ("ratio",))),  # 99.9 fen floored
        ],
    )
    def test_table(self, code: str, category: str, contract: int, used: int,
                   expected: tuple[int, tuple[str, ...]]) -> None:
        """DOMAIN.md P1 "amount per service item" and "per enterprise per year" rows."""
        assert amount(code, category, contract, used) == expected

    def test_exhausted(self) -> None:
        """003 art. 6: an enterprise at its yearly cap gets nothing."""
        result = compute_voucher_amount(policy=POLICY_2017, category="ip", contract_amount_fen=100_000,
                                        used_this_year_fen=1_000_000)
        assert result.exhausted and result.amount_fen == 0 and result.ratio_bp == 5_000

    @pytest.mark.parametrize(
        ("policy", "category", "contract", "used", "code"),
        [
            (POLICY_2017, "lottery", 100_000, 0, "unknown_category"),
            (POLICY_2017, "", 100_000, 0, "unknown_category"),
            (POLICY_2016, "cloud", 100_000, 0, "category_not_in_policy"),  # 003 art. 7
            (POLICY_2017, "legal", 0, 0, "invalid_contract_amount_fen"),
            (POLICY_2017, "legal", -1, 0, "invalid_contract_amount_fen"),
            (POLICY_2017, "legal", 100.0, 0, "invalid_contract_amount_fen"),  # never float
            (POLICY_2017, "legal", True, 0, "invalid_contract_amount_fen"),
            (POLICY_2017, "legal", 100_000, -1, "invalid_used_this_year_fen"),
        ],
    )
    def test_refused(self, policy: PolicyVersion, category: str, contract: object, used: int, code: str) -> None:
        """Unknown category or non-positive contract: a clear error with a code."""
        with pytest.raises(VoucherRuleError) as info:
            compute_voucher_amount(policy=policy, category=category, contract_amount_fen=contract,  # type: ignore[arg-type]
                                   used_this_year_fen=used)
        assert info.value.code == code
        assert info.value.message


class TestValidateLoweredAmount:
    """The operator's first review may lower, never raise (003 art. 9(二); 000 五 step 4)."""

    @pytest.mark.parametrize(("computed", "requested"), [(300_000, 300_000), (300_000, 299_999), (300_000, 1), (1, 1)])
    def test_allowed(self, computed: int, requested: int) -> None:
        """Equal or lower, down to 1 fen."""
        assert validate_lowered_amount(computed_fen=computed, requested_fen=requested) == requested

    @pytest.mark.parametrize(
        ("computed", "requested", "code"),
        [
            (300_000, 300_001, "amount_raised"),
            (300_000, 0, "amount_too_low"),
            (300_000, -100, "amount_too_low"),
            (300_000, 1.5, "invalid_requested_fen"),
            (0, 0, "invalid_computed_fen"),
        ],
    )
    def test_refused(self, computed: int, requested: object, code: str) -> None:
        """Raising, zero, negative or fractional amounts are refused."""
        with pytest.raises(VoucherRuleError) as info:
            validate_lowered_amount(computed_fen=computed, requested_fen=requested)  # type: ignore[arg-type]
        assert info.value.code == code


class TestSupervisionFee:
    """3-6 % of the contract per settled item (003 art. 11(4))."""

    @pytest.mark.parametrize(
        ("contract", "rate", "fee"),
        [(1_000_000, 300, 30_000), (1_000_000, 600, 60_000), (1_000_000, 450, 45_000), (333, 300, 9), (1, 600, 0)],
    )
    def test_fee(self, contract: int, rate: int, fee: int) -> None:
        """Both bounds included; floored to the fen."""
        assert supervision_fee(contract_amount_fen=contract, rate_bp=rate, policy=POLICY_2017) == fee

    @pytest.mark.parametrize("rate", [299, 601, 0, -300, 10_000])
    def test_rate_out_of_range(self, rate: int) -> None:
        """003 art. 11(4): outside 3-6 % is refused."""
        with pytest.raises(VoucherRuleError) as info:
            supervision_fee(contract_amount_fen=1_000_000, rate_bp=rate, policy=POLICY_2016)
        assert info.value.code == "supervision_rate_out_of_range"

    def test_contract_must_be_positive(self) -> None:
        """No fee on an empty contract."""
        with pytest.raises(VoucherRuleError):
            supervision_fee(contract_amount_fen=0, rate_bp=300, policy=POLICY_2016)


class TestVoucherValidUntil:
    """A voucher is used within its validity, counted from the day after issue (003 art. 11(3); 000 六(二))."""

    def test_default_validity(self) -> None:
        """180 days by default; configurable per version."""
        assert voucher_valid_until(policy=POLICY_2017, issued_on=date(2024, 1, 1)) == date(2024, 6, 29)
        short = replace(POLICY_2017, voucher_validity_days=60, expiry_reminder_days=(30, 7))
        assert voucher_valid_until(policy=short, issued_on=date(2024, 1, 1)) == date(2024, 3, 1)


def settle(voucher: int, paid: int, contract: int, satisfaction: str, lowered: int | None = None,
           fully_performed: bool = True, reason: str | None = "服务未完成") -> tuple[int, int, bool, bool]:
    """Shorthand: (amount, ceiling, may_lower, lowered)."""
    r = settlement_amount(voucher_fen=voucher, paid_fen=paid, contract_amount_fen=contract,
                          satisfaction=satisfaction, lowered_to_fen=lowered,  # type: ignore[arg-type]
                          fully_performed=fully_performed, reason=reason)
    return r.amount_fen, r.ceiling_fen, r.may_lower, r.lowered


class TestSettlementAmount:
    """Settlement at face value, lowered only for dissatisfaction or partial performance (003 art. 10-11; 000 七)."""

    @pytest.mark.parametrize(
        ("voucher", "paid", "contract", "satisfaction", "expected"),
        [
            (300_000, 300_000, 600_000, "satisfied", (300_000, 300_000, False, False)),
            (300_000, 300_000, 600_000, "basic", (300_000, 300_000, False, False)),
            (300_000, 300_000, 600_000, "unsatisfied", (300_000, 300_000, True, False)),
            # paid more than its share: the provider never gets more than the contract
            (300_000, 400_000, 600_000, "satisfied", (200_000, 200_000, False, False)),
            (300_000, 600_000, 600_000, "satisfied", (0, 0, False, False)),
            # paid only part of its share: the voucher keeps its share of what was paid, lowering allowed
            (300_000, 150_000, 600_000, "satisfied", (150_000, 150_000, True, False)),
            (250_000, 100_000, 1_000_000, "basic", (33_333, 33_333, True, False)),
            (300_000, 0, 600_000, "satisfied", (0, 0, True, False)),
        ],
    )
    def test_without_lowering(self, voucher: int, paid: int, contract: int, satisfaction: str,
                              expected: tuple[int, int, bool, bool]) -> None:
        """003 art. 11(3): 服务券按面值抵扣等额合同款; art. 10: settled against the enterprise's own payment."""
        assert settle(voucher, paid, contract, satisfaction) == expected

    @pytest.mark.parametrize(
        ("paid", "satisfaction", "fully_performed", "lowered", "expected"),
        [
            (300_000, "unsatisfied", True, 200_000, (200_000, 300_000, True, True)),
            (300_000, "unsatisfied", True, 0, (0, 300_000, True, True)),
            (300_000, "unsatisfied", True, 300_000, (300_000, 300_000, True, False)),
            (300_000, "satisfied", False, 100_000, (100_000, 300_000, True, True)),
            (300_000, "basic", False, 1, (1, 300_000, True, True)),
            (150_000, "satisfied", True, 100_000, (100_000, 150_000, True, True)),
        ],
    )
    def test_lowering_allowed(self, paid: int, satisfaction: str, fully_performed: bool, lowered: int,
                              expected: tuple[int, int, bool, bool]) -> None:
        """003 art. 11(1): 对未能全面履行合同条款或企业不满意的服务机构，运营单位可…调整结算额度."""
        assert settle(300_000, paid, 600_000, satisfaction, lowered, fully_performed) == expected

    @pytest.mark.parametrize(
        ("paid", "satisfaction", "fully_performed", "lowered", "reason", "code"),
        [
            (300_000, "satisfied", True, 200_000, "x", "lowering_not_allowed"),
            (300_000, "basic", True, 200_000, "x", "lowering_not_allowed"),
            (300_000, "unsatisfied", True, 200_000, None, "reason_required"),
            (300_000, "unsatisfied", True, 200_000, "  ", "reason_required"),
            (300_000, "unsatisfied", True, 300_001, "x", "settlement_raised"),
            (150_000, "unsatisfied", True, 150_001, "x", "settlement_raised"),
            (300_000, "unsatisfied", True, -1, "x", "invalid_lowered_to_fen"),
        ],
    )
    def test_lowering_refused(self, paid: int, satisfaction: str, fully_performed: bool, lowered: int,
                              reason: str | None, code: str) -> None:
        """Lowering needs a ground of 003 art. 11(1) and a reason, and never raises the amount."""
        with pytest.raises(VoucherRuleError) as info:
            settle(300_000, paid, 600_000, satisfaction, lowered, fully_performed, reason)
        assert info.value.code == code

    @pytest.mark.parametrize(
        ("voucher", "paid", "contract", "satisfaction", "code"),
        [
            (0, 0, 600_000, "satisfied", "invalid_voucher_fen"),
            (300_000, -1, 600_000, "satisfied", "invalid_paid_fen"),
            (300_000, 0, 0, "satisfied", "invalid_contract_amount_fen"),
            (600_001, 0, 600_000, "satisfied", "voucher_above_contract"),
            (300_000, 600_001, 600_000, "satisfied", "paid_above_contract"),
            (300_000, 300_000, 600_000, "happy", "invalid_satisfaction"),
        ],
    )
    def test_invalid_input(self, voucher: int, paid: int, contract: int, satisfaction: str, code: str) -> None:
        """Inconsistent figures are refused with a code."""
        with pytest.raises(VoucherRuleError) as info:
            settle(voucher, paid, contract, satisfaction)
        assert info.value.code == code


class TestAdminSettings:
    """DOMAIN.md P1: bidding days, validity, expiry reminders and the fee are configurable per policy version."""

    def test_no_settings_keep_the_version_and_the_lowest_fee(self) -> None:
        policy, fee = with_settings(POLICY_2017, PolicySettings())
        assert policy == POLICY_2017 and fee == 300  # 003 art. 11(4): 3 % by default

    def test_settings_apply_and_reminders_are_sorted(self) -> None:
        policy, fee = with_settings(POLICY_2017, PolicySettings(bidding_working_days=10, voucher_validity_days=365,
                                                                expiry_reminder_days=(7, 60, 30),
                                                                supervision_fee_bp=450))
        assert (policy.bidding_working_days, policy.voucher_validity_days, fee) == (10, 365, 450)
        assert policy.expiry_reminder_days == (60, 30, 7)
        assert voucher_valid_until(policy=policy, issued_on=date(2026, 1, 1)) == date(2027, 1, 1)
        assert policy.ratios_bp == POLICY_2017.ratios_bp  # the ratios are the rules', never a setting

    @pytest.mark.parametrize(("settings", "words"), [
        (PolicySettings(bidding_working_days=0), "bidding_working_days must be a whole number from 1 to 30"),
        (PolicySettings(bidding_working_days=31), "from 1 to 30"),
        (PolicySettings(voucher_validity_days=29), "voucher_validity_days must be a whole number from 30 to 730"),
        (PolicySettings(voucher_validity_days=30), "each expiry reminder must be 1 to 29 days"),  # 30 is not inside
        (PolicySettings(expiry_reminder_days=(7, 7)), "at most 5 different days"),
        (PolicySettings(expiry_reminder_days=(0,)), "each expiry reminder"),
        (PolicySettings(expiry_reminder_days=(1, 2, 3, 4, 5, 6)), "at most 5"),
        (PolicySettings(supervision_fee_bp=299), "from 300 to 600 (3-6 %"),  # 003 art. 11(4)
        (PolicySettings(supervision_fee_bp=601), "from 300 to 600"),
    ])
    def test_out_of_bounds_is_refused_with_the_bounds(self, settings: PolicySettings, words: str) -> None:
        with pytest.raises(VoucherRuleError, match=words.replace("(", r"\(")):
            with_settings(POLICY_2017, settings)

    def test_no_reminders_at_all_is_allowed(self) -> None:
        assert with_settings(POLICY_2016, PolicySettings(expiry_reminder_days=()))[0].expiry_reminder_days == ()
