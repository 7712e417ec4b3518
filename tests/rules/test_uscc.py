"""统一社会信用代码 checks (GB 32100-2015), required of every registering organisation (DOMAIN.md P1 step 1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.errors import RuleViolation
from rules.uscc import InvalidUSCC, is_ningxia, is_valid_uscc, uscc_region, validate_uscc

CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def with_check(body17: str) -> str:
    """The 18-character code: GB 32100-2015 check character, computed here independently of stdnum."""
    total = sum(CHARS.index(c) * w for c, w in zip(body17, WEIGHTS, strict=True))
    return body17 + CHARS[(31 - total % 31) % 31]


NINGXIA = with_check("91640100MA76ABC12")  # shaped like the contract tests' new_uscc()
LETTER_FIRST = with_check("N2640100MA7D4F5G6")  # 农业 authority: stdnum alone refuses it
AUTHORITY_A = with_check("A1110000MB0123456")
AUTHORITY_Y = with_check("Y1640500MC4567890")


def wrong_check(code: str) -> str:
    """The same code with a different check character."""
    return code[:17] + ("0" if code[17] != "0" else "1")


class TestValidateUscc:
    """Valid codes come back upper case; others raise InvalidUSCC with a plain reason (GB 32100-2015)."""

    @pytest.mark.parametrize(
        "code",
        ["91110000600037341L", NINGXIA, LETTER_FIRST, AUTHORITY_A, AUTHORITY_Y, with_check("12640000MB1234567")],
    )
    def test_valid(self, code: str) -> None:
        assert validate_uscc(code) == code
        assert is_valid_uscc(code) is True

    @pytest.mark.parametrize(
        ("raw", "normal"),
        [
            ("91110000600037341l", "91110000600037341L"),
            ("9111 0000 6000 3734 1L", "91110000600037341L"),
            ("  91110000600037341L ", "91110000600037341L"),
            (LETTER_FIRST.lower(), LETTER_FIRST),
        ],
    )
    def test_normalised(self, raw: str, normal: str) -> None:
        assert validate_uscc(raw) == normal

    @pytest.mark.parametrize(
        ("code", "message"),
        [
            ("91110000600037341", "18 characters, this one has 17"),
            ("91110000600037341L0", "18 characters, this one has 19"),
            ("", "this one has 0"),
            (wrong_check("91110000600037341L"), "wrong check character"),
            (wrong_check(NINGXIA), "wrong check character"),
            (wrong_check(LETTER_FIRST), "wrong check character"),
            ("91110000I00037341L", "invalid character 'I' at position 9"),
            ("9111000060003734OL", "invalid character 'O' at position 17"),
            ("911A0000600037341L", "invalid character 'A' at position 4 .*digit \\(region code\\)"),
            ("Z1110000600037341L", "invalid character 'Z' at position 1"),
            ("91110000600037341※", "invalid character '※' at position 18"),
        ],
    )
    def test_invalid(self, code: str, message: str) -> None:
        with pytest.raises(InvalidUSCC, match=message) as info:
            validate_uscc(code)
        assert isinstance(info.value, ValueError) and isinstance(info.value, RuleViolation)
        assert info.value.code == "invalid_uscc"
        assert is_valid_uscc(code) is False

    @settings(database=None)
    @given(org=st.text(alphabet=CHARS, min_size=9, max_size=9), region=st.sampled_from(["640100", "640200", "640500"]))
    def test_generated_ningxia_codes_validate(self, org: str, region: str) -> None:
        code = with_check("91" + region + org)
        assert validate_uscc(code) == code and is_ningxia(code)


class TestRegion:
    """Characters 3-8 are the registering authority's administrative division code; Ningxia's start with 64."""

    @pytest.mark.parametrize(
        ("code", "region", "ningxia"),
        [
            ("91110000600037341L", "110000", False),
            (NINGXIA, "640100", True),
            (LETTER_FIRST, "640100", True),
            (AUTHORITY_Y, "640500", True),
            (AUTHORITY_A, "110000", False),
        ],
    )
    def test_region(self, code: str, region: str, ningxia: bool) -> None:
        assert uscc_region(code) == region
        assert is_ningxia(code) is ningxia

    def test_invalid_code_has_no_region(self) -> None:
        with pytest.raises(InvalidUSCC):
            is_ningxia(wrong_check(NINGXIA))
