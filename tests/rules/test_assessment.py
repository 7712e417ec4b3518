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
