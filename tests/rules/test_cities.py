"""The five cities whose 市工信局 review applications from their own city (DOMAIN.md, actors)."""

from __future__ import annotations

import pytest

from rules.cities import CITIES, validate_city
from rules.errors import RuleViolation


class TestValidateCity:
    """Only the five city codes of ARCHITECTURE.md are accepted."""

    @pytest.mark.parametrize(
        ("code", "label"),
        [
            ("yinchuan", "银川市"),
            ("shizuishan", "石嘴山市"),
            ("wuzhong", "吴忠市"),
            ("guyuan", "固原市"),
            ("zhongwei", "中卫市"),
        ],
    )
    def test_known(self, code: str, label: str) -> None:
        assert validate_city(code) == code
        assert CITIES[code] == label

    @pytest.mark.parametrize("code", ["x", "", "ningxia", "银川市"])
    def test_unknown(self, code: str) -> None:
        with pytest.raises(ValueError) as info:
            validate_city(code)
        expected = "expected one of yinchuan, shizuishan, wuzhong, guyuan, zhongwei"
        assert str(info.value) == f"unknown city {code!r}; {expected}"
        assert isinstance(info.value, RuleViolation) and info.value.code == "unknown_city"
        assert info.value.message == str(info.value)

    def test_five_cities(self) -> None:
        assert len(CITIES) == 5
