"""Demonstration-platform certification: art. 6 conditions, art. 7 functions, validity and annual outcome (seed 002)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Literal, get_args

from rules.cities import CITIES
from rules.errors import RuleViolation

OrgType = Literal["enterprise", "institution", "social_org"]
AnnualRating = Literal["excellent", "qualified", "failed"]
AnnualAction = Literal["priority_support", "keep", "revoke"]
Percent = int | Decimal | Fraction

TITLE_VALIDITY_YEARS = 3  # 002 art. 17
PUBLIC_NOTICE_WORKING_DAYS = 5  # 002 art. 12

FEN_PER_YUAN = 100
YI = 100_000_000 * FEN_PER_YUAN  # 1 亿元 in fen

# 002 art. 6; "以上/不少于/不低于" include the number itself (Chinese legal usage, e.g. 刑法 art. 99).
MIN_YEARS_OPERATING = 2
MIN_TOTAL_ASSETS_FEN = 1_000_000 * FEN_PER_YUAN
MIN_SMES_SERVED = 50
MIN_SATISFACTION_PCT = 80
MIN_SERVICE_ORGS = 2
MIN_PUBLIC_BENEFIT_PCT = 20
MIN_STAFF = 10
MIN_QUALIFIED_STAFF_PCT = 60

# 002 art. 7: field → minimum, per function; financing has two alternatives (service body or guarantor).
FUNCTION_THRESHOLDS: dict[str, tuple[dict[str, int], ...]] = {
    "information": ({"smes_served_offline": 50, "events": 4},),
    "technology": ({"events": 3},),
    "startup": ({"events": 4},),
    "training": ({"trainee_times": 500},),
    "financing": ({"events": 3, "financed_fen": 2 * YI}, {"new_guarantees_fen": 5 * YI}),
    "consulting": ({"free_diagnoses": 3},),
    "market": ({"enterprise_times": 50},),
}

FUNCTION_LABELS: dict[str, str] = {
    "information": "信息服务",
    "technology": "技术服务",
    "startup": "创业服务",
    "training": "培训服务",
    "financing": "融资服务",
    "consulting": "咨询服务",
    "market": "市场服务",
}

_FIELD_LABELS: dict[str, str] = {
    "smes_served_offline": "线下年服务企业数量",
    "events": "年服务活动次数",
    "trainee_times": "年培训人次",
    "financed_fen": "帮助中小企业融资总额（元）",
    "new_guarantees_fen": "年新增担保额（元）",
    "free_diagnoses": "年公益性诊断咨询活动次数",
    "enterprise_times": "年服务企业家次",
}


class CertificationError(RuleViolation):
    """A certification application is malformed (seed 002); a ValueError with `code` and `message`."""


@dataclass(frozen=True)
class PlatformApplication:
    """The certification form's figures (ARCHITECTURE.md, certification case data); money in fen, shares in %."""

    platform_name: str
    city: str
    org_type: OrgType
    mountain_area: bool
    years_operating: int
    total_assets_fen: int
    smes_served_last_year: int
    smes_served_prev_year: int
    satisfaction_pct: Percent
    service_orgs_aggregated: int
    public_benefit_share_pct: Percent
    staff_serving_smes: int
    qualified_staff_share_pct: Percent
    functions: Mapping[str, Mapping[str, int]]

    def __post_init__(self) -> None:
        """Refuse a form that cannot be judged: wrong types, unknown city, org type or function, missing fields."""
        if not self.platform_name or not self.platform_name.strip():
            raise CertificationError("invalid_application", "platform_name is required")
        if self.city not in CITIES:
            raise CertificationError("invalid_application", f"unknown city {self.city!r}")
        if self.org_type not in get_args(OrgType):
            raise CertificationError("invalid_application", f"org_type must be one of {get_args(OrgType)}")
        if not isinstance(self.mountain_area, bool):
            raise CertificationError("invalid_application", "mountain_area must be true or false")
        for name in ("years_operating", "total_assets_fen", "smes_served_last_year", "smes_served_prev_year",
                     "service_orgs_aggregated", "staff_serving_smes"):
            _count(getattr(self, name), name=name)
        for name in ("satisfaction_pct", "public_benefit_share_pct", "qualified_staff_share_pct"):
            object.__setattr__(self, name, _percent(getattr(self, name), name=name))
        if not self.functions:
            raise CertificationError("invalid_application", "declare at least one service function (002 art. 7)")
        for function, figures in self.functions.items():
            if function not in FUNCTION_THRESHOLDS:
                raise CertificationError("invalid_application", f"unknown function {function!r}; expected one of "
                                         f"{', '.join(FUNCTION_THRESHOLDS)}")
            allowed = set().union(*FUNCTION_THRESHOLDS[function])
            if unknown := set(figures) - allowed:
                raise CertificationError("invalid_application", f"{function}: unknown fields {sorted(unknown)}")
            if not any(set(alt) <= set(figures) for alt in FUNCTION_THRESHOLDS[function]):
                need = " or ".join("{" + ", ".join(alt) + "}" for alt in FUNCTION_THRESHOLDS[function])
                raise CertificationError("invalid_application", f"{function}: needs {need}")
            for name, value in figures.items():
                _count(value, name=f"{function}.{name}")


