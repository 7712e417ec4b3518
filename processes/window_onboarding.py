"""Window-platform onboarding (P4; seed 004 art. 8-10): application, expert panel, approval, public notice,
adaptation and connection, then the connected window's reports until it is disconnected."""

from __future__ import annotations

from datetime import date
from typing import Any

from forms.window_onboarding import FORMS, WindowOnboardingForm
from processes.spec import CaseAction, NavLink, ProcessSpec, on_day
from processes.window_onboarding_guide import GUIDE
from workflows.window_onboarding import WindowOnboardingWorkflow


def title_detail(data: dict[str, Any], day: date) -> str:
    """The window's name, what it covers (shortened), the day: two applications of one builder tell apart."""
    coverage = str(data.get("coverage_detail") or "")
    coverage = coverage if len(coverage) <= 16 else coverage[:15] + "…"
    return "·".join(p for p in (str(data.get("platform_name") or ""), coverage, on_day(day)) if p)


SPEC = ProcessSpec(
    type="window_onboarding",
    prefix="WO",
    label="窗口平台接入",
    title="窗口平台接入申请",
    workflow=WindowOnboardingWorkflow,
    applicant_roles=("platform_org",),
    case_form=WindowOnboardingForm,
    task_forms=FORMS,
    create_check="api.services.window:check_application",
    redact="api.services.window:redact_case",
    due_days={
        "window_onboarding.hub_review": 10,
        "window_onboarding.correction": 10,
        "window_onboarding.expert_assessment": 10,
        "window_onboarding.bureau_approval": 10,
        "window_onboarding.adaptation": 40,
        "window_onboarding.connection_check": 10,
        # the reports are due on dates of their own (settings; rules.window.ReportSettings)
    },
    statuses={"public_notice": "公示中", "adapting": "改造接入中", "connected": "已接入", "disconnected": "已退出"},
    status_tones={"connected": "ok", "disconnected": "bad", "public_notice": "warn", "adapting": "warn"},
    task_types={
        "window_onboarding.hub_review": "窗口平台接入·枢纽平台审核",
        "window_onboarding.correction": "窗口平台接入·补正申请",
        "window_onboarding.expert_assessment": "窗口平台接入·专家评估",
        "window_onboarding.bureau_approval": "窗口平台接入·批准",
        "window_onboarding.adaptation": "窗口平台接入·软硬件改造",
        "window_onboarding.connection_check": "窗口平台接入·接入验证",
        "window_onboarding.service_plan": "窗口平台·年度服务计划",
        "window_onboarding.service_data": "窗口平台·季度服务数据",
        "window_onboarding.service_summary": "窗口平台·年度服务总结",
        "window_onboarding.agreement": "窗口平台·互签服务合作协议",
    },
    decisions={"accept": "同意签订"},
    deadlines={"public_notice": "公示期"},
    documents={"onboarding_approval": "接入批复", "public_notice": "公示", "cooperation_agreement": "服务合作协议",
               "disconnection_notice": "退出平台网络通知", "mutual_agreement": "窗口平台间服务合作协议"},
    messages={
        "window_unknown_city": "请选择宁夏的一个地级市",
        "window_not_yours": "没有找到本单位的窗口平台 {case_id}",
        "window_not_found": "没有窗口平台 {case_id}",
        "window_withdraw_reason": "请填写退出理由",
        "window_not_connected": "该窗口平台当前为“{case_status}”，只有已接入的窗口平台可以办理",
        "window_process_ended": "该窗口平台的流程已结束",
        "window_partner_not_connected": "对方（{case_id}）不是已接入的窗口平台",
        "window_partner_self": "不能与本单位的窗口平台签订协议",
        "window_agreement_exists": "双方已有合作协议（或提议待确认）",
        "window_settings_invalid": "设置无效：{reason}",
        "window_already_connected": "{org}的窗口平台已接入平台网络，不能重复申请",
        "window_open_onboarding": "{org}已有正在办理的窗口平台接入申请",
        "window_material_missing": "{material}：请先上传文件",
    },
    worker="activities.window_documents:worker_parts",
    api_routers=("api.routes_window:router",),
    page_routers=("api.pages_window:router",),
    actions=(
        CaseAction(path="window-withdraw", heading="退出平台网络", button="申请退出", roles=("platform_org",),
                   note="退出后窗口平台从名单中移除，服务合作协议终止，并起草退出平台网络通知。", field_label="退出理由",
                   confirm="退出后不可恢复，确定退出平台网络吗？", statuses=("connected",), open_only=False),
    ),
    public_tabs=(NavLink(href="/public/windows", label="窗口平台名单", roles=(), exact=True, order=40),),
    nav=(
        NavLink(href="/apply/window", label="窗口平台接入", roles=("platform_org",), order=35),
    ),
    guide=GUIDE,
    title_detail=title_detail,
)
