"""Typed messages of window-platform onboarding (P4; seed 004 art. 8-10, 9(6)): Pydantic, no SQLModel tables.

`DisconnectInput` is the contract with the annual assessment (P5): a revoked window is ended by the signal
`disconnect` on its case's workflow (`workflow.get_external_workflow_handle(case_id).signal("disconnect", ...)`).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from workflows.types import CaseInput

# Task types (public API: ARCHITECTURE.md "P4").
HUB_REVIEW = "window_onboarding.hub_review"
CORRECTION = "window_onboarding.correction"
EXPERT_ASSESSMENT = "window_onboarding.expert_assessment"
BUREAU_APPROVAL = "window_onboarding.bureau_approval"
ADAPTATION = "window_onboarding.adaptation"
CONNECTION_CHECK = "window_onboarding.connection_check"
SERVICE_PLAN = "window_onboarding.service_plan"
SERVICE_DATA = "window_onboarding.service_data"
SERVICE_SUMMARY = "window_onboarding.service_summary"
REPORT_TYPES = (SERVICE_PLAN, SERVICE_DATA, SERVICE_SUMMARY)


class DisconnectInput(BaseModel):
    """Signal `disconnect`: the window leaves the network; `ground` is "revoked" (the bureau, after a failed
    assessment, 004 art. 13) or "withdrawn" (the builder)."""

    reason: str
    actor: str
    ground: str = "withdrawn"


class WindowSettings(BaseModel):
    """The process's settings (the seed fixes none of them); defaults of issue 9."""

    panel_size: int = 3
    pass_mean: int = 60
    majority: bool = True
    notice_working_days: int = 5
    plan_opens: list[int] = Field(default_factory=lambda: [1, 1])
    plan_due: list[int] = Field(default_factory=lambda: [1, 31])
    data_working_days: int = 10
    summary_opens: list[int] = Field(default_factory=lambda: [12, 1])
    summary_due: list[int] = Field(default_factory=lambda: [12, 31])


class PrepareWindowInput(BaseModel):
    case_id: str
    at: datetime


class WindowPrepared(BaseModel):
    """What the workflow needs from the database once: the named experts and the settings in force."""

    experts: list[str]
    platform_name: str
    settings: WindowSettings = Field(default_factory=WindowSettings)


class ConnectInput(BaseModel):
    case_id: str
    at: datetime


class Connected(BaseModel):
    connected_at: datetime
    connected_on: date  # Asia/Shanghai


class ReportItem(BaseModel):
    """One report task a connected window owes: kind, period, opening and due time (24:00 Asia/Shanghai)."""

    kind: str  # service_plan | service_data | service_summary
    year: int  # the year it is about (counted there)
    period: str
    step: str
    title: str
    opens_at: datetime
    due_at: datetime


class ReportsInput(BaseModel):
    case_id: str
    year: int
    connected_on: date
    at: datetime


class ReportsPlan(BaseModel):
    reports: list[ReportItem]


class AgreementProposal(BaseModel):
    """Signal `propose_agreement` to the partner window: another connected window proposes a cooperation agreement
    (art. 9(6) "窗口平台之间互签合作协议"); the partner accepts or declines in its inbox."""

    agreement_id: int
    proposer_case_id: str
    proposer_name: str
    scope: str


class DecideAgreementInput(BaseModel):
    agreement_id: int
    decision: str
    actor: str
    comment: str = ""
    document_id: str | None = None
    at: datetime


class EndAgreementsInput(BaseModel):
    case_id: str
    reason: str
    at: datetime


class WindowState(BaseModel):
    """Carried across continue-as-new: one run per calendar year of the connected window."""

    connected_at: datetime
    connected_on: date
    year: int
    counters: dict[str, int] = Field(default_factory=dict)
    reports: dict[str, dict[str, int]] = Field(default_factory=dict)  # year -> {"sent", "overdue"}
    carried: list[ReportItem] = Field(default_factory=list)  # reports still open when the year turned
    overdue: list[str] = Field(default_factory=list)  # steps already counted as overdue (of carried reports)
    agreements: list[AgreementProposal] = Field(default_factory=list)  # proposals still undecided at the year's end


class WindowRun(CaseInput):
    """The workflow's one input: the case, plus the connected window's state when a yearly run continues as new."""

    state: WindowState | None = None


# Activity names, referenced by string so workflows never import activity code.
PREPARE_WINDOW = "prepare_window_onboarding"
CONNECT_WINDOW = "connect_window"
WINDOW_REPORTS = "window_reports"
DECIDE_AGREEMENT = "decide_window_agreement"
END_AGREEMENTS = "end_window_agreements"
AGREEMENT = "window_onboarding.agreement"
