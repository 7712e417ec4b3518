"""Voucher policy versions with an admin's settings applied (rules.voucher.with_settings over the stored row)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from db.models import VoucherPolicySetting
from rules.voucher import POLICIES, PolicySettings, PolicyVersion, with_settings


def settings_of(row: VoucherPolicySetting | None) -> PolicySettings:
    if row is None:
        return PolicySettings()
    reminders = tuple(row.expiry_reminder_days) if row.expiry_reminder_days is not None else None
    return PolicySettings(bidding_working_days=row.bidding_working_days,
                          voucher_validity_days=row.voucher_validity_days, expiry_reminder_days=reminders,
                          supervision_fee_bp=row.supervision_fee_bp)


def effective(session: Session, code: str) -> tuple[PolicyVersion, int]:
    """The version `code` as configured now, and its default supervision fee in basis points."""
    return with_settings(POLICIES[code], settings_of(session.get(VoucherPolicySetting, code)))


def policy_json(session: Session, code: str) -> dict[str, Any]:
    policy, fee = effective(session, code)
    row = session.get(VoucherPolicySetting, code)
    base = POLICIES[code]
    return {
        "code": code, "title": policy.title, "effective_from": policy.effective_from.isoformat(),
        "effective_from_confirmed": policy.effective_from_confirmed,
        "bidding_working_days": policy.bidding_working_days, "voucher_validity_days": policy.voucher_validity_days,
        "expiry_reminder_days": list(policy.expiry_reminder_days), "supervision_fee_bp": fee,
        "supervision_fee_bp_range": list(policy.supervision_fee_bp_range),
        "defaults": {"bidding_working_days": base.bidding_working_days,
                     "voucher_validity_days": base.voucher_validity_days,
                     "expiry_reminder_days": list(base.expiry_reminder_days),
                     "supervision_fee_bp": base.supervision_fee_bp_range[0]},
        "updated_by": row.updated_by if row else None,
        "updated_at": row.updated_at.isoformat() if row else None,
    }
