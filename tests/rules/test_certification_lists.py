"""The year's lists of certification (seed 002 art. 12-14): when the 拟认定名单 is ready, whom it lists, when the
certification notice can be drawn, and the documents' keys."""

from __future__ import annotations

from rules.certification_lists import (
    BatchCase,
    batch_key,
    candidates,
    granted,
    list_ready,
    notices_over,
    pending,
)


def case(case_id: str, status: str, closed: bool = False) -> BatchCase:
    return BatchCase(case_id, status, closed)


class TestList:
    def test_002_art_12_the_list_waits_while_a_case_of_the_year_is_in_review(self) -> None:
        batch = [case("A", "listed"), case("B", "in_review")]
        assert pending(batch) == ["B"] and not list_ready(batch)

    def test_002_art_12_the_list_is_ready_when_every_case_is_listed_or_out(self) -> None:
        batch = [case("B", "listed"), case("A", "listed"), case("C", "rejected", closed=True)]
        assert list_ready(batch) and candidates(batch) == ["A", "B"]

    def test_002_art_12_a_case_leaving_the_batch_is_not_waited_for(self) -> None:
        batch = [case("A", "listed"), case("B", "in_review")]
        assert list_ready(batch, leaving="B") and pending(batch, leaving="B") == []

    def test_002_art_12_no_candidate_no_list(self) -> None:
        assert not list_ready([case("A", "rejected", closed=True)]) and not list_ready([])


class TestCertificationNotice:
    def test_002_art_13_drawn_once_every_listed_case_is_out_of_its_notice(self) -> None:
        listed = [case("A", "granted", closed=True), case("B", "public_notice")]
        assert not notices_over(listed)
        listed[1] = case("B", "rejected", closed=True)  # an objection upheld during B's notice
        assert notices_over(listed) and granted(listed) == ["A"]

    def test_002_art_13_a_title_revoked_or_expired_since_was_granted_that_year(self) -> None:
        assert granted([case("A", "revoked", closed=True), case("B", "expired", closed=True)]) == ["A", "B"]


def test_002_art_12_13_document_keys_are_the_years() -> None:
    assert batch_key(2026, "public_notice") == "certification.2026.public_notice"
    assert batch_key(2026, "certification_notice", 2) == "certification.2026.certification_notice.r2"


def test_002_art_12_a_case_in_its_own_notice_is_past_the_decision() -> None:
    """A case that ran before the yearly lists (its own notice) does not hold the year's list."""
    batch = [case("A", "listed"), case("B", "public_notice")]
    assert pending(batch) == [] and list_ready(batch) and candidates(batch) == ["A"]
