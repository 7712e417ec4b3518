"""Signed service provider admission (P2; seed 003 art. 4 and 8, seed 000 四)."""

from __future__ import annotations

from datetime import date
from typing import Any

from forms.provider_admission import FORMS, ProviderAdmissionForm
from processes.provider_admission_guide import GUIDE
from processes.spec import NavLink, ProcessSpec, Singleton, on_day
from rules.provider import BASIS_ZH
from rules.voucher import CATEGORIES
from workflows.provider_admission import ProviderAdmissionWorkflow
from workflows.provider_signing import SIGNING_ID, ProviderSigningWorkflow, first_sweep_input


def title_detail(data: dict[str, Any], day: date) -> str:
    """The categories applied for, how many service items, the day: two admissions of one provider tell apart."""
    categories = "、".join(CATEGORIES.get(str(c), str(c)) for c in data.get("categories") or [])
    items = len(data.get("service_items") or [])
    return "·".join(p for p in (categories, f"{items}项服务" if items else "", on_day(day)) if p)


SPEC = ProcessSpec(
    type="provider_admission",
    prefix="PA",
    label="签约服务机构准入",
    title="签约服务机构准入申请",
    workflow=ProviderAdmissionWorkflow,
    applicant_roles=("provider",),
    redo_safe=("prepare_provider_panel",),  # the panel is named once per case (kept in its result)
    case_form=ProviderAdmissionForm,
    task_forms=FORMS,
    create_check="api.services.provider_admission:check_application",
    task_checks={"provider_admission.department_filing": "api.services.provider_admission:check_filing"},
    redact="api.services.provider_admission:redact_case",
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
        "provider_admission.expert_review": "服务机构准入·专家综合审定",
        "provider_admission.department_filing": "服务机构准入·备案",
        "provider_admission.correction": "服务机构准入·补正材料",
    },
    documents={"provider_filing_notice": "签约服务机构备案通知"},
    labels={"eligibility_basis": "签约资格依据（000 四）", "experts": "综合审定专家", "expert_reviews": "专家评审",
            "panel_result": "评审组结论", "approvals": "同意票数", "rejections": "不同意票数", "mean_score": "平均分",
            "rule": "计票规则", "size": "评审组人数", "basis": "依据", "departs_from_panel": "未按评审组结论决定",
            "departure_reason": "不按评审组结论的理由"},
    value_labels={"eligibility_basis": dict(BASIS_ZH)},
    worker="activities.provider_admission:worker_parts",
    # 000 四 每年经过评审: the monthly sweep ends terms, signs network platforms by rule, opens the yearly round.
    singletons=(Singleton(id=SIGNING_ID, workflow=ProviderSigningWorkflow, first_input=first_sweep_input),),
    api_routers=("api.routes_provider_admission:router",),
    messages={
        "provider_not_eligible": "不符合签约服务机构条件（2017年补贴券政策“四、签约服务机构”）：{missing}",
        "provider_licence_unknown": "执业许可证明不是您上传的文件，请先上传",
    },
    public_tabs=(NavLink(href="/public/providers", label="签约服务机构名单", roles=(), exact=True, order=10),),
    nav=(NavLink(href="/apply/provider_admission", label="准入申请", roles=("provider",), order=10,
                 active="/apply/provider_admission"),),
    guide=GUIDE,
    title_detail=title_detail,
)
