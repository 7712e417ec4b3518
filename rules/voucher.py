"""Service-voucher policy versions and amounts (003 宁非公经发〔2016〕73号; 000 宁非公经发〔2017〕101号)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from types import MappingProxyType
from typing import Literal, get_args

from rules.errors import RuleViolation

BP = 10_000  # basis points in 100 %
FEN_PER_YUAN = 100

Satisfaction = Literal["satisfied", "basic", "unsatisfied"]
LimitReason = Literal["ratio", "per_item_cap", "yearly_cap"]

# 000 三 lists eight categories; 000 二 splits 财务信息化 and 财务代理 out for their 25 % ratio.
CATEGORIES: dict[str, str] = {
    "cloud": "云服务",
    "informatization": "信息化服务",
    "financial_informatization": "财务信息化服务",
    "financial_agency": "财务代理服务",
    "management_consulting": "管理咨询服务",
    "legal": "法律服务",
    "tech_quality": "技术创新与质量服务",
    "ip": "知识产权服务",
    "credit": "信用服务",
    "other": "企业迫切需要的其他服务",
}


# 000 一: the 2017 subsidy objects are enterprises of 生产性制造业 and 生产性服务业; the enterprise declares its sector.
SECTORS: dict[str, str] = {
    "production_manufacturing": "生产性制造业",
    "producer_services": "生产性服务业",
    "other": "其他行业",
}
# The sector an enterprise that declared none is taken to have, from its size-class industry (工信部联企业〔2011〕300号):
# 工业 is manufacturing; software/IT, transport and leasing & business services serve production. The rest must declare.
SECTOR_OF_INDUSTRY: dict[str, str] = {
    "industry": "production_manufacturing",
    "software": "producer_services",
    "transport": "producer_services",
    "leasing_business": "producer_services",
}


class VoucherRuleError(RuleViolation):
    """A voucher rule of 003 or 000 is broken by the input (a ValueError with `code` and `message`)."""


@dataclass(frozen=True)
class PolicyVersion:
    """One version of the voucher rules; numbers marked configurable in DOMAIN.md P1 live here, not in code."""

    code: str
    title: str
    effective_from: date
    ratios_bp: Mapping[str, int]
    per_item_cap_fen: int | None
    per_enterprise_year_cap_fen: int
    annual_fund_fen: int | None
    voucher_validity_days: int = 180
    bidding_working_days: int = 5
    supervision_fee_bp_range: tuple[int, int] = (300, 600)
    expiry_reminder_days: tuple[int, ...] = (30, 7)
    effective_from_confirmed: bool = True
    source: str = ""
    # Who may be subsidised (000 一: two sectors; None = any sector, 003 art. 5).
    subsidy_sectors: tuple[str, ...] | None = None
    # 003 art. 11(3): 专精特新 and credit A or above apply first; 000 六(二): first come first served only.
    priority_first: bool = False
    # 003 art. 9-10: contract before application, the operator alone reviews, issues and settles, the rest of the fee
    # is paid to the operator as a deposit; 000 五-七: the department reviews the voucher and approves settlement.
    department_reviews: bool = True
    contract_before_application: bool = False
    deposit: bool = False

    def __post_init__(self) -> None:
        """Check the version against 003 art. 6 / 000 二 (no ratio above 50 %) and basic sanity."""
        object.__setattr__(self, "ratios_bp", MappingProxyType(dict(self.ratios_bp)))
        if not self.ratios_bp:
            raise VoucherRuleError("policy_invalid", f"policy {self.code}: no categories")
        for category, ratio in self.ratios_bp.items():
            if category not in CATEGORIES:
                raise VoucherRuleError("policy_invalid", f"policy {self.code}: unknown category {category!r}")
            if not 0 < ratio <= 5_000:
                raise VoucherRuleError("policy_invalid", f"policy {self.code}: ratio of {category} must be 1..5000 bp")
        if self.per_item_cap_fen is not None and self.per_item_cap_fen <= 0:
            raise VoucherRuleError("policy_invalid", f"policy {self.code}: per-item cap must be positive")
        if self.per_enterprise_year_cap_fen <= 0:
            raise VoucherRuleError("policy_invalid", f"policy {self.code}: yearly cap must be positive")
        if self.annual_fund_fen is not None and self.annual_fund_fen < 0:
            raise VoucherRuleError("policy_invalid", f"policy {self.code}: annual fund must not be negative")
        if self.voucher_validity_days <= 0 or self.bidding_working_days <= 0:
            raise VoucherRuleError("policy_invalid", f"policy {self.code}: periods must be positive")
        low, high = self.supervision_fee_bp_range
        if not 0 <= low <= high <= BP:
            raise VoucherRuleError("policy_invalid", f"policy {self.code}: bad supervision fee range")
        if any(d <= 0 or d >= self.voucher_validity_days for d in self.expiry_reminder_days):
            raise VoucherRuleError("policy_invalid", f"policy {self.code}: reminders must fall inside the validity")

    @property
    def categories(self) -> tuple[str, ...]:
        """The category codes this version subsidises (003 art. 7; 000 三)."""
        return tuple(self.ratios_bp)


POLICY_2016 = PolicyVersion(
    code="2016",
    title="宁非公经发〔2016〕73号",
    # 003 art. 12: in force "自发布之日起"; the notice is dated 2016年6月24日 (印发 on 6月27日).
    effective_from=date(2016, 6, 24),
    # 003 art. 6: 50 % for every item. Art. 7 has no cloud category: 财务信息化 sits in (一) 信息化服务 and
    # 财务代理 in (三) 管理咨询服务, so both are accepted at 50 %; "cloud" is not a 2016 category.
    ratios_bp={
        "informatization": 5_000,
        "financial_informatization": 5_000,
        "tech_quality": 5_000,
        "management_consulting": 5_000,
        "financial_agency": 5_000,
        "legal": 5_000,
        "ip": 5_000,
        "credit": 5_000,
        "other": 5_000,
    },
    per_item_cap_fen=3_000 * FEN_PER_YUAN,  # 003 art. 6: 最高不超过3000元
    per_enterprise_year_cap_fen=5_000 * FEN_PER_YUAN,  # 003 art. 6: 年度…不超过5000元
    annual_fund_fen=None,  # 003 art. 3: the bureau (the department) sets the yearly amount per year
    source="003 art. 6, 7, 9-10, 11(3)-(4), 12",
    priority_first=True,  # 003 art. 11(3)
    department_reviews=False,  # 003 art. 9(二), 10: 运营单位 reviews, issues and settles
    contract_before_application=True,  # 003 art. 9(一): 签订服务合同后…在线申请服务券
    deposit=True,  # 003 art. 9(二): 剩余服务费以保证金的方式暂付给运营单位
)

POLICY_2017 = PolicyVersion(
    code="2017",
    title="宁非公经发〔2017〕101号",
    # 000 names the document but not its date; the start of 2017 is a placeholder an admin must confirm.
    effective_from=date(2017, 1, 1),
    effective_from_confirmed=False,
    # 000 二: 25 % 财务信息化/财务代理, 30 % 信息化, 50 % cloud, legal, consulting, tech & quality, IP, "等其他".
    ratios_bp={
        "cloud": 5_000,
        "informatization": 3_000,
        "financial_informatization": 2_500,
        "financial_agency": 2_500,
        "management_consulting": 5_000,
        "legal": 5_000,
        "tech_quality": 5_000,
        "ip": 5_000,
        "credit": 5_000,
        "other": 5_000,
    },
    per_item_cap_fen=None,  # 000 二: only "不超过服务合同金额的50%", no amount per item
    per_enterprise_year_cap_fen=10_000 * FEN_PER_YUAN,  # 000 二: 每户…年度…不超过1万元
    annual_fund_fen=5_000_000 * FEN_PER_YUAN,  # 000 六(二): 每年500万补贴资金
    source="000 一, 二, 三, 六, 七",
    subsidy_sectors=("production_manufacturing", "producer_services"),  # 000 一 补贴对象
)

POLICIES: dict[str, PolicyVersion] = {POLICY_2016.code: POLICY_2016, POLICY_2017.code: POLICY_2017}


# What an admin may set per policy version, and within which bounds (DOMAIN.md P1 marks these configurable).
SETTING_BOUNDS = {"bidding_working_days": (1, 30), "voucher_validity_days": (30, 730)}
MAX_REMINDERS = 5


@dataclass(frozen=True)
class PolicySettings:
    """An admin's settings for one policy version; None keeps the version's own value."""

    bidding_working_days: int | None = None
    voucher_validity_days: int | None = None
    expiry_reminder_days: tuple[int, ...] | None = None
    supervision_fee_bp: int | None = None


def with_settings(policy: PolicyVersion, settings: PolicySettings) -> tuple[PolicyVersion, int]:
    """The version with an admin's settings applied, and the default supervision fee in basis points.

    Refused: periods outside SETTING_BOUNDS, reminders that are not distinct days inside the validity, a fee outside
    the version's range (003 art. 11(4): 3-6 %)."""
    changes: dict[str, object] = {}
    for name, (low, high) in SETTING_BOUNDS.items():
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise VoucherRuleError("setting_invalid", f"{name} must be a whole number from {low} to {high}")
        changes[name] = value
    if settings.expiry_reminder_days is not None:
        days = tuple(sorted(set(settings.expiry_reminder_days), reverse=True))
        if len(days) != len(settings.expiry_reminder_days) or len(days) > MAX_REMINDERS:
            raise VoucherRuleError("setting_invalid", f"expiry_reminder_days must be at most {MAX_REMINDERS} "
                                   "different days")
        changes["expiry_reminder_days"] = days
    validity = int(changes.get("voucher_validity_days", policy.voucher_validity_days))  # type: ignore[call-overload]
    reminders = changes.get("expiry_reminder_days", policy.expiry_reminder_days)
    if any(isinstance(d, bool) or not isinstance(d, int) or not 0 < d < validity for d in reminders):  # type: ignore[attr-defined]
        raise VoucherRuleError("setting_invalid", f"each expiry reminder must be 1 to {validity - 1} days before "
                               "the voucher expires (inside its validity)")
    low, high = policy.supervision_fee_bp_range
    fee = low if settings.supervision_fee_bp is None else settings.supervision_fee_bp
    if isinstance(fee, bool) or not isinstance(fee, int) or not low <= fee <= high:
        raise VoucherRuleError("setting_invalid", f"supervision_fee_bp must be from {low} to {high} "
                               f"({low / 100:g}-{high / 100:g} % of the contract amount)")
    return replace(policy, **changes), fee  # type: ignore[arg-type]


