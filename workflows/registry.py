"""Which workflow runs which case type."""

from __future__ import annotations

from workflows.provider_admission import ProviderAdmissionWorkflow
from workflows.registration import RegistrationWorkflow
from workflows.voucher import VoucherWorkflow

WORKFLOWS = {
    "registration": RegistrationWorkflow,
    "provider_admission": ProviderAdmissionWorkflow,
    "voucher": VoucherWorkflow,
}
