"""Who may register and be subsidised: 003 art. 5 (registered in Ningxia, independent legal person) and 000 一
(the 2017 subsidy objects are production manufacturing and producer services)."""

from __future__ import annotations

import pytest

from rules.registration import RegistrationRuleError, check_enterprise
from rules.voucher import POLICY_2016, POLICY_2017, VoucherRuleError, check_subsidy_object, effective_sector
from tests.helpers import new_uscc


class TestSeed003Art5:
    def test_a_ningxia_legal_person_passes(self) -> None:
        check_enterprise(uscc=new_uscc("91640100"), independent_legal_person=True)

    def test_a_credit_code_from_outside_ningxia_is_refused(self) -> None:
        with pytest.raises(RegistrationRuleError) as err:
            check_enterprise(uscc=new_uscc("91110105"), independent_legal_person=True)  # Beijing
        assert err.value.code == "not_registered_in_ningxia" and "110105" in err.value.message

    def test_not_an_independent_legal_person_is_refused(self) -> None:
        with pytest.raises(RegistrationRuleError) as err:
            check_enterprise(uscc=new_uscc("91640100"), independent_legal_person=False)
        assert err.value.code == "not_independent_legal_person" and "003 art. 5" in err.value.message


class TestSeed000Section1SubsidyObjects:
    @pytest.mark.parametrize("sector", ["production_manufacturing", "producer_services"])
    def test_the_2017_policy_subsidises_two_sectors(self, sector: str) -> None:
        check_subsidy_object(policy=POLICY_2017, sector=sector)

    @pytest.mark.parametrize("sector", ["other", None])
    def test_the_2017_policy_refuses_other_sectors_naming_the_rule(self, sector: str | None) -> None:
        with pytest.raises(VoucherRuleError) as err:
            check_subsidy_object(policy=POLICY_2017, sector=sector)
        assert err.value.code == "not_subsidy_object" and "000 一" in err.value.message

    def test_the_2016_policy_has_no_sector_rule(self) -> None:
        check_subsidy_object(policy=POLICY_2016, sector="other")

    def test_an_undeclared_sector_follows_the_industry_where_it_implies_one(self) -> None:
        assert effective_sector(declared=None, industry="industry") == "production_manufacturing"
        assert effective_sector(declared=None, industry="software") == "producer_services"
        assert effective_sector(declared=None, industry="retail") is None
        assert effective_sector(declared="other", industry="industry") == "other"
