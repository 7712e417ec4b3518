"""Per-step due times in working days: defaults here, overrides in the step_config table."""

from __future__ import annotations

from sqlmodel import Session

from db.models import StepConfig

DEFAULT_DUE_WORKING_DAYS = {
    "registration.review": 3,
    "provider_admission.operator_review": 5,
    "provider_admission.expert_review": 10,
    "provider_admission.department_filing": 5,
    "provider_admission.correction": 10,
    "voucher.demand_review": 3,
    "voucher.correction": 10,
    "voucher.choose_bid": 5,
    "voucher.award_review": 3,
    "voucher.apply": 10,
    "voucher.first_review": 5,
    "voucher.final_review": 5,
    "voucher.delivery": 60,
    "voucher.confirm": 5,
    "voucher.settlement_review": 5,
    "voucher.settlement_approval": 5,
    "certification.city_recommendation": 15,
    "certification.correction": 10,
    "certification.precheck": 10,
    "certification.expert_review": 10,
    "certification.onsite_inspection": 20,
    "certification.decision": 5,
    "notice.objection_review": 10,
    "certification.annual_summary": 20,
    "certification.city_annual_report": 40,
    "certification.annual_assessment": 20,
}
FALLBACK_DUE_WORKING_DAYS = 5


def step_timing(session: Session, task_type: str) -> tuple[int, int]:
    """(due working days, reminder working days before the due day) for a task type."""
    row = session.get(StepConfig, task_type)
    if row is not None:
        return row.due_working_days, row.reminder_working_days_before
    return DEFAULT_DUE_WORKING_DAYS.get(task_type, FALLBACK_DUE_WORKING_DAYS), 1
