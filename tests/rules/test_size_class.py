"""Size classes of 工信部联企业〔2011〕300号 art. 4: vouchers go to micro and small enterprises only (DOMAIN.md)."""

from __future__ import annotations

import pytest

from rules.errors import RuleViolation
from rules.size_class import DEFAULT, INDUSTRIES, SIZES, STANDARDS, check_declared_size, classify

WAN = 1_000_000  # fen in 1 万元

# The standard's floors, written out again here so a slip in STANDARDS shows: (staff, 万元) for small, medium, large.
FLOORS = {
    "industry": ((20, 300), (300, 2000), (1000, 40000)),
    "software": ((10, 50), (100, 1000), (300, 10000)),
    "wholesale": ((5, 1000), (20, 5000), (200, 40000)),
    "retail": ((10, 100), (50, 500), (300, 20000)),
    "transport": ((20, 200), (300, 3000), (1000, 30000)),
    "hospitality": ((10, 100), (100, 2000), (300, 10000)),
    "leasing_business": ((10, 100), (100, 8000), (300, 120000)),  # total assets, not revenue
}


def boundary_cases() -> list[tuple[str, int, int, str]]:
    """For each industry and class: exactly on both floors, one person short, one fen short."""
    cases = []
    below = {"small": "micro", "medium": "small", "large": "medium"}
    for industry, floors in FLOORS.items():
        for size, (staff, wan) in zip(("small", "medium", "large"), floors, strict=True):
            cases += [
                (industry, staff, wan * WAN, size),
                (industry, staff - 1, wan * WAN, below[size]),
                (industry, staff, wan * WAN - 1, below[size]),
            ]
    return cases


class TestClassify:
    """A class needs both its floors (且); below either floor falls to the next class (或) (300号 art. 4)."""

    @pytest.mark.parametrize(("industry", "employees", "revenue_fen", "expected"), boundary_cases())
    def test_boundaries(self, industry: str, employees: int, revenue_fen: int, expected: str) -> None:
        assert classify(industry=industry, employees=employees, revenue_fen=revenue_fen) == expected

    @pytest.mark.parametrize(
        ("employees", "expected"),
        [(0, "micro"), (9, "micro"), (10, "small"), (99, "small"), (100, "medium"), (299, "medium"), (300, "large")],
    )
    def test_other_is_staff_only(self, employees: int, expected: str) -> None:
        assert classify(industry="other", employees=employees, revenue_fen=0) == expected
        assert classify(industry="other", employees=employees, revenue_fen=10**15) == expected

    @pytest.mark.parametrize(
        ("industry", "employees", "revenue_fen", "expected"),
        [
            ("software", 30, 800_000_000, "small"),  # contract test: 30 staff, 800万
            ("retail", 6, 30_000_000, "micro"),  # contract test: 6 staff, 30万
            ("industry", 5000, 100 * WAN, "micro"),  # many staff but revenue below the small floor
            ("industry", 5, 90000 * WAN, "micro"),  # high revenue but staff below the small floor
            ("wholesale", 250, 30000 * WAN, "medium"),  # staff above the large floor, revenue not
            ("leasing_business", 50, 200 * WAN, "small"),
        ],
    )
    def test_mixed_figures(self, industry: str, employees: int, revenue_fen: int, expected: str) -> None:
        assert classify(industry=industry, employees=employees, revenue_fen=revenue_fen) == expected

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"industry": "farming", "employees": 5, "revenue_fen": 0}, "unknown industry 'farming'"),
            ({"industry": "retail", "employees": -1, "revenue_fen": 0}, "cannot be negative"),
            ({"industry": "retail", "employees": 1, "revenue_fen": -1}, "cannot be negative"),
            ({"industry": "retail", "employees": 1, "revenue_fen": 0, "standard": "GB/T 0"}, "unknown size standard"),
        ],
    )
    def test_refused(self, kwargs: dict, message: str) -> None:
        with pytest.raises(ValueError, match=message) as info:
            classify(**kwargs)
        assert isinstance(info.value, RuleViolation)


class TestCheckDeclaredSize:
    """A declared size class that contradicts the figures is refused at registration (DOMAIN.md P1 step 1)."""

    @pytest.mark.parametrize(
        ("declared", "industry", "employees", "revenue_fen"),
        [
            ("small", "software", 30, 800_000_000),
            ("micro", "retail", 6, 30_000_000),
            ("medium", "industry", 300, 2000 * WAN),
            ("large", "other", 300, 0),
        ],
    )
    def test_consistent(self, declared: str, industry: str, employees: int, revenue_fen: int) -> None:
        assert check_declared_size(
            declared=declared, industry=industry, employees=employees, revenue_fen=revenue_fen
        ) is None

    @pytest.mark.parametrize(
        ("declared", "industry", "employees", "revenue_fen", "reason"),
        [
            ("small", "retail", 6, 30_000_000,
             "declared small but 6 staff and 300,000 CNY revenue make it micro under 工信部联企业〔2011〕300号"),
            ("micro", "software", 30, 800_000_000,
             "declared micro but 30 staff and 8,000,000 CNY revenue make it small under 工信部联企业〔2011〕300号"),
            ("small", "leasing_business", 400, 130000 * WAN,
             "declared small but 400 staff and 1,300,000,000 CNY total assets make it large "
             "under 工信部联企业〔2011〕300号"),
            ("small", "other", 9, 0, "declared small but 9 staff make it micro under 工信部联企业〔2011〕300号"),
            ("small", "wholesale", 5, 1000 * WAN - 1,
             "declared small but 5 staff and 9,999,999.99 CNY revenue make it micro under 工信部联企业〔2011〕300号"),
        ],
    )
    def test_mismatch_reason(self, declared: str, industry: str, employees: int, revenue_fen: int, reason: str) -> None:
        assert check_declared_size(
            declared=declared, industry=industry, employees=employees, revenue_fen=revenue_fen
        ) == reason

    def test_unknown_declared_size(self) -> None:
        with pytest.raises(ValueError, match="unknown size class 'tiny'"):
            check_declared_size(declared="tiny", industry="retail", employees=6, revenue_fen=0)


class TestLabels:
    """Codes and Chinese labels of the industries and size classes of 300号."""

    def test_industries_match_the_standard(self) -> None:
        assert set(INDUSTRIES) == set(STANDARDS[DEFAULT]) == set(FLOORS) | {"other"}
        assert INDUSTRIES["software"] == "软件和信息技术服务业"

    def test_sizes(self) -> None:
        assert SIZES == {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
