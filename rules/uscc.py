"""统一社会信用代码 (GB 32100-2015), required for registration (DOMAIN.md P1 step 1), wrapping stdnum.cn.uscc."""

from __future__ import annotations

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from rules.errors import RuleViolation

# GB 32100-2015 code characters: digits and capital letters without I, O, S, V, Z.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
NINGXIA_PREFIX = "64"


class InvalidUSCC(RuleViolation):
    """A 统一社会信用代码 that breaks GB 32100-2015 (length, characters or check character)."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_uscc", message)

    def __reduce__(self) -> tuple[type[InvalidUSCC], tuple[str]]:
        return (type(self), (self.message,))


def validate_uscc(code: str) -> str:
    """The code in upper case if it is a valid 统一社会信用代码 (GB 32100-2015), else InvalidUSCC."""
    number = stdnum_uscc.compact(code)
    if len(number) != 18:
        raise InvalidUSCC(f"a unified social credit code has 18 characters, this one has {len(number)}")
    for position, char in enumerate(number, start=1):
        region = 3 <= position <= 8
        if char not in ("0123456789" if region else ALPHABET):
            what = "a digit (region code)" if region else "a digit or a capital letter other than I, O, S, V, Z"
            raise InvalidUSCC(f"invalid character {char!r} at position {position} of the unified social credit code; "
                              f"expected {what}")
    if number[:2].isdigit():
        try:
            return stdnum_uscc.validate(number)
        except InvalidChecksum:
            raise InvalidUSCC("wrong check character in the unified social credit code") from None
        except ValidationError as exc:  # pragma: no cover - length and characters are checked above
            raise InvalidUSCC(f"invalid unified social credit code: {exc}") from None
    # stdnum refuses a letter as registration authority or entity type (e.g. "N" 农业, "A" 中央军委改革和编制办公室,
    # "Y" other authorities), which GB 32100-2015 allows; its check-character computation covers the full alphabet.
    if number[-1] != stdnum_uscc.calc_check_digit(number[:17]):
        raise InvalidUSCC("wrong check character in the unified social credit code")
    return number


def is_valid_uscc(code: str) -> bool:
    """Whether the code is a valid 统一社会信用代码 (GB 32100-2015)."""
    try:
        validate_uscc(code)
    except InvalidUSCC:
        return False
    return True


def uscc_region(code: str) -> str:
    """The 6-digit administrative division code of the registering authority (characters 3-8, GB 32100-2015)."""
    return validate_uscc(code)[2:8]


def is_ningxia(code: str) -> bool:
    """Whether the code was issued in Ningxia (division code 64xxxx), as P1 step 1 requires; invalid codes raise."""
    return uscc_region(code).startswith(NINGXIA_PREFIX)
