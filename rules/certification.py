"""Demonstration-platform certification: art. 6 conditions, art. 7 functions, validity and annual outcome (seed 002)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Literal, get_args

from rules import panel
from rules.cities import CITIES
from rules.errors import RuleViolation

OrgType = Literal["enterprise", "institution", "social_org"]
AnnualRating = Literal["excellent", "qualified", "failed"]
AnnualAction = Literal["priority_support", "keep", "revoke"]
Percent = int | Decimal | Fraction

TITLE_VALIDITY_YEARS = 3  # 002 art. 17
# 002 art. 6, last paragraph: "可适当放宽". The department sets how far (its call's `relaxed_pct`): a relaxed condition
# is still checked, against this share of the normal figure (80 % unless the call says otherwise).
DEFAULT_RELAXED_PCT = 80
MIN_RELAXED_PCT, MAX_RELAXED_PCT = 50, 100
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
    """One checked threshold. `relaxed`: a relaxation of 002 art. 6 applies, so `passed` is judged against the
    relaxed figure; `meets_normal`: the normal figure is met too (for the reviewers to weigh a relaxed pass)."""

    code: str
    label_zh: str
    passed: bool
    relaxed: bool
    detail: str
    required: bool = True
    meets_normal: bool | None = None

    @property
    def blocking(self) -> bool:
        """A required condition missed (at its relaxed figure where relaxed) makes the applicant ineligible."""
        return self.required and not self.passed


@dataclass(frozen=True)
class EligibilityResult:
    """Art. 6 and 7 condition by condition; eligible when nothing blocks."""

    eligible: bool
    conditions: list[ConditionResult]

    def missing(self) -> list[str]:
        """Messages of the failed conditions that block eligibility."""
        return [f"{c.label_zh}：{c.detail}" for c in self.conditions if c.blocking]

    def relaxed_shortfalls(self) -> list[str]:
        """Messages of conditions met only at their relaxed figure (002 art. 6, last paragraph): for the reviewers."""
        return [f"{c.label_zh}：{c.detail}" for c in self.conditions
                if c.relaxed and c.passed and c.meets_normal is False]



def _relaxed_articles(app: PlatformApplication) -> set[int]:
    """Which art. 6 items are relaxed: (1) for 事业单位/社团法人; (1), (2), (5) in 山区市县 (002 art. 6)."""
    relaxed: set[int] = set()
    if app.org_type in ("institution", "social_org"):
        relaxed.add(1)
    if app.mountain_area:
        relaxed |= {1, 2, 5}
    return relaxed


def _relaxed_figure(normal: int | Fraction, pct: int) -> Fraction:
    """The relaxed figure: `pct` % of the normal one, exact (the comparison is exact too)."""
    return Fraction(normal) * pct / 100


def _num(value: Fraction | int) -> str:
    """An exact figure as short text (1.6, 64, 800000)."""
    f = Fraction(value)
    return f"{f.numerator:,}" if f.denominator == 1 else f"{float(f):g}"


def _article6(app: PlatformApplication, relaxed_pct: int = DEFAULT_RELAXED_PCT) -> list[ConditionResult]:
    """The thresholds of 002 art. 6 (1)-(5), each relaxed item checked against `relaxed_pct` % of its figure; the
    qualitative parts are judged by the reviewers from the materials."""
    relaxed = _relaxed_articles(app)
    pct = relaxed_pct_checked(relaxed_pct)
    growth_normal = app.smes_served_last_year > app.smes_served_prev_year
    growth_relaxed = 100 * app.smes_served_last_year >= pct * app.smes_served_prev_year
    # (item, code, label, value, normal minimum, unit, yuan?)
    rows: list[tuple[int, str, str, Fraction | int, int, str]] = [
        (1, "art6.1.years_operating", "运营两年以上", app.years_operating, MIN_YEARS_OPERATING, "年"),
        (1, "art6.1.total_assets", "资产总额不低于100万元", Fraction(app.total_assets_fen, FEN_PER_YUAN),
         MIN_TOTAL_ASSETS_FEN // FEN_PER_YUAN, "元"),
        (2, "art6.2.smes_served", "年服务中小企业不少于50家", app.smes_served_last_year, MIN_SMES_SERVED, "家"),
        (2, "art6.2.satisfaction", "用户满意度在80%以上", Fraction(app.satisfaction_pct), MIN_SATISFACTION_PCT, "%"),
        (3, "art6.3.service_orgs", "集聚服务机构2家以上", app.service_orgs_aggregated, MIN_SERVICE_ORGS, "家"),
        (4, "art6.4.public_benefit", "公益性或低收费服务不少于总服务量的20%", Fraction(app.public_benefit_share_pct),
         MIN_PUBLIC_BENEFIT_PCT, "%"),
        (5, "art6.5.staff", "从事为中小企业服务的人员不少于10人", app.staff_serving_smes, MIN_STAFF, "人"),
        (5, "art6.5.qualified_staff", "大专及以上学历和中级及以上职称人员占60%以上",
         Fraction(app.qualified_staff_share_pct), MIN_QUALIFIED_STAFF_PCT, "%"),
    ]
    out: list[ConditionResult] = []
    for item, code, label, value, minimum, unit in rows:
        meets = value >= minimum
        shown = f"{float(value):,.2f}" if unit == "元" else _num(value)
        detail = f"{shown}{unit}，要求不低于 {minimum:,}{unit}"
        if item in relaxed:
            floor = _relaxed_figure(minimum, pct)
            detail += f"（适当放宽：按正常标准的{pct}%，即不低于 {_num(floor)}{unit}）"
            out.append(ConditionResult(code, label, value >= floor, True, detail, meets_normal=meets))
        else:
            out.append(ConditionResult(code, label, meets, False, detail, meets_normal=meets))
        if code == "art6.2.satisfaction":  # growth sits with (2)
            detail = f"上年 {app.smes_served_last_year} 家，前年 {app.smes_served_prev_year} 家，要求增长"
            if 2 in relaxed:
                detail += f"（适当放宽：不低于前年的{pct}%）"
                out.append(ConditionResult("art6.2.growth", "近两年服务企业数量稳步增长", growth_relaxed, True,
                                           detail, meets_normal=growth_normal))
            else:
                out.append(ConditionResult("art6.2.growth", "近两年服务企业数量稳步增长", growth_normal, False,
                                           detail, meets_normal=growth_normal))
    return out


def relaxed_pct_checked(pct: object) -> int:
    """The department's relaxation: a whole percentage of the normal figure, 50 to 100 (100 = no relaxation)."""
    if isinstance(pct, bool) or not isinstance(pct, int) or not MIN_RELAXED_PCT <= pct <= MAX_RELAXED_PCT:
        raise CertificationError("relaxation_invalid", f"relaxed_pct must be a whole number {MIN_RELAXED_PCT}.."
                                 f"{MAX_RELAXED_PCT} (% of the normal figure), got {pct!r}")
    return pct


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