def policy_in_force(*, on: date, policies: Mapping[str, PolicyVersion] = POLICIES) -> PolicyVersion:
    """The version in force on a case's submission date (Asia/Shanghai), which the case keeps (003 art. 12)."""
    candidates = [p for p in policies.values() if p.effective_from <= on]
    if not candidates:
        raise VoucherRuleError("no_policy_in_force", f"no voucher policy was in force on {on.isoformat()}")
    return max(candidates, key=lambda p: p.effective_from)


@dataclass(frozen=True)
class AmountResult:
    """The voucher amount and the limits that set it, in the order ratio, per-item cap, yearly cap."""

    amount_fen: int
    limited_by: tuple[LimitReason, ...]
    ratio_bp: int

    @property
    def exhausted(self) -> bool:
        """True when nothing can be granted, usually because the yearly cap is used up (003 art. 6; 000 二)."""
        return self.amount_fen == 0


def _positive_int(value: object, *, name: str) -> int:
    """An int > 0 (bools refused): amounts are integer fen."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise VoucherRuleError(f"invalid_{name}", f"{name} must be a positive integer number of fen, got {value!r}")
    return value


def _non_negative_int(value: object, *, name: str) -> int:
    """An int ≥ 0 (bools refused): amounts are integer fen."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise VoucherRuleError(f"invalid_{name}", f"{name} must be a non-negative integer number of fen, got {value!r}")
    return value