def _count(value: object, *, name: str) -> int:
    """A non-negative int (bools refused)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CertificationError("invalid_application", f"{name} must be a non-negative integer, got {value!r}")
    return value


def _percent(value: object, *, name: str) -> Decimal | Fraction | int:
    """A share 0..100 as int, Decimal or Fraction; a float from JSON is read through its decimal text."""
    if isinstance(value, float):
        value = Decimal(str(value))
    if isinstance(value, bool) or not isinstance(value, int | Decimal | Fraction) or not 0 <= value <= 100:
        raise CertificationError("invalid_application", f"{name} must be a percentage 0..100, got {value!r}")
    return value


@dataclass(frozen=True)
class ConditionResult:
    """One checked threshold: passed at full value; relaxed = a relaxation applies, so a failure does not block."""

    code: str
    label_zh: str
    passed: bool
    relaxed: bool
    detail: str
    required: bool = True

    @property
    def blocking(self) -> bool:
        """A required, failed, non-relaxed condition makes the applicant ineligible."""
        return self.required and not self.passed and not self.relaxed


@dataclass(frozen=True)
class EligibilityResult:
    """Art. 6 and 7 condition by condition; eligible when nothing blocks."""

    eligible: bool
    conditions: list[ConditionResult]

    def missing(self) -> list[str]:
        """Messages of the failed conditions that block eligibility."""
        return [f"{c.label_zh}：{c.detail}" for c in self.conditions if c.blocking]

    def relaxed_shortfalls(self) -> list[str]:
        """Messages of conditions missed but relaxed (002 art. 6, last paragraph): for the reviewers to weigh."""
        return [f"{c.label_zh}：{c.detail}" for c in self.conditions if c.relaxed and not c.passed]


def _fmt(value: Percent) -> str:
    """A percentage as short text."""
    return f"{float(value):g}" if isinstance(value, Fraction) else f"{value}"


def _relaxed_articles(app: PlatformApplication) -> set[int]:
    """Which art. 6 items are relaxed: (1) for 事业单位/社团法人; (1), (2), (5) in 山区市县 (002 art. 6)."""
    relaxed: set[int] = set()
    if app.org_type in ("institution", "social_org"):
        relaxed.add(1)
    if app.mountain_area:
        relaxed |= {1, 2, 5}
    return relaxed


def _article6(app: PlatformApplication) -> list[ConditionResult]:
    """The thresholds of 002 art. 6 (1)-(5); the qualitative parts are judged by the reviewers from the materials."""
    relaxed = _relaxed_articles(app)
    assets = _figure("total_assets_fen", app.total_assets_fen)
    rows: list[tuple[int, str, str, bool, str]] = [
        (1, "art6.1.years_operating", "运营两年以上", app.years_operating >= MIN_YEARS_OPERATING,
         f"运营 {app.years_operating} 年，要求 {MIN_YEARS_OPERATING} 年以上"),
        (1, "art6.1.total_assets", "资产总额不低于100万元", app.total_assets_fen >= MIN_TOTAL_ASSETS_FEN,
         f"资产总额 {assets} 元，要求不低于 1,000,000.00 元"),
        (2, "art6.2.smes_served", "年服务中小企业不少于50家", app.smes_served_last_year >= MIN_SMES_SERVED,
         f"上年服务 {app.smes_served_last_year} 家，要求不少于 {MIN_SMES_SERVED} 家"),
        (2, "art6.2.satisfaction", "用户满意度在80%以上", app.satisfaction_pct >= MIN_SATISFACTION_PCT,
         f"满意度 {_fmt(app.satisfaction_pct)}%，要求 {MIN_SATISFACTION_PCT}% 以上"),
        (2, "art6.2.growth", "近两年服务企业数量稳步增长", app.smes_served_last_year > app.smes_served_prev_year,
         f"上年 {app.smes_served_last_year} 家，前年 {app.smes_served_prev_year} 家，要求增长"),
        (3, "art6.3.service_orgs", "集聚服务机构2家以上", app.service_orgs_aggregated >= MIN_SERVICE_ORGS,
         f"集聚服务机构 {app.service_orgs_aggregated} 家，要求 {MIN_SERVICE_ORGS} 家以上"),
        (4, "art6.4.public_benefit", "公益性或低收费服务不少于总服务量的20%",
         app.public_benefit_share_pct >= MIN_PUBLIC_BENEFIT_PCT,
         f"公益性或低收费服务占 {_fmt(app.public_benefit_share_pct)}%，要求不少于 {MIN_PUBLIC_BENEFIT_PCT}%"),
        (5, "art6.5.staff", "从事为中小企业服务的人员不少于10人", app.staff_serving_smes >= MIN_STAFF,
         f"服务人员 {app.staff_serving_smes} 人，要求不少于 {MIN_STAFF} 人"),
        (5, "art6.5.qualified_staff", "大专及以上学历和中级及以上职称人员占60%以上",
         app.qualified_staff_share_pct >= MIN_QUALIFIED_STAFF_PCT,
         f"占 {_fmt(app.qualified_staff_share_pct)}%，要求 {MIN_QUALIFIED_STAFF_PCT}% 以上"),
    ]
    return [ConditionResult(code, label, passed, item in relaxed, detail)
            for item, code, label, passed, detail in rows]


def _figure(name: str, value: int) -> str:
    """A form figure as text; money fields are shown in yuan."""
    return f"{value // FEN_PER_YUAN:,}.{value % FEN_PER_YUAN:02d}" if name.endswith("_fen") else str(value)


def _function_result(function: str, figures: Mapping[str, int]) -> ConditionResult:
    """One declared art. 7 function against its thresholds (any alternative suffices for financing)."""
    declared = [alt for alt in FUNCTION_THRESHOLDS[function] if set(alt) <= set(figures)]
    passed = any(all(figures[k] >= v for k, v in alt.items()) for alt in declared)
    parts = ["，".join(f"{_FIELD_LABELS[k]} {_figure(k, figures[k])}（要求 ≥ {_figure(k, v)}）" for k, v in alt.items())
             for alt in declared]
    return ConditionResult(f"art7.{function}", FUNCTION_LABELS[function], passed, False, "；或 ".join(parts),
                           required=False)


def check_eligibility(app: PlatformApplication) -> EligibilityResult:
    """Check 002 art. 6 (all, with relaxations) and art. 7 (at least one declared function meets its thresholds)."""
    conditions = _article6(app)
    functions = [_function_result(name, figures) for name, figures in app.functions.items()]
    met = [c.label_zh for c in functions if c.passed]
    conditions += functions
    conditions.append(ConditionResult(
        "art7.any", "至少一项服务功能达到要求", bool(met), False,
        f"达到要求：{'、'.join(met)}" if met else
        "申报的服务功能均未达到第七条要求：" + "；".join(f"{c.label_zh}（{c.detail}）" for c in functions)))
    return EligibilityResult(eligible=not any(c.blocking for c in conditions), conditions=conditions)


def add_years(*, start: date, years: int) -> date:
    """The corresponding day `years` later, or the month's last day if there is none (Civil Code art. 202)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a year without one
        return start.replace(year=start.year + years, day=28)


