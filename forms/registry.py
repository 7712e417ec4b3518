"""Form name (as stored on a task) -> model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from forms.certification import FORMS as CERTIFICATION_FORMS
from forms.certification import CertificationForm
from forms.provider_admission import ProviderAdmissionForm
from forms.review import ExpertOpinionForm, ReviewForm
from forms.voucher import (
    ChooseBidForm,
    ConfirmForm,
    DeliveryForm,
    FirstReviewForm,
    SettlementReviewForm,
    VoucherApplyForm,
    VoucherDemandForm,
)

FORMS: dict[str, type[BaseModel]] = {
    "": ReviewForm,
    "review": ReviewForm,
    "expert_opinion": ExpertOpinionForm,
    "provider_admission": ProviderAdmissionForm,
    "voucher": VoucherDemandForm,
    "voucher_choose_bid": ChooseBidForm,
    "voucher_apply": VoucherApplyForm,
    "voucher_first_review": FirstReviewForm,
    "voucher_delivery": DeliveryForm,
    "voucher_confirm": ConfirmForm,
    "voucher_settlement_review": SettlementReviewForm,
    **CERTIFICATION_FORMS,
}

CASE_FORMS: dict[str, type[BaseModel]] = {
    "provider_admission": ProviderAdmissionForm,
    "voucher": VoucherDemandForm,
    "certification": CertificationForm,
}


def form_schema(name: str) -> dict[str, Any]:
    """The JSON schema of a task's form."""
    return FORMS.get(name, ReviewForm).model_json_schema()
