"""Who may be a signed service provider: seed 000 四 (and 003 art. 4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from rules.provider import ProviderError, ProviderFacts, check, problems
from rules.uscc import validate_uscc

TODAY = date(2026, 6, 1)

def facts(**over: object) -> ProviderFacts:
    base = ProviderFacts(basis="ningxia_legal_person", uscc=NINGXIA, independent_legal_person=True,
                         pays_tax_in_ningxia=True, has_practice_licence=False, office_since=None,
                         categories=["cloud"])
    return replace(base, **over)  # type: ignore[arg-type]

def _make(body17: str) -> str:
    """A valid credit code from its first 17 characters (GB 32100-2015 check character)."""
    for c in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        try:
            return validate_uscc(body17 + c)
        except ValueError:
            continue
    raise AssertionError("no check character")

NINGXIA = _make("91640100MA7" + "6X2K3L")
BEIJING = _make("91110000MA7" + "6X2K3L")

def codes(f: ProviderFacts, today: date = TODAY) -> list[str]:
    return [c for c, _ in problems(f, today=today)]

def test_ningxia_legal_person_paying_tax_is_eligible() -> None:
    """000 四: 在我区注册和登记纳税的具有独立法人资格…专业服务机构."""
    assert codes(facts()) == []

def test_registered_outside_ningxia_is_refused() -> None:
    """000 四: 在我区注册 (the credit code's registering authority is 64xxxx)."""
    assert codes(facts(uscc=BEIJING)) == ["provider_not_in_ningxia"]

def test_not_paying_tax_in_ningxia_is_refused() -> None:
    """000 四: 在我区…登记纳税."""
    assert codes(facts(pays_tax_in_ningxia=False)) == ["provider_not_paying_tax"]

def test_not_a_legal_person_needs_the_licensed_way() -> None:
    """000 四: 独立法人资格 或 国家规定的执业许可资格 (a law firm is a partnership)."""
    assert codes(facts(independent_legal_person=False)) == ["provider_not_legal_person"]
    lawyer = facts(basis="licensed_body", independent_legal_person=False, categories=["legal"])
    assert set(codes(lawyer)) == {"provider_licence_missing"}
    assert codes(replace(lawyer, has_practice_licence=True)) == []

@pytest.mark.parametrize("category", ["legal", "ip"])
def test_licensed_categories_need_the_licence(category: str) -> None:
    """000 四 "具有国家规定的执业许可资格": legal services and IP agency need their practice licence."""
    with pytest.raises(ProviderError) as exc:
        check(facts(categories=[category]), today=TODAY)
    assert exc.value.code == "provider_licence_missing"
    check(facts(categories=[category], has_practice_licence=True), today=TODAY)

def test_out_of_region_office_operating_one_year_or_more() -> None:
    """000 四: 区外专业服务机构的独立办事机构或合作机构应依法经营1年（含）以上."""
    office = facts(basis="out_of_region_office", independent_legal_person=False, pays_tax_in_ningxia=False,
                   office_since=date(2025, 6, 1))
    assert codes(office) == []  # exactly one year: 含
    assert codes(replace(office, office_since=date(2025, 6, 2))) == ["provider_office_too_new"]
    assert codes(replace(office, office_since=None)) == ["provider_office_too_new"]

def test_unknown_basis() -> None:
    assert codes(facts(basis="friends")) == ["provider_basis_unknown"]


class TestYearlySigning:
    """000 四 "平台每年经过评审，择优确定各服务类型的服务机构": a signed status runs one year and is re-reviewed yearly."""

    def test_a_term_runs_one_year_to_the_end_of_that_month(self) -> None:
        from rules.provider import term_ends
        assert term_ends(start=date(2026, 6, 15)) == date(2027, 6, 30)
        assert term_ends(start=date(2024, 2, 29)) == date(2025, 2, 28)

    def test_a_renewal_runs_on_from_the_current_term(self) -> None:
        from rules.provider import renewed_until
        assert renewed_until(filed_on=date(2026, 12, 20), current_until=date(2027, 6, 30)) == date(2028, 7, 31)
        assert renewed_until(filed_on=date(2027, 8, 1), current_until=date(2027, 6, 30)) == date(2028, 8, 31)
        assert renewed_until(filed_on=date(2027, 8, 1), current_until=None) == date(2028, 8, 31)

    def test_the_round_re_reviews_terms_ending_before_the_next_round(self) -> None:
        from rules.provider import due_for_round, round_month, term_ended
        rnd = date(2026, 12, 1)
        assert due_for_round(date(2027, 6, 30), round_day=rnd) and due_for_round(date(2027, 11, 30), round_day=rnd)
        assert not due_for_round(date(2027, 12, 31), round_day=rnd) and not due_for_round(None, round_day=rnd)
        assert term_ended(date(2027, 6, 30), today=date(2027, 7, 1)) and not term_ended(None, today=rnd)
        assert not term_ended(date(2027, 6, 30), today=date(2027, 6, 30))
        assert round_month(12) and not round_month(11)