def valid_until(*, granted_on: date) -> date:
    """Last day of the title (002 art. 17 "认定有效期为三年"): the title is in force on the grant day itself, which is
    the first of its three years (a grant of 5 December 2026 is 有效期自2026年12月5日至2029年12月4日), so the last day
    is the day before the corresponding date three years on; without one (29 February) the month's last day ends it."""
    try:
        return granted_on.replace(year=granted_on.year + TITLE_VALIDITY_YEARS) - timedelta(days=1)
    except ValueError:  # 29 February in a year without one: 28 February is the last day
        return add_years(start=granted_on, years=TITLE_VALIDITY_YEARS)


def reapply_year(*, granted_on: date) -> int:
    """The year the title expires, in which the holder may apply again (002 art. 17)."""
    return valid_until(granted_on=granted_on).year


def annual_summary_due(*, year: int) -> date:
    """The platform's work summary of a year reaches its city bureau before the year ends (002 art. 16)."""
    return date(year, 12, 31)


def city_report_due(*, year: int) -> date:
    """The city bureau's inspection report on a year is due by the end of the next February (002 art. 18)."""
    return date(year + 1, 3, 1) - timedelta(days=1)


@dataclass(frozen=True)
class AnnualOutcome:
    """What the department's yearly assessment does to a title (002 art. 19); results are published."""

    action: AnnualAction
    keeps_title: bool
    recommend_national: bool


def annual_rating_outcome(rating: AnnualRating) -> AnnualOutcome:
    """Excellent: priority support and national recommendation; qualified: keep; failed: revoke (002 art. 19)."""
    if rating == "excellent":
        return AnnualOutcome("priority_support", keeps_title=True, recommend_national=True)
    if rating == "qualified":
        return AnnualOutcome("keep", keeps_title=True, recommend_national=False)
    if rating == "failed":
        return AnnualOutcome("revoke", keeps_title=False, recommend_national=False)
    raise CertificationError("invalid_rating", f"rating must be one of {get_args(AnnualRating)}, got {rating!r}")


DEFAULT_EXPIRY_REMINDER_DAYS = (180, 30)


def expiry_reminder_days(days: Sequence[int] | None) -> tuple[int, ...]:
    """The days before the title expires on which the holder is told it may re-apply that year (002 art. 17):
    at most 5 different days, each 1 to 1,095 (inside the 3-year validity); None gives 180 and 30."""
    if days is None:
        return DEFAULT_EXPIRY_REMINDER_DAYS
    out = tuple(sorted(set(days), reverse=True))
    if len(out) != len(days) or len(out) > 5:
        raise CertificationError("reminders_invalid", "expiry_reminder_days must be at most 5 different days")
    if any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 1095 for d in out):
        raise CertificationError("reminders_invalid", "each expiry reminder must be 1 to 1095 days before the title "
                                 "expires (inside its 3-year validity)")
    return out
