"""Voucher priority verification (003 art. 11(3)): an enterprise's 专精特新 / credit rating, verified by the operator."""

from __future__ import annotations

from forms.priority_verification import PriorityDeclarationForm, PriorityVerifyForm
from processes.spec import ProcessSpec
from workflows.priority_verification import PriorityVerificationWorkflow

SPEC = ProcessSpec(
    type="priority_verification",
    prefix="PV",
    label="优先申领资格核验",
    title="优先申领资格申报",
    workflow=PriorityVerificationWorkflow,
    applicant_roles=("enterprise",),
    case_form=PriorityDeclarationForm,
    task_forms={"priority_verify": PriorityVerifyForm},
    create_check="api.services.priority:check_declaration",
    due_days={"priority_verification.review": 5},
    statuses={"verified": "已核验"},
    status_tones={"verified": "ok"},
    task_types={"priority_verification.review": "服务券·优先申领资格核验"},
    worker="activities.priority_verification:worker_parts",
    page_routers=("api.pages_priority:router",),
)