def category_ratio_bp(*, policy: PolicyVersion, category: str) -> int:
    """The subsidy ratio of a category under a version (003 art. 6-7; 000 二-三), or an error naming the choices."""
    if category not in CATEGORIES:
        raise VoucherRuleError("unknown_category", f"unknown service category {category!r}; expected one of "
                               f"{', '.join(CATEGORIES)}")
    if category not in policy.ratios_bp:
        raise VoucherRuleError("category_not_in_policy", f"category {category!r} ({CATEGORIES[category]}) is not "
                               f"subsidised under {policy.title}; expected one of {', '.join(policy.ratios_bp)}")
    return policy.ratios_bp[category]


def compute_voucher_amount(*, policy: PolicyVersion, category: str, contract_amount_fen: int,
                           used_this_year_fen: int) -> AmountResult:
    """Ratio × contract, floored to the fen, within the per-item and yearly caps (003 art. 6; 000 二)."""
    ratio = category_ratio_bp(policy=policy, category=category)
    contract = _positive_int(contract_amount_fen, name="contract_amount_fen")
    used = _non_negative_int(used_this_year_fen, name="used_this_year_fen")
    limits: list[tuple[LimitReason, int]] = [("ratio", contract * ratio // BP)]
    if policy.per_item_cap_fen is not None:
        limits.append(("per_item_cap", policy.per_item_cap_fen))
    limits.append(("yearly_cap", max(0, policy.per_enterprise_year_cap_fen - used)))
    amount = min(value for _, value in limits)
    return AmountResult(amount_fen=amount, limited_by=tuple(r for r, v in limits if v == amount), ratio_bp=ratio)


def validate_lowered_amount(*, computed_fen: int, requested_fen: int) -> int:
    """The operator's first review may lower the computed amount, never raise it, nor below 1 fen (003 art. 9(二))."""
    computed = _positive_int(computed_fen, name="computed_fen")
    if not isinstance(requested_fen, int) or isinstance(requested_fen, bool):
        raise VoucherRuleError("invalid_requested_fen", f"requested amount must be integer fen, got {requested_fen!r}")
    if requested_fen < 1:
        raise VoucherRuleError("amount_too_low", f"the voucher amount must be at least 1 fen, got {requested_fen}")
    if requested_fen > computed:
        raise VoucherRuleError("amount_raised", f"the voucher amount may only be lowered: {requested_fen} fen is "
                               f"above the computed {computed} fen")
    return requested_fen


def supervision_fee(*, contract_amount_fen: int, rate_bp: int, policy: PolicyVersion) -> int:
    """The operator's supervision fee, 3-6 % of the contract per settled item, floored to the fen (003 art. 11(4))."""
    contract = _positive_int(contract_amount_fen, name="contract_amount_fen")
    low, high = policy.supervision_fee_bp_range
    if not isinstance(rate_bp, int) or isinstance(rate_bp, bool) or not low <= rate_bp <= high:
        raise VoucherRuleError("supervision_rate_out_of_range", f"supervision fee rate must be {low}..{high} bp "
                               f"({low / 100:g}-{high / 100:g} %), got {rate_bp!r}")
    return contract * rate_bp // BP


def voucher_valid_until(*, policy: PolicyVersion, issued_on: date) -> date:
    """Last day a voucher may be used; the issue day is not counted (003 art. 11(3); Civil Code art. 201)."""
    return issued_on + timedelta(days=policy.voucher_validity_days)


@dataclass(frozen=True)
class SettlementResult:
    """What the operator pays the provider for a voucher, and whether it may lower it (003 art. 10-11; 000 七)."""

    amount_fen: int
    ceiling_fen: int
    fully_paid: bool
    may_lower: bool
    lowered: bool


def settlement_amount(*, voucher_fen: int, paid_fen: int, contract_amount_fen: int, satisfaction: Satisfaction,
                      lowered_to_fen: int | None = None, fully_performed: bool = True,
                      reason: str | None = None) -> SettlementResult:
    """Settle a voucher at face value, capped by what the enterprise paid, lowered only as 003 art. 11(1) allows.

    Rules (003 art. 10, 11(1), 11(3); 000 七):
    - 0 < voucher ≤ contract; paid_fen (the enterprise's own payment, per its invoice) ≥ 0.
    - The enterprise's share is contract − voucher. If it paid all of it, the ceiling is the face value
      (服务券按面值抵扣等额合同款), but never above contract − paid: the provider never gets more than the contract.
    - If it paid less, the contract was not fully performed or paid: the ceiling keeps the voucher's share of what
      was actually paid, floor(voucher × paid / (contract − voucher)).
    - Without lowering, the ceiling is settled. The operator may lower (to any integer 0…ceiling, with a reason)
      only when the enterprise is "unsatisfied", or the contract was not fully performed (fully_performed=False
      or the enterprise's share not fully paid). "basic" with full performance settles at the ceiling.
    """
    contract = _positive_int(contract_amount_fen, name="contract_amount_fen")
    voucher = _positive_int(voucher_fen, name="voucher_fen")
    paid = _non_negative_int(paid_fen, name="paid_fen")
    if voucher > contract:
        raise VoucherRuleError("voucher_above_contract", f"voucher {voucher} fen exceeds the contract {contract} fen")
    if paid > contract:
        raise VoucherRuleError("paid_above_contract", f"paid {paid} fen exceeds the contract {contract} fen")
    if satisfaction not in get_args(Satisfaction):
        raise VoucherRuleError("invalid_satisfaction", f"satisfaction must be one of {get_args(Satisfaction)}, "
                               f"got {satisfaction!r}")
    own_share = contract - voucher
    fully_paid = paid >= own_share
    ceiling = min(voucher, contract - paid) if fully_paid else voucher * paid // own_share
    may_lower = satisfaction == "unsatisfied" or not fully_performed or not fully_paid
    if lowered_to_fen is None:
        return SettlementResult(ceiling, ceiling, fully_paid, may_lower, lowered=False)
    if not may_lower:
        raise VoucherRuleError("lowering_not_allowed", "the settled amount may be lowered only for an unsatisfied "
                               "enterprise or a contract not fully performed (003 art. 11(1))")
    if not reason or not reason.strip():
        raise VoucherRuleError("reason_required", "lowering the settled amount needs a reason")
    lowered = _non_negative_int(lowered_to_fen, name="lowered_to_fen")
    if lowered > ceiling:
        raise VoucherRuleError("settlement_raised", f"the settled amount may only be lowered: {lowered} fen is above "
                               f"{ceiling} fen")
    return SettlementResult(lowered, ceiling, fully_paid, may_lower, lowered=lowered < ceiling)


def check_contract_matches_award(*, contract_amount_fen: int, awarded_bid_fen: int) -> None:
    """The contract the enterprise declares is the one of the award (000 五.3: the enterprise chooses a provider by
    its record and its price, the platform confirms the award; 五.5: the three-party contract is then signed): its
    amount is the awarded bid's. A higher figure would raise the voucher (a share of the contract, 003 art. 6)."""
    contract = _positive_int(contract_amount_fen, name="contract_amount_fen")
    awarded = _positive_int(awarded_bid_fen, name="awarded_bid_fen")
    if contract != awarded:
        raise VoucherRuleError("contract_not_awarded_bid",
                               f"the contract amount {contract} fen is not the awarded bid of {awarded} fen")


def check_paid(*, paid_fen: int, contract_amount_fen: int) -> None:
    """What the enterprise paid of the contract (000 七: the invoice of the contract money it paid, the voucher's
    part deducted) is at most the contract: the settlement of a larger figure could never be computed."""
    paid = _non_negative_int(paid_fen, name="paid_fen")
    contract = _positive_int(contract_amount_fen, name="contract_amount_fen")
    if paid > contract:
        raise VoucherRuleError("paid_above_contract", f"paid {paid} fen exceeds the contract {contract} fen")


def effective_sector(*, declared: str | None, industry: str | None) -> str | None:
    """The enterprise's declared sector, else the one its size-class industry implies, else None (undeclared)."""
    if declared:
        return declared
    return SECTOR_OF_INDUSTRY.get(industry or "")


def check_subsidy_object(*, policy: PolicyVersion, sector: str | None) -> None:
    """Under a version that names its subsidy objects, the enterprise's sector must be one of them (000 一)."""
    if policy.subsidy_sectors is None or sector in policy.subsidy_sectors:
        return
    allowed = "、".join(SECTORS[s] for s in policy.subsidy_sectors)
    what = SECTORS.get(sector or "", "未申报")
    raise VoucherRuleError("not_subsidy_object", f"under {policy.title} (000 一 补贴对象) only enterprises of "
                           f"{allowed} are subsidised; this enterprise's sector is {what}")
def yuan_words(fen: int) -> str:
    """An amount as an official writes it in a sentence: 1 万元, 5,400 元, 3,012.50 元."""
    if fen > 0 and fen % 1_000_000 == 0:
        return f"{fen // 1_000_000} 万元"
    whole, cents = divmod(fen, 100)
    return f"{whole:,} 元" if cents == 0 else f"{whole:,}.{cents:02d} 元"


def explain_amount(*, policy: PolicyVersion, category: str, amount_fen: int | None) -> str:
    """The voucher's computation in words (003 art. 6; 000 二): the category's ratio, the caps of the version, and
    the amount of this voucher once computed, e.g. "比例 30%，年度上限 1 万元，本券 5,400 元"."""
    parts = []
    if category in policy.ratios_bp:
        parts.append(f"比例 {policy.ratios_bp[category] / 100:g}%")
    if policy.per_item_cap_fen is not None:
        parts.append(f"单项上限 {yuan_words(policy.per_item_cap_fen)}")
    parts.append(f"年度上限 {yuan_words(policy.per_enterprise_year_cap_fen)}")
    parts.append(f"本券 {yuan_words(amount_fen)}" if amount_fen is not None else "本券金额在申领时按合同金额计算")
    return "，".join(parts)
