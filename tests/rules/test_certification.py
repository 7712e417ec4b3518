"""Demonstration-platform certification (seed 002): art. 6 conditions, art. 7 functions, art. 12, 17-19."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from rules.certification import (
    PUBLIC_NOTICE_WORKING_DAYS,
    TITLE_VALIDITY_YEARS,
    AnnualOutcome,
    CertificationError,
    PlatformApplication,
    annual_rating_outcome,
    annual_summary_due,
    check_eligibility,
    city_report_due,
    reapply_year,
    valid_until,
)

YUAN = 100
YI = 100_000_000 * YUAN


def application(**changes: Any) -> PlatformApplication:
    """An application exactly on every art. 6 threshold, with the information function exactly on its thresholds."""
    fields: dict[str, Any] = {
        "platform_name": "宁夏示范服务平台",
        "city": "yinchuan",
        "org_type": "enterprise",
        "mountain_area": False,
        "years_operating": 2,
        "total_assets_fen": 1_000_000 * YUAN,
        "smes_served_last_year": 50,
        "smes_served_prev_year": 40,
        "satisfaction_pct": 80,
        "service_orgs_aggregated": 2,
        "public_benefit_share_pct": 20,
        "staff_serving_smes": 10,
        "qualified_staff_share_pct": 60,
        "functions": {"information": {"smes_served_offline": 50, "events": 4}},
    }
    return PlatformApplication(**(fields | changes))


def by_code(app: PlatformApplication) -> dict[str, Any]:
    """The conditions of an application keyed by code."""
    return {c.code: c for c in check_eligibility(app).conditions}


# (field, value one step below the threshold, failing condition code, art. 6 item)
BELOW = [
    ("years_operating", 1, "art6.1.years_operating", 1),
    ("total_assets_fen", 1_000_000 * YUAN - 1, "art6.1.total_assets", 1),
    ("smes_served_last_year", 49, "art6.2.smes_served", 2),
    ("satisfaction_pct", Decimal("79.99"), "art6.2.satisfaction", 2),
    ("service_orgs_aggregated", 1, "art6.3.service_orgs", 3),
    ("public_benefit_share_pct", Fraction(1999, 100), "art6.4.public_benefit", 4),
    ("staff_serving_smes", 9, "art6.5.staff", 5),
    ("qualified_staff_share_pct", 59, "art6.5.qualified_staff", 5),
]


class TestArticle6:
    """002 art. 6: all five conditions, at their thresholds ("以上/不少于/不低于" include the number)."""

    def test_exactly_on_every_threshold(self) -> None:
        """002 art. 6 (1)-(5) and art. 7 (一): on the threshold passes."""
        result = check_eligibility(application())
        assert result.eligible and result.missing() == [] and result.relaxed_shortfalls() == []
        assert all(c.passed for c in result.conditions)
        assert [c.code for c in result.conditions] == [
            "art6.1.years_operating", "art6.1.total_assets", "art6.2.smes_served", "art6.2.satisfaction",
            "art6.2.growth", "art6.3.service_orgs", "art6.4.public_benefit", "art6.5.staff",
            "art6.5.qualified_staff", "art7.information", "art7.any"]

    @pytest.mark.parametrize(("field", "value", "code", "item"), BELOW)
    def test_one_step_below_fails(self, field: str, value: Any, code: str, item: int) -> None:
        """002 art. 6: one unit under any threshold makes an enterprise-run platform ineligible."""
        result = check_eligibility(application(**{field: value}))
        assert not result.eligible
        failed = [c for c in result.conditions if not c.passed]
        assert [c.code for c in failed] == [code]
        assert failed[0].blocking and not failed[0].relaxed
        assert len(result.missing()) == 1 and failed[0].label_zh in result.missing()[0]

    @pytest.mark.parametrize(("last", "prev", "passed"), [(50, 49, True), (50, 50, False), (60, 70, False)])
    def test_growth(self, last: int, prev: int, passed: bool) -> None:
        """002 art. 6 (2): 近两年服务企业数量稳步增长 = last year above the year before."""
        result = by_code(application(smes_served_last_year=last, smes_served_prev_year=prev))
        assert result["art6.2.growth"].passed is passed

    def test_detail_names_the_figures(self) -> None:
        """The detail states the applicant's figure and the requirement."""
        detail = by_code(application(years_operating=1))["art6.1.years_operating"].detail
        assert "1" in detail and "2" in detail

    def test_decimal_and_float_percentages(self) -> None:
        """Percentages may be int, Decimal or Fraction; a JSON float is read through its decimal text."""
        app = application(satisfaction_pct=80.0, qualified_staff_share_pct=Decimal("60.0"))
        assert app.satisfaction_pct == Decimal("80.0")
        assert check_eligibility(app).eligible


