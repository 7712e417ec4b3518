"""Window-platform onboarding's I/O: the named experts and settings, the connection, the yearly report plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import audit
from db import window as repo
from db.calendar import load_calendar
from db.engine import session_scope
from db.models import Case, WindowAgreement
from rules.calendar import SHANGHAI, CalendarUnavailable
from rules.window import ReportSettings, WindowError, due_at, opens_at, pick_experts, reports_opening_in
from workflows.window_types import (
    Connected,
    ConnectInput,
    DecideAgreementInput,
    EndAgreementsInput,
    PrepareWindowInput,
    ReportItem,
    ReportsInput,
    ReportsPlan,
    WindowPrepared,
    WindowSettings,
)


def report_settings(value: WindowSettings) -> ReportSettings:
    return ReportSettings(plan_opens=tuple(value.plan_opens), plan_due=tuple(value.plan_due),  # type: ignore[arg-type]
                          data_working_days=value.data_working_days,
                          summary_opens=tuple(value.summary_opens), summary_due=tuple(value.summary_due))  # type: ignore[arg-type]


@dataclass
class WindowActivities:
    """Each activity is one short transaction, idempotent: a retry finds what the first attempt wrote."""

    engine: Engine

    @defn(name="prepare_window_onboarding")
    def prepare(self, inp: PrepareWindowInput) -> WindowPrepared:
        """Name the panel once (the settings' size, default 3) and fix the settings the case runs under."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            fixed = case.result.get("settings")
            value = WindowSettings.model_validate(fixed) if fixed else repo.settings(s)
            experts = case.result.get("experts")
            if not experts:
                try:
                    experts = pick_experts(repo.active_experts(s), size=value.panel_size, seed=case.id)
                except WindowError as exc:
                    raise ApplicationError(exc.message, type="RuleViolation") from None
                case.result = {**case.result, "experts": experts, "settings": value.model_dump(mode="json")}
                audit.record(s, action="experts", at=inp.at, case_id=case.id, message=f"枢纽平台组织专家{len(experts)}名评估",
                             key=f"{case.id}.experts")
            return WindowPrepared(experts=list(experts), platform_name=str(case.data.get("platform_name", case.applicant)),
                                  settings=value)

    @defn(name="connect_window")
    def connect(self, inp: ConnectInput) -> Connected:
        """Record the connection time once (a retry returns the first one)."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            at = inp.at
            if case.result.get("connected_at"):
                at = datetime.fromisoformat(case.result["connected_at"])
            else:
                case.result = {**case.result, "connected_at": at.isoformat()}
                audit.record(s, action="connected", at=at, case_id=case.id, message="窗口平台接入平台网络",
                             key=f"{case.id}.connected")
            return Connected(connected_at=at, connected_on=at.astimezone(SHANGHAI).date())

    @defn(name="window_reports")
    def reports(self, inp: ReportsInput) -> ReportsPlan:
        """The reports a connected window owes in a calendar year, dated with the working-day calendar and the
        settings in force when the year begins (art. 9(6); the seed fixes no dates)."""
        with session_scope(self.engine) as s:
            value = repo.settings(s)
            try:
                items = reports_opening_in(inp.year, connected_on=inp.connected_on, calendar=load_calendar(s),
                                           settings=report_settings(value))
            except (CalendarUnavailable, WindowError) as exc:
                raise ApplicationError(str(exc), type="RuleViolation") from None
            return ReportsPlan(reports=[
                ReportItem(kind=r.kind, year=r.year, period=r.period, step=r.step, title=r.title,
                           opens_at=opens_at(r.opens_on),
                           due_at=due_at(r.due_on))
                for r in items])

    @defn(name="decide_window_agreement")
    def decide_agreement(self, inp: DecideAgreementInput) -> None:
        """Record the partner's answer (once) and, when accepted, the drafted agreement."""
        with session_scope(self.engine) as s:
            row = s.get(WindowAgreement, inp.agreement_id)
            if row is None or row.status != "proposed":
                return
            row.status = "accepted" if inp.decision == "accept" else "declined"
            row.decided_by, row.decided_at, row.comment, row.document_id = inp.actor, inp.at, inp.comment, inp.document_id
            for case_id in (row.proposer_case_id, row.partner_case_id):
                audit.record(s, action="window_agreement", at=inp.at, actor=inp.actor, case_id=case_id,
                             message=f"窗口平台间服务合作协议{'已签订' if row.status == 'accepted' else '未签订'}",
                             key=f"agreement.{row.id}.{row.status}.{case_id}")

    @defn(name="end_window_agreements")
    def end_agreements(self, inp: EndAgreementsInput) -> None:
        """A window leaves the network: its proposed and signed agreements with other windows end."""
        with session_scope(self.engine) as s:
            for row in repo.agreements_of(s, inp.case_id):
                if row.status in ("proposed", "accepted"):
                    row.status, row.comment = "ended", inp.reason
                    row.decided_at = row.decided_at or inp.at