def check_eligibility(app: PlatformApplication, *, relaxed_pct: int = DEFAULT_RELAXED_PCT) -> EligibilityResult:
    """Check 002 art. 6 (all; relaxed items against `relaxed_pct` % of their figure) and art. 7 (at least one
    declared function meets its thresholds)."""
    conditions = _article6(app, relaxed_pct)
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


# --- the expert panel (002 art. 12) -----------------------------------------------------------------------------

PANEL_BASIS = "《宁夏回族自治区中小企业公共服务示范平台认定管理办法（征求意见稿）》第十二条"


def expert_panel_result(verdicts: Sequence[str], scores: Sequence[int | None] = ()) -> panel.PanelResult:
    """The experts' approve/reject verdicts aggregated (002 art. 12 "根据专家评审和实地考察情况，确定拟认定的示范平台
    名单"): a strict majority of the panel approves; the department's decision may depart only with a reason."""
    return panel.aggregate(verdicts, scores, basis=PANEL_BASIS)


# --- the materials of 002 art. 11 -------------------------------------------------------------------------------

MATERIALS: dict[str, str] = {
    "application_report": "示范平台申请报告",  # (一)
    "licence": "法人证书或营业执照副本",  # (二)
    "audit_report": "上一年度审计报告",  # (三)
    "service_audit_report": "服务收支情况的专项审计报告",  # (三), unless the audit report covers it
    "premises_proof": "固定经营服务场所证明",  # (四)
    "equipment_and_staff": "服务设施设备清单、管理和专业技术人员名单及学历职称",  # (五)
    "served_smes": "签订服务协议的中小企业名单及满意度评价",  # (五)
    "service_evidence": "开展相关服务的证明材料",  # (六)
    "qualifications": "从业资格（资质）、网站备案、许可证等证明",  # (七)
    "declaration": "申报材料真实性声明",  # (八)
}


def missing_materials(materials: Mapping[str, object], *, audit_covers_service: bool) -> list[str]:
    """The art. 11 materials not given, by key. Art. 11(3) asks for last year's audit report and a special audit
    report of service income and expenditure, "or" last year's audit report that includes the service income and
    expenditure: so `service_audit_report` is needed unless the applicant declares the audit report covers it."""
    need = [k for k in MATERIALS if not (k == "service_audit_report" and audit_covers_service)]
    return [k for k in need if not materials.get(k)]
