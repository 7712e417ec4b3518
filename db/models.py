"""SQLModel tables. Kept out of workflow modules: the workflow sandbox would re-import them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any = None) -> Any:
    factory = (lambda: dict(default)) if isinstance(default, dict) else (lambda: list(default or []))
    return Field(default_factory=factory, sa_column=Column(JSON, nullable=False))


class Organization(SQLModel, table=True):
    """An enterprise, provider or platform organisation (or the operator/department itself)."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    name: str = Field(index=True)
    uscc: str | None = Field(default=None, unique=True)
    city: str | None = Field(default=None, index=True)
    size: str | None = None
    employees: int | None = None
    revenue_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    industry: str | None = None
    categories: list[str] = _json()
    signed: bool = Field(default=False, index=True)
    signed_at: datetime | None = _ts(nullable=True)
    signed_source: str | None = None
    blacklisted: bool = False
    blacklist_reason: str | None = None
    specialized: bool = False
    credit_rating: str | None = None
    created_at: datetime = _ts()
    # Declared at registration (003 art. 5; 000 一); None for organisations registered before the field existed.
    independent_legal_person: bool | None = None
    sector: str | None = None
    # 003 art. 11(3): what the operator verified (specialized / credit_rating above hold only verified values).
    priority_verified_by: str | None = None
    priority_verified_at: datetime | None = _ts(nullable=True)
    # 000 四 每年经过评审: the last day of the signed term (None: no term, e.g. a network platform signed by rule).
    signed_until: date | None = None
    # 003 art. 11(2) 评级排名 (001 三(三)10 评星定级): the stars of the last published rating and its year.
    star_rating: int | None = None
    star_year: int | None = None


class User(SQLModel, table=True):
    """A person who logs in; one role, scoped to a city or an organisation where the role needs it."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    password_hash: str
    role: str = Field(index=True)
    city: str | None = None
    org_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    display_name: str = ""
    email: str | None = None
    phone: str | None = None
    status: str = Field(default="active", index=True)
    status_reason: str | None = None
    created_at: datetime = _ts()


class Case(SQLModel, table=True):
    """One application and its process; the workflow id is the case id."""

    __table_args__ = (UniqueConstraint("applicant_user_id", "idempotency_key", name="uq_case_idempotency"),)

    id: str = Field(primary_key=True)
    type: str = Field(index=True)
    status: str = Field(index=True)
    title: str = ""
    applicant: str = ""
    applicant_user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    applicant_org_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    city: str | None = Field(default=None, index=True)
    policy_version: str = ""
    data: dict[str, Any] = _json({})
    result: dict[str, Any] = _json({})
    idempotency_key: str | None = None
    created_at: datetime = _ts(index=True)
    updated_at: datetime = _ts(index=True)
    closed_at: datetime | None = _ts(nullable=True)


class Task(SQLModel, table=True):
    """A human step waiting for a decision; opened and closed by the case's workflow."""

    __table_args__ = (Index("ix_task_inbox", "status", "role", "due_at"),
                      # Issue 12: the inbox's type filter and a city bureau's inbox, in due order (0013_throughput).
                      Index("ix_task_inbox_type", "status", "role", "type", "due_at"),
                      Index("ix_task_inbox_city", "status", "role", "city", "due_at"))

    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    type: str = Field(index=True)
    title: str
    summary: str = ""
    role: str
    city: str | None = None
    org_id: int | None = Field(default=None, index=True)
    assignee: str | None = Field(default=None, index=True)
    status: str = Field(default="open")
    decisions: list[str] = _json()
    form: str = ""
    excluded_users: list[str] = _json()
    opened_at: datetime = _ts()
    due_working_days: int = 5
    due_at: datetime = _ts()
    reminder_at: datetime | None = _ts(nullable=True)
    due_confirmed: bool = True
    # The due time was fixed by a rule (e.g. an annual report due by the end of February), not counted in working
    # days from the opening: a calendar entry keeps it; an extension counts its working days from that date.
    due_fixed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    completed_at: datetime | None = _ts(nullable=True)
    completed_by: str | None = None
    decision: str | None = None
    comment: str | None = None
    data: dict[str, Any] = _json({})


class TimelineEvent(SQLModel, table=True):
    """The append-only audit log: who did what to which case, with before and after."""

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, unique=True)
    case_id: str | None = Field(default=None, index=True)
    task_id: str | None = None
    at: datetime = _ts(index=True)
    actor: str = "system"
    action: str
    message: str = ""
    before: dict[str, Any] = _json({})
    after: dict[str, Any] = _json({})


