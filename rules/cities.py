"""The five prefecture-level cities of Ningxia, each with a 市工信局 (DOMAIN.md, actors: city_bureau)."""

from __future__ import annotations

from rules.errors import RuleViolation

CITIES: dict[str, str] = {
    "yinchuan": "银川市",
    "shizuishan": "石嘴山市",
    "wuzhong": "吴忠市",
    "guyuan": "固原市",
    "zhongwei": "中卫市",
}


def validate_city(code: str) -> str:
    """Return the city code if it is one of Ningxia's five cities (ARCHITECTURE.md, city codes), else raise."""
    if code in CITIES:
        return code
    raise RuleViolation("unknown_city", f"unknown city {code!r}; expected one of {', '.join(CITIES)}")
