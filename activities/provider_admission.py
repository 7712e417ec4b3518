"""Provider admission's I/O (P2; seed 003 art. 8): the signed list and the filing notice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db import audit
from db.certification import active_experts
from db.engine import session_scope
from db.models import Case, Organization, ProviderAdmissionSetting
from documents import content
from processes.spec import WorkerContext, WorkerParts
from rules.calendar import SHANGHAI
from rules.policies import policy_for
from rules.voucher import CATEGORIES
from workflows.provider_admission_types import Panel, PanelInput
from workflows.types import DraftDocumentInput, FileProviderInput

DEFAULT_PANEL = 3  # 000 四 组织专家综合审定: the seed fixes no number; the operator's setting, 3 by default


def panel_size(s: Session) -> int:
    """The operator's setting of the panel size (no row: 3)."""
    row = s.get(ProviderAdmissionSetting, 1)
    return row.experts if row is not None else DEFAULT_PANEL


@dataclass
class ProviderAdmissionActivities:
    engine: Engine

    @activity.defn(name="prepare_provider_panel")
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

    @activity.defn(name="file_provider")
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
            before = {"signed": org.signed, "categories": org.categories}
            org.signed, org.signed_at, org.signed_source = True, inp.at, case.id
            org.categories = sorted(set(case.data.get("categories", [])))
            audit.record(s, action="provider_filed", at=inp.at, case_id=case.id, message=f"{org.name}列入签约服务机构名单",
                         before=before, after={"signed": True, "categories": org.categories},
                         key=f"{case.id}.filed")

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
    return WorkerParts(activities=[acts.prepare_provider_panel, acts.file_provider],
                       builders={"provider_filing_notice": _filing_notice})