class Deadline(SQLModel, table=True):
    """A named deadline of a case in working days, kept so it can be recomputed when a calendar is entered."""

    __table_args__ = (UniqueConstraint("case_id", "name", name="uq_deadline"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(index=True)
    name: str
    event_at: datetime = _ts()
    working_days: int | None = None
    closes_at: datetime = _ts()
    confirmed: bool = True
    open: bool = True


class Document(SQLModel, table=True):
    """A drafted document, stored on disk with its SHA-256."""

    id: str = Field(primary_key=True)
    key: str = Field(unique=True)
    case_id: str | None = Field(default=None, index=True)
    kind: str
    title: str
    issuer_code: str | None = None
    year: int | None = None
    number: int | None = None
    doc_number: str | None = None
    filename: str
    path: str
    sha256: str
    size: int
    layout_version: str
    created_at: datetime = _ts()


class DocCounter(SQLModel, table=True):
    """The gap-free document number counter per issuer and year."""

    issuer_code: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    last_number: int = 0


class Upload(SQLModel, table=True):
    """An uploaded file, stored outside any served folder under a random name."""

    id: str = Field(primary_key=True)
    owner_user_id: int = Field(index=True)
    case_id: str | None = Field(default=None, index=True)
    filename: str
    content_type: str
    size: int
    sha256: str
    path: str
    created_at: datetime = _ts()


class Notification(SQLModel, table=True):
    """The outbox: one row per message, recipient and channel; the key makes a retry a no-op."""

    __table_args__ = (UniqueConstraint("key", "user_id", "channel", name="uq_notification"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True)
    user_id: int = Field(index=True)
    channel: str
    kind: str = "info"
    subject: str
    body: str = ""
    case_id: str | None = None
    task_id: str | None = None
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    read_at: datetime | None = _ts(nullable=True)
    error: str | None = None


class CalendarYear(SQLModel, table=True):
    """An official holiday schedule entered by an admin; it overrides the built-in one."""

    year: int = Field(primary_key=True)
    holidays: list[str] = _json()
    makeup_workdays: list[str] = _json()
    entered_by: str = ""
    entered_at: datetime = _ts()


class StepConfig(SQLModel, table=True):
    """Per-step due time in working days and how early the reminder goes out."""

    type: str = Field(primary_key=True)
    due_working_days: int
    reminder_working_days_before: int = 1


class VoucherPolicySetting(SQLModel, table=True):
    """An admin's settings for one voucher policy version (rules.voucher.PolicySettings); null keeps the default."""

    policy: str = Field(primary_key=True)
    bidding_working_days: int | None = None
    voucher_validity_days: int | None = None
    expiry_reminder_days: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    supervision_fee_bp: int | None = None
    updated_by: str = ""
    updated_at: datetime = _ts()


class LoginFailure(SQLModel, table=True):
    """A failed login (no longer written: logins are throttled on RateCounter; the table stays for old rows)."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True)
    at: datetime = _ts(index=True)


class ActivityFailure(SQLModel, table=True):
    """The last failure of an activity that keeps retrying; cleared when it succeeds."""

    key: str = Field(primary_key=True)
    workflow_id: str = Field(index=True)
    activity_type: str
    attempt: int
    last_error: str
    last_at: datetime = _ts()


class Bid(SQLModel, table=True):
    """A signed provider's quote on a voucher demand while bidding is open (seed 000 五.3)."""

    __table_args__ = (UniqueConstraint("case_id", "provider_org_id", name="uq_bid_provider"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    provider_org_id: int = Field(foreign_key="organization.id", index=True)
    provider_name: str = ""
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    plan: str = ""
    status: str = "submitted"
    created_at: datetime = _ts()


class FundYear(SQLModel, table=True):
    """The voucher fund of one year (000 六(二): 5,000,000 CNY by default); its row is the lock of the year."""

    year: int = Field(primary_key=True)
    total_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_by: str = "system"
    updated_at: datetime = _ts()


class FundReservation(SQLModel, table=True):
    """One voucher application's claim on its year's fund; one row per case, changed only under the year's lock."""

    __table_args__ = (Index("ix_fundreservation_year_state", "year", "state"),
                      # the waitlist in serving order (db.fund reads its head; issue 12)
                      Index("ix_fundreservation_serving", "year", "state", "priority_group", "submitted_at", "seq",
                            "case_id"))

    case_id: str = Field(primary_key=True, foreign_key="case.id")
    year: int
    enterprise_org_id: int = Field(index=True)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    settled_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    state: str
    priority_group: int = 1
    submitted_at: datetime = _ts()
    seq: int = 0
    updated_at: datetime = _ts()
    priority_reason: str | None = None  # why the application goes first (003 art. 11(3)), shown on the fund page


class CertificationCall(SQLModel, table=True):
    """A year's call for demonstration-platform applications with its deadline (seed 002 art. 14)."""

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(unique=True, index=True)
    title: str = ""
    deadline_at: datetime = _ts()
    experts: int = 3
    # Days before a title granted under this call expires on which the holder is told (002 art. 17); null = 180, 30.
    expiry_reminder_days: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    opened_by: str = ""
    opened_at: datetime = _ts()
    # 002 art. 6 "可适当放宽": relaxed conditions are checked against this share (%) of the normal figure.
    relaxed_pct: int = 80
    # 002 art. 12: the year's 拟认定名单, published when no case of the year is still before the decision: when, and
    # the cases it lists as rounds (null: not yet published). One round when the department decides after the call
    # closed; a case decided after the list was out (it applied later) is published in a supplementary round.
    list_published_at: datetime | None = _ts(nullable=True)
    list_case_ids: list[list[str]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Objection(SQLModel, table=True):
    """A real-name objection filed during a public notice; the department investigates it (seed 002 art. 12)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    case_id: str = Field(index=True)
    notice: str = "public_notice"
    name: str
    contact: str
    reason: str
    filed_at: datetime = _ts()
    status: str = "pending"
    task_id: str | None = None
    decided_at: datetime | None = _ts(nullable=True)
    decision_comment: str | None = None
    evidence: list[str] = _json()  # upload ids of the objector's evidence (officials only)


class WindowSetting(SQLModel, table=True):
    """The hub's settings of window-platform onboarding (workflows.window_types.WindowSettings); one row, id 1.
    No row = the defaults (seed 004 fixes no panel size, pass mark, notice period or report dates)."""

    id: int = Field(default=1, primary_key=True)
    settings: dict[str, Any] = _json({})
    updated_by: str = ""
    updated_at: datetime = _ts()


class WindowAgreement(SQLModel, table=True):
    """A cooperation agreement between two connected windows (seed 004 art. 9(6) "窗口平台之间互签合作协议"):
    proposed by one, accepted or declined by the other in its inbox; ended when either leaves the network."""

    id: int | None = Field(default=None, primary_key=True)
    proposer_case_id: str = Field(index=True)
    partner_case_id: str = Field(index=True)
    scope: str
    status: str = "proposed"  # proposed | accepted | declined | ended
    proposed_by: str
    proposed_at: datetime = _ts()
    decided_by: str | None = None
    decided_at: datetime | None = _ts(nullable=True)
    comment: str | None = None
    document_id: str | None = None


class AssessmentIndicatorVersion(SQLModel, table=True):
    """One version of the hub's indicator set for a kind of subject (004 art. 11-12; 001 三(五)2): data, not code."""

    __table_args__ = (UniqueConstraint("kind", "version", name="uq_assessment_indicator_version"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    version: int
    indicators: list[dict[str, Any]] = _json()
    excellent_min: float = 90.0
    qualified_min: float = 60.0
    provisional: bool = False
    created_by: str = ""
    created_at: datetime = _ts()


class AssessmentCampaign(SQLModel, table=True):
    """A year's assessment of one kind of subject: one `assessment` case per subject; one campaign per year and kind."""

    __table_args__ = (UniqueConstraint("year", "kind", name="uq_assessment_campaign"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    kind: str
    indicator_version_id: int = Field(foreign_key="assessmentindicatorversion.id")
    opened_by: str = ""  # "schedule" or the username
    opened_at: datetime = _ts()
    self_report_due: datetime | None = _ts(nullable=True)


class AssessmentSetting(SQLModel, table=True):
    """The hub's settings of the yearly assessments (one row, id 1; none = the defaults of rules.assessment)."""

    id: int = Field(default=1, primary_key=True)
    # The schedule opens these kinds' campaigns on the first working day of this month (004 art. 12-13 set no date).
    schedule_kinds: list[str] = _json()
    schedule_month: int = 12
    rectification_working_days: int = 30
    updated_by: str = ""
    updated_at: datetime = _ts()


class PlatformExport(SQLModel, table=True):
    """A month's service data sent to the national SME service data platform (001 三(五)1): what, when, by whom."""

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(index=True)  # "YYYY-MM"
    format_version: str
    records: int = 0
    sha256_json: str = ""
    sha256_xlsx: str = ""
    path_json: str = ""
    path_xlsx: str = ""
    sent_by: str = ""
    sent_at: datetime = _ts()


class BadCreditRecord(SQLModel, table=True):
    """A bad-credit entry in the service file (003 art. 11(1)): an organisation, or its responsible person, apart."""

    id: int | None = Field(default=None, primary_key=True)
    subject: str  # "enterprise" | "provider" | "person"
    org_id: int | None = Field(default=None, index=True)
    person_name: str | None = None
    reason: str
    case_id: str | None = Field(default=None, index=True)
    recorded_by: str = ""
    recorded_at: datetime = _ts()


class ProviderAdmissionSetting(SQLModel, table=True):
    """The operator's settings of provider admission (one row, id 1; none = the defaults): the size of the blind
    expert panel of 000 四 "组织专家综合审定" (the seed fixes no number; 1 by default, DEFAULT_PANEL)."""

    id: int = Field(default=1, primary_key=True)
    experts: int = 1
    updated_by: str = ""
    updated_at: datetime = _ts()


class RateCounter(SQLModel, table=True):
    """A fixed-window counter of attempts (logins per account and per client address, registrations and objections per
    address): one row per key and window, incremented atomically with INSERT … ON CONFLICT DO UPDATE … RETURNING."""

    key: str = Field(primary_key=True)  # "<what>:<who>:<window number>"
    count: int = 0
    expires_at: datetime = _ts(index=True)
