"""Who may register as an enterprise for the platform's vouchers (003 art. 5; DOMAIN.md P1 step 1)."""

from __future__ import annotations

from rules.errors import RuleViolation
from rules.uscc import is_ningxia


class RegistrationRuleError(RuleViolation):
    """An enterprise registration breaks 003 art. 5 (a ValueError with `code` and `message`)."""


def check_enterprise(*, uscc: str, independent_legal_person: bool) -> None:
    """003 art. 5 补贴对象: 在自治区内注册登记 (the credit code's region is 64xxxx) and 具有独立法人资格 (declared).

    The code must already be a valid 统一社会信用代码 (rules.uscc.validate_uscc)."""
    if not is_ningxia(uscc):
        raise RegistrationRuleError("not_registered_in_ningxia", "003 art. 5: the enterprise must be registered in "
                                    f"Ningxia; the credit code's region {uscc[2:8]} is not 64xxxx")
    if not independent_legal_person:
        raise RegistrationRuleError("not_independent_legal_person", "003 art. 5: the enterprise must be an "
                                    "independent legal person (具有独立法人资格)")
