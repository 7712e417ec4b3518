"""Enterprise size classes of 工信部联企业〔2011〕300号 (中小企业划型标准规定), kept as versioned data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rules.errors import RuleViolation

Measure = Literal["revenue", "assets"]

FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 CNY = 1,000,000 fen

SIZES: dict[str, str] = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}

INDUSTRIES: dict[str, str] = {
    "industry": "工业",
    "software": "软件和信息技术服务业",
    "wholesale": "批发业",
    "retail": "零售业",
    "transport": "交通运输业",
    "hospitality": "住宿、餐饮业",
    "leasing_business": "租赁和商务服务业",
    "other": "其他未列明行业",
}


@dataclass(frozen=True)
class Floor:
    """The lowest staff count and money amount (万元; None = staff only) of a size class."""

    staff: int
    wan: int | None


@dataclass(frozen=True)
class IndustryThresholds:
    """One industry's floors; a class needs both its floors ("且"), below either falls to the next class ("或")."""

    measure: Measure | None
    large: Floor
    medium: Floor
    small: Floor


def _floors(measure: Measure | None, *, large: tuple[int, int | None], medium: tuple[int, int | None],
            small: tuple[int, int | None]) -> IndustryThresholds:
    """One industry's row of the standard as (staff, 万元) pairs."""
    return IndustryThresholds(measure, large=Floor(*large), medium=Floor(*medium), small=Floor(*small))


STANDARDS: dict[str, dict[str, IndustryThresholds]] = {
    # 工信部联企业〔2011〕300号 art. 4 (the industries flow168 registers; the standard names more).
    "工信部联企业〔2011〕300号": {
        "industry": _floors("revenue", large=(1000, 40000), medium=(300, 2000), small=(20, 300)),
        "software": _floors("revenue", large=(300, 10000), medium=(100, 1000), small=(10, 50)),
        "wholesale": _floors("revenue", large=(200, 40000), medium=(20, 5000), small=(5, 1000)),
        "retail": _floors("revenue", large=(300, 20000), medium=(50, 500), small=(10, 100)),
        "transport": _floors("revenue", large=(1000, 30000), medium=(300, 3000), small=(20, 200)),
        "hospitality": _floors("revenue", large=(300, 10000), medium=(100, 2000), small=(10, 100)),
        "leasing_business": _floors("assets", large=(300, 120000), medium=(100, 8000), small=(10, 100)),
        "other": _floors(None, large=(300, None), medium=(100, None), small=(10, None)),
    },
}

DEFAULT = "工信部联企业〔2011〕300号"


def _thresholds(*, standard: str, industry: str) -> IndustryThresholds:
    """The floors of an industry under a standard, or RuleViolation for an unknown one (300号 art. 2)."""
    if standard not in STANDARDS:
        expected = ", ".join(STANDARDS)
        raise RuleViolation("unknown_standard", f"unknown size standard {standard!r}; expected one of {expected}")
    table = STANDARDS[standard]
    if industry not in table:
        raise RuleViolation("unknown_industry", f"unknown industry {industry!r}; expected one of {', '.join(table)}")
    return table[industry]


def classify(*, industry: str, employees: int, revenue_fen: int, standard: str = DEFAULT) -> str:
    """The size class: large, medium or small when both floors are met, else micro (300号 art. 4).

    For leasing_business `revenue_fen` carries total assets; for `other` it is ignored (staff only).
    """
    if employees < 0 or revenue_fen < 0:
        raise RuleViolation("invalid_size_figures", "staff and revenue cannot be negative")
    thresholds = _thresholds(standard=standard, industry=industry)
    for size, floor in (("large", thresholds.large), ("medium", thresholds.medium), ("small", thresholds.small)):
        if employees >= floor.staff and (floor.wan is None or revenue_fen >= floor.wan * FEN_PER_WAN):
            return size
    return "micro"


def _cny(fen: int) -> str:
    """An amount of fen written as CNY with thousands separators."""
    yuan, rest = divmod(fen, 100)
    return f"{yuan:,} CNY" if rest == 0 else f"{yuan:,}.{rest:02d} CNY"


def check_declared_size(
    *, declared: str, industry: str, employees: int, revenue_fen: int, standard: str = DEFAULT
) -> str | None:
    """None if the declared size class fits the figures (300号 art. 4), else the reason why it does not."""
    if declared not in SIZES:
        raise RuleViolation("unknown_size", f"unknown size class {declared!r}; expected one of {', '.join(SIZES)}")
    actual = classify(industry=industry, employees=employees, revenue_fen=revenue_fen, standard=standard)
    if actual == declared:
        return None
    measure = _thresholds(standard=standard, industry=industry).measure
    figures = f"{employees} staff"
    if measure == "revenue":
        figures += f" and {_cny(revenue_fen)} revenue"
    elif measure == "assets":
        figures += f" and {_cny(revenue_fen)} total assets"
    return f"declared {declared} but {figures} make it {actual} under {standard}"