class TestRelaxations:
    """002 art. 6, last paragraph: 事业单位、社团法人 → (1) relaxed; 山区市县 → (1), (2), (5) relaxed. "可适当放宽" is
    relaxed, not waived: the condition is checked against the department's relaxed figure (default 80 %)."""

    @staticmethod
    def _relaxed_passes(field: str) -> bool:
        """Every figure of BELOW is within 80 % of its threshold except one year of the two (50 %)."""
        return field != "years_operating"

    @pytest.mark.parametrize("org_type", ["institution", "social_org"])
    @pytest.mark.parametrize(("field", "value", "code", "item"), BELOW)
    def test_public_bodies(self, org_type: str, field: str, value: Any, code: str, item: int) -> None:
        """002 art. 6: for 事业单位 and 社团法人 only condition (1) is relaxed, to 80 % of its figure."""
        result = check_eligibility(application(org_type=org_type, **{field: value}))
        condition = by_code(application(org_type=org_type, **{field: value}))[code]
        assert condition.relaxed is (item == 1) and condition.meets_normal is False
        expected = item == 1 and self._relaxed_passes(field)
        assert condition.passed is expected and result.eligible is expected
        assert len(result.relaxed_shortfalls()) == (1 if expected else 0)

    @pytest.mark.parametrize(("field", "value", "code", "item"), BELOW)
    def test_mountain_areas(self, field: str, value: Any, code: str, item: int) -> None:
        """002 art. 6: in 山区市县 conditions (1), (2) and (5) are relaxed; (3) and (4) are not."""
        result = check_eligibility(application(mountain_area=True, **{field: value}))
        condition = by_code(application(mountain_area=True, **{field: value}))[code]
        assert condition.relaxed is (item in (1, 2, 5))
        assert result.eligible is (item in (1, 2, 5) and self._relaxed_passes(field))

    def test_relaxed_condition_is_still_checked(self) -> None:
        """002 art. 6 "可适当放宽": relaxed is not waived; nothing at all in a mountain area does not qualify."""
        app = application(mountain_area=True, org_type="social_org", years_operating=0, total_assets_fen=0,
                          smes_served_last_year=0, smes_served_prev_year=0, satisfaction_pct=0,
                          staff_serving_smes=0, qualified_staff_share_pct=0)
        result = check_eligibility(app)
        assert not result.eligible and len(result.missing()) == 6  # growth: 0 is not below 80 % of 0
        assert all("适当放宽" in m for m in result.missing())

    def test_relaxed_figure_is_the_departments_setting(self) -> None:
        """002 art. 6: the relaxation is data: at 80 % assets of 800,000 yuan pass and 799,999.99 fail; at 50 % one
        year of operation passes; at 100 % nothing is relaxed."""
        inst = {"org_type": "institution"}
        assert check_eligibility(application(total_assets_fen=800_000 * YUAN, **inst)).eligible
        assert not check_eligibility(application(total_assets_fen=800_000 * YUAN - 1, **inst)).eligible
        assert not check_eligibility(application(years_operating=1, **inst)).eligible
        assert check_eligibility(application(years_operating=1, **inst), relaxed_pct=50).eligible
        assert not check_eligibility(application(total_assets_fen=900_000 * YUAN, **inst), relaxed_pct=100).eligible
        detail = by_code(application(total_assets_fen=800_000 * YUAN, **inst))["art6.1.total_assets"].detail
        assert "80%" in detail and "800,000" in detail

    @pytest.mark.parametrize("pct", [49, 101, 80.0, True, "80"])
    def test_relaxation_setting_is_checked(self, pct: Any) -> None:
        """The department's relaxation is a whole percentage 50..100 of the normal figure."""
        with pytest.raises(CertificationError) as exc:
            check_eligibility(application(), relaxed_pct=pct)
        assert exc.value.code == "relaxation_invalid"

    def test_mountain_growth_relaxed(self) -> None:
        """002 art. 6 (2) relaxed in mountain areas covers the growth requirement too: no more than the relaxation's
        decline (80 % of the year before), reported as a relaxed pass."""
        assert check_eligibility(application(mountain_area=True, smes_served_prev_year=50)).relaxed_shortfalls()
        assert check_eligibility(application(mountain_area=True, smes_served_last_year=80,
                                             smes_served_prev_year=100)).eligible
        assert not check_eligibility(application(mountain_area=True, smes_served_last_year=79,
                                                 smes_served_prev_year=100)).eligible

    def test_relaxed_conditions_reported_even_when_met(self) -> None:
        """A relaxed condition that is met is still marked relaxed, and passed, and meets its normal figure."""
        conditions = by_code(application(org_type="institution"))
        assert conditions["art6.1.years_operating"].relaxed and conditions["art6.1.years_operating"].passed
        assert conditions["art6.1.years_operating"].meets_normal
        assert not conditions["art6.2.smes_served"].relaxed

    def test_relaxation_never_covers_article_7(self) -> None:
        """002 art. 6 relaxes art. 6 only: a mountain platform still needs one art. 7 function."""
        app = application(mountain_area=True, org_type="institution", functions={"technology": {"events": 2}})
        result = check_eligibility(app)
        assert not result.eligible and any("第七条" in m for m in result.missing())


