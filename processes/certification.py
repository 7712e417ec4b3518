"""Demonstration-platform certification (P3; seed 002): recommendation, review, public notice, a 3-year title."""

from __future__ import annotations

from forms.certification import FORMS, CertificationForm, derived
from processes.certification_guide import GUIDE
from processes.spec import CaseAction, NavLink, ProcessSpec
from workflows.certification import CertificationWorkflow

SPEC = ProcessSpec(
    type="certification",
    prefix="CT",
    label="示范平台认定",
    title="示范平台认定申请",
    workflow=CertificationWorkflow,
    applicant_roles=("platform_org",),
    case_form=CertificationForm,
    task_forms=FORMS,
    create_check="api.services.certification:check_application",
    task_checks={"certification.correction": "api.services.certification:check_correction",
                 "certification.decision": "api.services.certification:check_decision"},
    derived=derived,
    # The case view adds the year's documents that concern the case (the 拟认定名单, the certification notice, its
    # city's summary report; 002 art. 10, 12, 13).
    redact="api.services.certification:case_view",
    notice_targets="api.services.certification:list_notice_targets",
    due_days={
        "certification.city_recommendation": 15,
        "certification.correction": 10,
        "certification.precheck": 10,
        "certification.expert_review": 10,
        "certification.onsite_inspection": 20,
        "certification.decision": 5,
        "certification.annual_summary": 20,
        "certification.city_annual_report": 40,
        "certification.annual_assessment": 20,
    },
    labels={"eligibility": "认定条件核查", "eligible": "符合认定条件", "conditions": "逐项条件", "code": "",
            "label": "条件", "passed": "是否达到", "relaxed": "适用放宽", "required": "必备条件", "detail": "情况",
            "missing": "未达到的条件", "relaxed_shortfalls": "放宽后未达到的条件", "materials_missing": "尚未上传的材料",
            "call_year": "申报年度", "experts": "评审专家", "expert_reviews": "专家评审", "expert": "专家",
            "decision": "结论", "granted_on": "认定日期", "valid_from": "有效期自", "valid_until": "有效期至",
            "expires_at": "到期时间", "recommended": "是否推荐", "annual": "年度考核", "rating": "考核等级",
            "revoked_on": "撤销日期", "revocation_reason": "撤销理由", "certificate_no": "证书编号",
            "meets_normal": "达到正常标准", "relaxed_pct": "放宽后的标准（正常标准的%）",
            "panel_result": "评审组结论", "approvals": "同意票数", "rejections": "不同意票数", "mean_score": "平均分",
            "rule": "计票规则", "size": "评审组人数", "basis": "依据", "departs_from_panel": "未按评审组结论决定",
            "departure_reason": "不按评审组结论的理由"},
    statuses={"listed": "拟认定·待名单公示", "public_notice": "公示中",
              "granted": "已认定", "expired": "已到期", "revoked": "已撤销"},
    status_tones={"granted": "ok", "revoked": "bad", "expired": "bad", "public_notice": "warn", "listed": "warn"},
    task_types={
        "certification.city_recommendation": "示范平台认定·市工信局测评推荐",
        "certification.correction": "示范平台认定·补正申请",
        "certification.precheck": "示范平台认定·材料初审",
        "certification.expert_review": "示范平台认定·专家评审",
        "certification.onsite_inspection": "示范平台认定·实地考察",
        "certification.decision": "示范平台认定·认定决定",
        "certification.annual_summary": "示范平台·年度工作总结",
        "certification.city_annual_report": "示范平台·市工信局年度报告",
        "certification.annual_assessment": "示范平台·年度考核",
    },
    decisions={"recommend": "推荐", "decline": "不推荐"},
    messages={
        "certification_materials_missing": "申报材料不齐（办法第十一条），缺少：{missing}",
        "certification_material_unknown": "申报材料“{material}”不是您上传的文件，请先上传",
        "certification_list_empty": "{year}年度没有待公示的拟认定平台",
        "certification_list_published": "{year}年度拟认定名单已公示，本年度申报已结束",
        "call_not_found": "{year}年度尚未发布申报通知",
    },
    deadlines={"public_notice": "公示期", "validity": "有效期", "annual_report": "年度报告"},
    documents={"recommendation_form": "测评推荐表", "city_summary": "市工信局推荐汇总报告",
               "public_notice": "公示", "certification_notice": "认定通知",
               "certificate": "示范平台证书", "revocation_decision": "撤销决定",
               "assessment_result_notice": "年度考核结果通知"},
    # Published results (002 art. 13, 17, 19): listed at /api/public/certification/documents, anyone may download.
    public_documents=("certification_notice", "revocation_decision", "assessment_result_notice"),
    worker="activities.certification_documents:worker_parts",
    api_routers=("api.routes_certification:router",),
    page_routers=("api.pages_certification:router",),
    actions=(
        CaseAction(path="revoke", heading="撤销示范平台称号", button="撤销称号", roles=("department",),
                   field_label="撤销理由（第十七条）", confirm="撤销后将起草撤销决定书，确定撤销吗？", statuses=("granted",)),
    ),
    public_tabs=(NavLink(href="/public/platforms", label="示范平台名录", roles=(), exact=True, order=30),),
    nav=(
        NavLink(href="/certification/calls", label="年度申报", roles=("department",), order=30, active="/certification"),
        NavLink(href="/apply/certification", label="示范平台申报", roles=("platform_org",), order=30),
    ),
    guide=GUIDE,
    title_detail=lambda data, day: f"{data.get('platform_name') or '平台'}·{day.year}年度申报",
)
