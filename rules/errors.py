"""The domain error family: a broken rule, with a stable code for machines and a plain message for people."""

from __future__ import annotations


class RuleViolation(ValueError):
    """A rule of the seed documents (or of DOMAIN.md restating them) is broken by the input."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message