# (function, figures exactly on the thresholds, figures one step below)
FUNCTIONS = [
    ("information", {"smes_served_offline": 50, "events": 4}, {"smes_served_offline": 49, "events": 4}),
    ("information", {"smes_served_offline": 50, "events": 4}, {"smes_served_offline": 50, "events": 3}),
    ("technology", {"events": 3}, {"events": 2}),
    ("startup", {"events": 4}, {"events": 3}),
    ("training", {"trainee_times": 500}, {"trainee_times": 499}),
    ("financing", {"events": 3, "financed_fen": 2 * YI}, {"events": 3, "financed_fen": 2 * YI - 1}),
    ("financing", {"events": 3, "financed_fen": 2 * YI}, {"events": 2, "financed_fen": 2 * YI}),
    ("financing", {"new_guarantees_fen": 5 * YI}, {"new_guarantees_fen": 5 * YI - 1}),
    ("consulting", {"free_diagnoses": 3}, {"free_diagnoses": 2}),
    ("market", {"enterprise_times": 50}, {"enterprise_times": 49}),
]


class TestArticle7:
    """002 art. 7: at least one function, each with its thresholds."""

    @pytest.mark.parametrize(("function", "on", "below"), FUNCTIONS)
    def test_on_threshold(self, function: str, on: dict[str, int], below: dict[str, int]) -> None:
        """002 art. 7 (一)-(七): exactly on every threshold passes."""
        result = check_eligibility(application(functions={function: on}))
        assert result.eligible and by_code(application(functions={function: on}))[f"art7.{function}"].passed

    @pytest.mark.parametrize(("function", "on", "below"), FUNCTIONS)
    def test_below_threshold(self, function: str, on: dict[str, int], below: dict[str, int]) -> None:
        """002 art. 7: one step below any threshold of the only declared function: ineligible."""
        result = check_eligibility(application(functions={function: below}))
        conditions = by_code(application(functions={function: below}))
        assert not result.eligible
        assert not conditions[f"art7.{function}"].passed and not conditions[f"art7.{function}"].blocking
        assert conditions["art7.any"].blocking
        assert len(result.missing()) == 1

    def test_one_function_is_enough(self) -> None:
        """002 art. 7: "至少一项": a failing second function does not block."""
        app = application(functions={"training": {"trainee_times": 10}, "market": {"enterprise_times": 50}})
        result = check_eligibility(app)
        assert result.eligible
        assert "市场服务" in by_code(app)["art7.any"].detail and not by_code(app)["art7.training"].passed

    def test_financing_either_alternative(self) -> None:
        """002 art. 7 (五): a service body's 3 events and 2亿, or a guarantor's 5亿 new guarantees."""
        app = application(functions={"financing": {"events": 0, "financed_fen": 0, "new_guarantees_fen": 5 * YI}})
        assert check_eligibility(app).eligible

    @pytest.mark.parametrize(
        "functions",
        [
            {},
            {"lobbying": {"events": 9}},
            {"technology": {}},
            {"technology": {"events": 3, "extra": 1}},
            {"financing": {"events": 3}},
            {"technology": {"events": -1}},
            {"technology": {"events": 3.0}},
        ],
    )
    def test_malformed_functions(self, functions: dict[str, Any]) -> None:
        """The form needs a non-empty subset of known functions, each with its fields as counts."""
        with pytest.raises(CertificationError) as info:
            application(functions=functions)
        assert info.value.code == "invalid_application"


class TestApplicationForm:
    """The form's fields (ARCHITECTURE.md, certification case data)."""

    @pytest.mark.parametrize(
        "changes",
        [
            {"city": "beijing"},
            {"org_type": "company"},
            {"platform_name": " "},
            {"mountain_area": "yes"},
            {"years_operating": -1},
            {"total_assets_fen": 1.5},
            {"staff_serving_smes": True},
            {"satisfaction_pct": 101},
            {"satisfaction_pct": -1},
            {"qualified_staff_share_pct": "60"},
        ],
    )
    def test_refused(self, changes: dict[str, Any]) -> None:
        """Unknown city or org type, negative counts, money not in integer fen, shares outside 0..100."""
        with pytest.raises(CertificationError) as info:
            application(**changes)
        assert info.value.code == "invalid_application" and isinstance(info.value, ValueError)

    def test_every_city(self) -> None:
        """Any of the five cities may apply (002 art. 9)."""
        for city in ("yinchuan", "shizuishan", "wuzhong", "guyuan", "zhongwei"):
            assert replace(application(), city=city).city == city


