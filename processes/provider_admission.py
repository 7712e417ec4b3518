"""Signed service provider admission (P2; seed 003 art. 4 and 8, seed 000 四)."""

from __future__ import annotations

from forms.provider_admission import ProviderAdmissionForm
from processes.provider_admission_guide import GUIDE
from processes.spec import NavLink, ProcessSpec
from workflows.provider_admission import ProviderAdmissionWorkflow

SPEC = ProcessSpec(
    type="provider_admission",
    prefix="PA",
    label="签约服务机构准入",
    title="签约服务机构准入申请",
    workflow=ProviderAdmissionWorkflow,
    applicant_roles=("provider",),
    case_form=ProviderAdmissionForm,
    due_days={
        "provider_admission.operator_review": 5,
        "provider_admission.expert_review": 10,
        "provider_admission.department_filing": 5,
        "provider_admission.correction": 10,
    },
    statuses={"filed": "已备案"},
    status_tones={"filed": "ok"},
    task_types={
        "provider_admission.operator_review": "服务机构准入·材料初审",
        "provider_admission.expert_review": "服务机构准入·专家评审",
        "provider_admission.department_filing": "服务机构准入·备案",
        "provider_admission.correction": "服务机构准入·补正材料",
    },
    documents={"provider_filing_notice": "签约服务机构备案通知"},
    worker="activities.provider_admission:worker_parts",
    public_tabs=(NavLink(href="/public/providers", label="签约服务机构名单", roles=(), exact=True, order=10),),
    nav=(NavLink(href="/apply/provider_admission", label="准入申请", roles=("provider",), order=10,
                 active="/apply/provider_admission"),),
    guide=GUIDE,
)
