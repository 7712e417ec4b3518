"""Annual assessment outcomes of the platform network (004 art. 11-13; DOMAIN.md P5)."""

from __future__ import annotations

import pytest

from rules.assessment import DEFAULT_RECTIFICATION_WORKING_DAYS, AssessmentError, AssessmentOutcome, assess


class TestAssess:
    """004 art. 13: qualified → keep; excellent → priority support; failed → rectify; failed again → revoke."""

    @pytest.mark.parametrize(
        ("subject", "standing", "rating", "expected"),
        [
            # 004 art. 13: 年度考核合格的运营机构，枢纽平台继续签订委托运营协议
            ("operator", "active", "qualified", AssessmentOutcome("keep", "active")),
            ("operator", "active", "excellent", AssessmentOutcome("keep", "active")),
            # 004 art. 13: 年度考核优秀的窗口平台和合作服务机构…优先给予支持
            ("window", "active", "excellent", AssessmentOutcome("priority_support", "active")),
            ("service_org", "active", "excellent", AssessmentOutcome("priority_support", "active")),
            ("window", "active", "qualified", AssessmentOutcome("keep", "active")),
            ("service_org", "active", "qualified", AssessmentOutcome("keep", "active")),
            # 004 art. 13: 考核不合格的，限期整改
            ("operator", "active", "failed", AssessmentOutcome("rectify", "rectifying", 30)),
            ("window", "active", "failed", AssessmentOutcome("rectify", "rectifying", 30)),
            ("service_org", "active", "failed", AssessmentOutcome("rectify", "rectifying", 30)),
            # 004 art. 13: 整改后仍达不到要求的…撤销其相应资格
            ("operator", "rectifying", "failed", AssessmentOutcome("revoke", "revoked")),
            ("window", "rectifying", "failed", AssessmentOutcome("revoke", "revoked")),
            ("service_org", "rectifying", "failed", AssessmentOutcome("revoke", "revoked")),
            # passing after rectification ends it
            ("window", "rectifying", "qualified", AssessmentOutcome("keep", "active")),
            ("service_org", "rectifying", "excellent", AssessmentOutcome("priority_support", "active")),
            ("operator", "rectifying", "qualified", AssessmentOutcome("keep", "active")),
            # 004 art. 11: the hub's result goes into the centre's efficiency assessment
            ("hub", "active", "failed", AssessmentOutcome("record", "active")),
            ("hub", "active", "excellent", AssessmentOutcome("record", "active")),
        ],
    )
    def test_table(self, subject: str, standing: str, rating: str, expected: AssessmentOutcome) -> None:
        """004 art. 11, 13 row by row."""
        assert assess(subject=subject, standing=standing, rating=rating) == expected  # type: ignore[arg-type]

    def test_default_period(self) -> None:
        """004 art. 13 sets no period: 30 working days by default."""
        assert DEFAULT_RECTIFICATION_WORKING_DAYS == 30

    def test_configured_period(self) -> None:
        """The rectification period is a setting."""
        outcome = assess(subject="window", standing="active", rating="failed", rectification_working_days=10)
        assert outcome == AssessmentOutcome("rectify", "rectifying", 10)

    def test_fail_twice_in_a_row(self) -> None:
        """004 art. 13: the standing after a failure feeds the next assessment."""
        first = assess(subject="window", standing="active", rating="failed")
        second = assess(subject="window", standing=first.standing, rating="failed")
        assert (first.action, second.action, second.standing) == ("rectify", "revoke", "revoked")

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"subject": "window", "standing": "revoked", "rating": "qualified"}, "already_revoked"),
            ({"subject": "platform", "standing": "active", "rating": "qualified"}, "invalid_subject"),
            ({"subject": "window", "standing": "active", "rating": "pass"}, "invalid_rating"),
            ({"subject": "window", "standing": "paused", "rating": "failed"}, "invalid_standing"),
            ({"subject": "window", "standing": "active", "rating": "failed", "rectification_working_days": 0},
             "invalid_period"),
        ],
    )
    def test_refused(self, kwargs: dict[str, object], code: str) -> None:
        """Unknown values and a revoked subject are refused with a code."""
        with pytest.raises(AssessmentError) as info:
            assess(**kwargs)  # type: ignore[arg-type]
        assert info.value.code == code and isinstance(info.value, ValueError)


# --- indicator sets, weighted totals, ratings (004 art. 11-12; 001 三(五)2) ---------------------------------------

from rules.assessment import (  # noqa: E402
    DEFAULT_SETS,
    KINDS,
    Indicator,
    IndicatorSet,
    check_scores,
    indicator_set,
    rating,
    score,
    weighted_total,
)

WEIGHTED = IndicatorSet(kind="partner", indicators=(Indicator("smes_served", "服务数量", 60.0),
                                                    Indicator("satisfaction", "满意度", 40.0)))