class TestValidity:
    """002 art. 12, 17: 5-working-day notice; the title lasts 3 years (Civil Code art. 201-202 for the end day)."""

    def test_constants(self) -> None:
        """002 art. 12: 公示期为5个工作日; art. 17: 有效期为三年."""
        assert (PUBLIC_NOTICE_WORKING_DAYS, TITLE_VALIDITY_YEARS) == (5, 3)

    @pytest.mark.parametrize(
        ("granted", "until"),
        [
            (date(2026, 12, 5), date(2029, 12, 4)),  # issue 15: the grant day is the first day
            (date(2024, 3, 15), date(2027, 3, 14)),
            (date(2024, 2, 29), date(2027, 2, 28)),  # no 29 February in 2027: month's last day
            (date(2025, 2, 28), date(2028, 2, 27)),
            (date(2025, 12, 31), date(2028, 12, 30)),
            (date(2025, 1, 1), date(2027, 12, 31)),
        ],
    )
    def test_valid_until(self, granted: date, until: date) -> None:
        """002 art. 17: three years counting the grant day, ending the day before the corresponding day."""
        assert valid_until(granted_on=granted) == until

    def test_reapply_year(self) -> None:
        """002 art. 17: 在有效期满当年可再次申报."""
        assert reapply_year(granted_on=date(2024, 6, 1)) == 2027

    @pytest.mark.parametrize(("year", "due"), [(2023, date(2024, 2, 29)), (2024, date(2025, 2, 28))])
    def test_city_report_due(self, year: int, due: date) -> None:
        """002 art. 18: 每年2月底前 the city bureau reports on the year before."""
        assert city_report_due(year=year) == due

    def test_annual_summary_due(self) -> None:
        """002 art. 16: 每年年底前将本年度工作总结报市级中小企业主管部门."""
        assert annual_summary_due(year=2025) == date(2025, 12, 31)


class TestAnnualRating:
    """002 art. 19: excellent → priority support and national recommendation; failed → revoked."""

    @pytest.mark.parametrize(
        ("rating", "outcome"),
        [
            ("excellent", AnnualOutcome("priority_support", keeps_title=True, recommend_national=True)),
            ("qualified", AnnualOutcome("keep", keeps_title=True, recommend_national=False)),
            ("failed", AnnualOutcome("revoke", keeps_title=False, recommend_national=False)),
        ],
    )
    def test_outcome(self, rating: str, outcome: AnnualOutcome) -> None:
        """002 art. 19 row by row."""
        assert annual_rating_outcome(rating) == outcome  # type: ignore[arg-type]

    def test_unknown(self) -> None:
        """Only the three ratings of the assessment form."""
        with pytest.raises(CertificationError) as info:
            annual_rating_outcome("good")  # type: ignore[arg-type]
        assert info.value.code == "invalid_rating"


class TestExpiryReminders:
    """002 art. 17: before the title expires the holder is told it may re-apply; the call sets the days."""

    def test_default_is_180_and_30(self) -> None:
        from rules.certification import expiry_reminder_days

        assert expiry_reminder_days(None) == (180, 30)

    def test_sorted_latest_first(self) -> None:
        from rules.certification import expiry_reminder_days

        assert expiry_reminder_days([30, 365, 90]) == (365, 90, 30)

    @pytest.mark.parametrize("days", [[0], [1096], [30, 30], [1, 2, 3, 4, 5, 6], [True]])
    def test_refused(self, days: list[int]) -> None:
        from rules.certification import CertificationError, expiry_reminder_days

        with pytest.raises(CertificationError):
            expiry_reminder_days(days)


class TestMaterials:
    """002 art. 11: every listed material, incl. (三) the special audit report of service income and expenditure."""

    def test_all_required(self) -> None:
        from rules.certification import MATERIALS, missing_materials
        assert set(missing_materials({}, audit_covers_service=False)) == set(MATERIALS)
        full = {k: "u" for k in MATERIALS}
        assert missing_materials(full, audit_covers_service=False) == []

    def test_special_audit_report(self) -> None:
        """002 art. 11(3): the special audit report, or an audit report that includes service income and expenditure."""
        from rules.certification import MATERIALS, missing_materials
        without = {k: "u" for k in MATERIALS if k != "service_audit_report"}
        assert missing_materials(without, audit_covers_service=False) == ["service_audit_report"]
        assert missing_materials(without, audit_covers_service=True) == []
        assert "专项审计报告" in MATERIALS["service_audit_report"]
