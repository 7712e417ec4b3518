"""Yearly assessments of the platform network (P5; seed 004 art. 11-13, 001 三(五)2-3): campaigns opened by the hub
(the bureau for the hub) or by the schedule, one case per subject, results, rectification and revocation.

Cases of this type are opened by campaigns (POST /api/assessment/campaigns or the schedule), never by
POST /api/cases: `applicant_roles` is empty."""

from __future__ import annotations

from forms.assessment import FORMS
from processes.assessment_guide import GUIDE
from processes.spec import NavLink, ProcessSpec, Singleton
from rules.assessment import KIND_LABELS
from workflows.assessment import SCHEDULE_ID, AssessmentScheduleWorkflow, AssessmentWorkflow, first_schedule_input

SPEC = ProcessSpec(
    type="assessment",
    prefix="AS",
    label="绩效考核",
    title="年度绩效考核",
    workflow=AssessmentWorkflow,
    singletons=(Singleton(id=SCHEDULE_ID, workflow=AssessmentScheduleWorkflow, first_input=first_schedule_input),),
    applicant_roles=(),
    task_forms=FORMS,
    task_checks={"assessment.scoring": "api.services.assessment:check_scoring",
                 "assessment.self_report": "api.services.assessment:check_subject",
                 "assessment.rectification": "api.services.assessment:check_subject"},
    redact="api.services.assessment:redact_case",
    due_days={
        "assessment.self_report": 15,
        "assessment.scoring": 10,
        "assessment.support_decision": 10,
        "assessment.rectification": 30,  # overridden by the rectification deadline (a setting, 30 working days)
        "assessment.reassessment": 10,
        "assessment.revocation_decision": 10,
    },
    labels={"reports_sent": "已报送服务数据", "reports_overdue": "逾期报送", "vouchers_settled": "已结算服务券"},
    statuses={"self_report": "自评中", "scoring": "评分中", "rated": "已考核", "qualified": "合格",
              "excellent": "优秀", "support_review": "优先支持待决定", "supported": "优秀·优先支持",
              "rectifying": "限期整改中", "reassessment": "整改复核中", "rectified": "整改合格",
              "revocation_review": "撤销资格待决定", "kept": "保留资格", "revoked": "已撤销资格"},
    status_tones={"qualified": "ok", "excellent": "ok", "supported": "ok", "rectified": "ok", "rated": "ok",
                  "rectifying": "warn", "reassessment": "warn", "revocation_review": "warn", "revoked": "bad"},
    task_types={
        "assessment.self_report": "绩效考核·自评填报",
        "assessment.scoring": "绩效考核·评分",
        "assessment.support_decision": "绩效考核·优先支持决定",
        "assessment.rectification": "绩效考核·整改报告",
        "assessment.reassessment": "绩效考核·整改复核",
        "assessment.revocation_decision": "绩效考核·撤销资格决定",
    },
    decisions={"pass": "复核通过", "fail": "复核不通过", "revoke": "撤销资格", "keep": "保留资格"},
    needs_reason=("revoke", "keep", "fail"),
    deadlines={"rectification": "整改期限"},
    documents={"assessment_result": "考核结果通知", "assessment_rectification_notice": "整改通知",
               "assessment_revocation_decision": "撤销资格决定", "assessment_bulletin": "考核结果通报"},
    worker="activities.assessment:worker_parts",
    startup=("api.assessment_schedule:ensure_schedule",),
    api_routers=("api.routes_assessment:router",),
    page_routers=("api.pages_assessment:router",),
    public_tabs=(NavLink(href="/public/assessments", label="考核结果", roles=(), exact=True, order=50),),
    nav=(NavLink(href="/assessment", label="绩效考核", roles=("operator", "department"), order=40, active="/assessment"),),
    guide=GUIDE,
    # the year and the kind: one organisation may be assessed as a window and as a partner, every year
    title_detail=lambda data, day: f"{data.get('year')}年度·{KIND_LABELS.get(str(data.get('kind')), '')}",
)
