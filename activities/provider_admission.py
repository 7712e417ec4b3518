"""Provider admission's I/O (P2; seed 003 art. 8): the signed list and the filing notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import audit
from db.certification import active_experts
from db.engine import session_scope
from db.models import Case, Organization, ProviderAdmissionSetting, User
from documents import content
from processes.provider_admission import title_detail
from processes.spec import WorkerContext, WorkerParts
from rules.calendar import SHANGHAI
from rules.policies import policy_for
from rules.provider import due_for_round, renewed_until, round_month, term_ended, term_ends
from rules.voucher import CATEGORIES
from workflows.provider_admission_types import Panel, PanelInput, SweepAt, Swept
from workflows.types import CaseInput, DraftDocumentInput, FileProviderInput

# 000 四 组织专家综合审定: the seed fixes no number; the operator's setting. One until the operator sets more: the
# public API (ARCHITECTURE.md, provider_admission) walks one `provider_admission.expert_review`.
DEFAULT_PANEL = 1


def panel_size(s: Session) -> int:
    """The operator's setting of the panel size (no row: DEFAULT_PANEL)."""
    row = s.get(ProviderAdmissionSetting, 1)
    return row.experts if row is not None else DEFAULT_PANEL


@dataclass
class ProviderAdmissionActivities:
    engine: Engine

    @defn(name="prepare_provider_panel")
    def prepare_provider_panel(self, inp: PanelInput) -> Panel:
        """Name the blind panel once (the setting's number, default 3), spread over the pool by the case id; the
        case records the policy version it runs under (003, with 000 四)."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            if not case.policy_version:
                case.policy_version = policy_for("provider_admission").code
            experts = case.result.get("experts")
            if not experts:
                pool = active_experts(s)
                n = min(panel_size(s), len(pool))
                if n == 0:
                    raise ApplicationError("there is no active expert to review the admission", type="RuleViolation")
                start = sum(case.id.encode()) % len(pool)
                experts = [pool[(start + i) % len(pool)] for i in range(n)]
                case.result = {**case.result, "experts": experts}
                audit.record(s, action="experts", at=inp.at, case_id=case.id, message=f"指定综合审定专家{n}名",
                             key=f"{case.id}.experts")
            return Panel(experts=list(experts))

    @defn(name="file_provider")
    def file_provider(self, inp: FileProviderInput) -> None:
        """List the provider as signed (seed 003 art. 8): its categories come from the admission case."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None or case.applicant_org_id is None:
                raise ApplicationError("admission case without an organisation", type="RuleViolation")
            org = s.get(Organization, case.applicant_org_id)
            assert org is not None
            if org.signed and org.signed_source == case.id:
                return
            before = {"signed": org.signed, "categories": org.categories,
                      "signed_until": org.signed_until.isoformat() if org.signed_until else None}
            filed_on = inp.at.astimezone(SHANGHAI).date()
            # 000 四 每年经过评审: a year's term; a re-review of a provider still signed runs on from its term's end.
            until = (renewed_until(filed_on=filed_on, current_until=org.signed_until if org.signed else None)
                     if case.result.get("renewal") else term_ends(start=filed_on))
            org.signed, org.signed_at, org.signed_source, org.signed_until = True, inp.at, case.id, until
            org.categories = sorted(set(case.data.get("categories", [])))
            audit.record(s, action="provider_filed", at=inp.at, case_id=case.id,
                         message=f"{org.name}列入签约服务机构名单，签约期至{until.isoformat()}", before=before,
                         after={"signed": True, "categories": org.categories, "signed_until": until.isoformat()},
                         key=f"{case.id}.filed")

    @defn(name="provider_signing_sweep")
    def provider_signing_sweep(self, inp: SweepAt) -> Swept:
        """The 1st of a month (000 四 每年经过评审): end the terms that ended, sign connected window platforms by rule and
        end that status for windows that left; in the round month open a re-review case for every provider whose
        term ends within the next twelve months (idempotent: audit keys and case ids per provider and year)."""
        from db import window as windows
        from db.users import unsign_provider

        today = inp.at.astimezone(SHANGHAI).date()
        out = Swept()
        with session_scope(self.engine) as s:
            signed = list(s.exec(select(Organization).where(Organization.signed == True)))  # noqa: E712
            for org in signed:
                if term_ended(org.signed_until, today=today) and org.id is not None:
                    until = org.signed_until.isoformat() if org.signed_until else ""
                    if unsign_provider(s, org.id, reason=f"签约期满（{until}）未经年度评审续签", at=inp.at,
                                       actor="system", key=f"signing.{org.id}.{until}.ended"):
                        out.ended.append(org.id)
            connected = {c.applicant_org_id: c for c in windows.connected_windows(s) if c.applicant_org_id}
            for org_id, window in connected.items():
                org = s.get(Organization, org_id)
                if org is not None and not org.signed and not org.blacklisted:
                    org.signed, org.signed_at, org.signed_source, org.signed_until = (
                        True, inp.at, f"network:{window.id}", None)
                    audit.record(s, action="provider_network_signed", at=inp.at, case_id=window.id,
                                 message=f"{org.name}为已接入平台网络的窗口平台，视为签约服务机构（000 四）",
                                 after={"signed": True}, key=f"signing.{org_id}.network.{window.id}")
                    out.network_signed.append(org_id)
            for org in signed:
                source = org.signed_source or ""
                if org.signed and source.startswith("network:") and org.id not in connected and org.id is not None:
                    unsign_provider(s, org.id, reason="窗口平台已退出平台网络", at=inp.at, actor="system",
                                    key=f"signing.{org.id}.{source}.left")
            if round_month(inp.month):
                out.renewals = self._open_round(s, inp, today, [o for o in signed if o.signed])
        return out

    @staticmethod
    def _open_round(s: Session, inp: SweepAt, today: date, signed: list[Organization]) -> list[CaseInput]:
        """The yearly round: one re-review admission case per provider whose term ends before the next round."""
        out: list[CaseInput] = []
        for org in signed:
            if org.kind != "provider" or org.id is None or not due_for_round(org.signed_until, round_day=today):
                continue
            case_id = f"PA-{inp.year}-R{org.id}"
            case = s.get(Case, case_id)
            user = s.exec(select(User).where(User.org_id == org.id).order_by(col(User.id))).first()
            if case is None:
                if s.exec(select(Case).where(Case.type == "provider_admission", Case.applicant_org_id == org.id,
                                             col(Case.closed_at).is_(None))).first() is not None:
                    continue  # an admission of its own is under way
                last = s.get(Case, org.signed_source) if org.signed_source else None
                data = dict(last.data) if last is not None else {
                    "categories": list(org.categories), "service_items": [], "description": ""}
                detail = title_detail(data, inp.at.astimezone(SHANGHAI).date())  # as an application's title
                case = Case(id=case_id, type="provider_admission", status="submitted",
                            title=f"签约服务机构年度复评：{org.name}（{detail}）", applicant=org.name,
                            applicant_user_id=user.id if user else None, applicant_org_id=org.id, city=org.city,
                            policy_version=policy_for("provider_admission").code, data=data,
                            result={"renewal": True, "renewal_of": org.signed_source, "signed_until": org.signed_until.isoformat()
                                    if org.signed_until else None}, created_at=inp.at, updated_at=inp.at)
                s.add(case)
                audit.record(s, action="submitted", at=inp.at, case_id=case_id,
                             message=f"{inp.year}年度签约服务机构评审：{org.name}签约期至"
                                     f"{org.signed_until.isoformat() if org.signed_until else ''}，开展年度复评（000 四）",
                             key=f"{case_id}.opened")
            out.append(CaseInput(case_id=case.id, case_type="provider_admission",
                                 applicant_username=user.username if user else None, applicant_org_id=org.id,
                                 city=org.city))
        return out

def _filing_notice(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    org = s.get(Organization, case.applicant_org_id) if case.applicant_org_id else None
    day = inp.at.astimezone(SHANGHAI).date()
    return content.provider_filing_notice(
        number=1, year=day.year, issued_on=day, provider_name=org.name if org else case.applicant,
        categories=[CATEGORIES.get(c, c) for c in case.data.get("categories", [])],
        service_items=[(i["name"], int(i["price_fen"])) for i in case.data.get("service_items", [])],
        filed_on=day,
    )


def worker_parts(ctx: WorkerContext) -> WorkerParts:
    acts = ProviderAdmissionActivities(engine=ctx.engine)
    return WorkerParts(activities=[acts.prepare_provider_panel, acts.file_provider, acts.provider_signing_sweep],
                       builders={"provider_filing_notice": _filing_notice})