class TestDefaultSets:
    @pytest.mark.parametrize(
        ("kind", "keys"),
        [
            # 004 art. 12: 窗口平台重点考核基本服务条件、服务中小企业数量和服务质量、公共服务活动数量和效果、企业满意度、数据报送
            ("window", ["conditions", "smes_served", "public_events", "satisfaction", "data_reporting"]),
            # 004 art. 12: 合作服务机构重点考核服务中小企业数量和服务质量、企业满意度
            ("partner", ["smes_served", "satisfaction"]),
            # 004 art. 12: 运营机构重点考核平台网络整体运营管理、服务绩效、资金使用
            ("operating_unit", ["operation", "performance", "fund_use"]),
            # 004 art. 11: 年度目标完成情况、运营管理情况、服务质量和效果、资金使用情况、信息安全
            ("hub", ["annual_targets", "operation", "service_quality", "fund_use", "information_security"]),
        ],
    )
    def test_indicators_of_the_seed(self, kind: str, keys: list[str]) -> None:
        assert DEFAULT_SETS[kind].keys() == keys

    @pytest.mark.parametrize("kind", KINDS)
    def test_equal_weights_provisional_90_60(self, kind: str) -> None:
        """The seeds give no weights or scores: equal weights, marked provisional, 90/60 thresholds."""
        s = DEFAULT_SETS[kind]
        assert len({i.weight for i in s.indicators}) == 1 and s.provisional
        assert (s.excellent_min, s.qualified_min) == (90.0, 60.0)


class TestScoring:
    @pytest.mark.parametrize(
        ("scores", "total", "expected"),
        [
            ({"smes_served": 100, "satisfaction": 100}, 100.0, "excellent"),
            ({"smes_served": 90, "satisfaction": 90}, 90.0, "excellent"),  # 90 is excellent (≥)
            ({"smes_served": 95, "satisfaction": 80}, 89.0, "qualified"),  # 0.6·95 + 0.4·80
            ({"smes_served": 60, "satisfaction": 60}, 60.0, "qualified"),  # 60 is qualified (≥)
            ({"smes_served": 50, "satisfaction": 70}, 58.0, "failed"),
            ({"smes_served": 0, "satisfaction": 0}, 0.0, "failed"),
            ({"smes_served": 33.3, "satisfaction": 66.7}, 46.66, "failed"),
        ],
    )
    def test_weighted_total_and_rating(self, scores: dict[str, float], total: float, expected: str) -> None:
        checked, got_total, got_rating = score(WEIGHTED, scores)
        assert (got_total, got_rating) == (total, expected)
        assert weighted_total(WEIGHTED, checked) == total and rating(WEIGHTED, total) == expected

    def test_equal_weights_are_the_mean(self) -> None:
        s = DEFAULT_SETS["window"]
        scores = dict(zip(s.keys(), [100, 80, 60, 90, 70], strict=True))
        assert score(s, scores)[1:] == (80.0, "qualified")

    def test_own_thresholds(self) -> None:
        s = IndicatorSet(kind="hub", indicators=(Indicator("a", "A"),), excellent_min=85, qualified_min=70)
        assert [rating(s, t) for t in (85, 84.99, 70, 69.99)] == ["excellent", "qualified", "qualified", "failed"]

    @pytest.mark.parametrize(
        ("scores", "code"),
        [
            ({"smes_served": 80}, "missing_score"),
            ({"smes_served": 80, "satisfaction": None}, "missing_score"),
            ({"smes_served": 80, "satisfaction": 101}, "score_out_of_range"),
            ({"smes_served": -1, "satisfaction": 50}, "score_out_of_range"),
            ({"smes_served": "80", "satisfaction": 50}, "score_out_of_range"),
            ({"smes_served": True, "satisfaction": 50}, "score_out_of_range"),
            ({"smes_served": 80, "satisfaction": 50, "extra": 1}, "unknown_indicator"),
            ([80, 50], "invalid_scores"),
        ],
    )
    def test_refused_scores(self, scores: object, code: str) -> None:
        """Every indicator scored 0-100, none other."""
        with pytest.raises(AssessmentError) as info:
            check_scores(WEIGHTED, scores)
        assert info.value.code == code


class TestIndicatorSetEntry:
    def test_a_valid_set(self) -> None:
        s = indicator_set("partner", {"indicators": [{"key": "q", "name": "服务质量", "weight": 70},
                                                     {"key": "s", "name": "满意度", "weight": 30}],
                                      "excellent_min": 85, "qualified_min": 65})
        assert s.keys() == ["q", "s"] and (s.excellent_min, s.qualified_min) == (85.0, 65.0) and not s.provisional

    @pytest.mark.parametrize(
        ("kind", "data", "code"),
        [
            ("platform", {"indicators": [{"key": "a", "name": "A"}]}, "invalid_kind"),
            ("hub", {"indicators": []}, "no_indicators"),
            ("hub", {"indicators": [{"key": "", "name": "A"}]}, "invalid_indicator"),
            ("hub", {"indicators": [{"key": "a", "name": "A", "weight": 0}]}, "invalid_weight"),
            ("hub", {"indicators": [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]}, "duplicate_indicator"),
            ("hub", {"indicators": [{"key": "a", "name": "A"}], "excellent_min": 101}, "invalid_threshold"),
            ("hub", {"indicators": [{"key": "a", "name": "A"}], "excellent_min": 60, "qualified_min": 70},
             "invalid_threshold"),
        ],
    )
    def test_refused(self, kind: str, data: dict[str, object], code: str) -> None:
        with pytest.raises(AssessmentError) as info:
            indicator_set(kind, data)
        assert info.value.code == code
