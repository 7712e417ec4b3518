"""The year's lists of demonstration-platform certification (seed 002): one batch per call year.

002 art. 14: the review runs once a year, under that year's call. Art. 12: the department fixes the list of
platforms it intends to certify (拟认定名单) from the experts' review and the site visits, and publishes it for
5 working days. Art. 13: the platforms that passed and drew no upheld objection are granted the title and published
(one certification notice). Art. 9-10: each city bureau recommends its platforms (one summary of its recommended
platforms a year besides each platform's 推荐表).

A batch is the cases of one call year. Its list is ready when no case of the batch is still before the department's
decision (every case is either a candidate waiting for the list or has left the batch); it is then published once, and
the batch's certification notice is drafted once every listed case has come out of its notice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# A candidate approved by the department's decision, waiting for the year's list (002 art. 12).
LISTED = "listed"
# Out of its notice: the title is granted (and may since have run out), or the case was closed (e.g. objection upheld).
DECIDED = frozenset({"granted", "expired", "revoked"})
# Past the department's decision: waiting for the list, in a notice (e.g. a case that ran before the yearly lists and
# publishes its own), or out of it.
PAST_DECISION = frozenset({LISTED, "public_notice"}) | DECIDED


@dataclass(frozen=True)
class BatchCase:
    """What the rule needs of a case of the batch."""

    case_id: str
    status: str
    closed: bool


def pending(cases: Iterable[BatchCase], *, leaving: str | None = None) -> list[str]:
    """The cases still before the decision (002 art. 12 fixes the list only after every review of the year);
    `leaving`, a case that is just leaving the batch, is not waited for."""
    return [c.case_id for c in cases if c.case_id != leaving and not c.closed and c.status not in PAST_DECISION]


def candidates(cases: Iterable[BatchCase]) -> list[str]:
    """The cases the year's 拟认定名单 lists: approved by the decision, waiting for the list (002 art. 12)."""
    return sorted(c.case_id for c in cases if c.status == LISTED and not c.closed)


def list_ready(cases: Iterable[BatchCase], *, leaving: str | None = None) -> bool:
    """The list can be published: no case of the year still in review and at least one candidate (002 art. 12)."""
    cases = list(cases)
    return not pending(cases, leaving=leaving) and bool(candidates(cases))


def notices_over(listed: Iterable[BatchCase]) -> bool:
    """Every listed case has come out of its notice (granted, or closed on an upheld objection): the year's
    certification notice can list the granted ones (002 art. 13)."""
    return all(c.closed or c.status in DECIDED for c in listed)


def granted(listed: Iterable[BatchCase]) -> list[str]:
    """The listed cases granted the title (002 art. 13), in case order."""
    return sorted(c.case_id for c in listed if c.status in DECIDED)


def batch_key(year: int, kind: str, round_no: int = 1) -> str:
    """The key of a yearly list document: certification.<year>.<kind>; a supplementary round's ends .r<n>."""
    return f"certification.{year}.{kind}" + (f".r{round_no}" if round_no > 1 else "")
