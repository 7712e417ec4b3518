"""Which workflow runs which case type."""

from __future__ import annotations

from workflows.certification import CertificationWorkflow
from workflows.provider_admission import ProviderAdmissionWorkflow
from workflows.registration import RegistrationWorkflow
from workflows.voucher import VoucherWorkflow
from workflows.voucher_statistics import VoucherStatisticsWorkflow

WORKFLOWS = {
    "registration": RegistrationWorkflow,
    "provider_admission": ProviderAdmissionWorkflow,
    "voucher": VoucherWorkflow,
    "voucher_statistics": VoucherStatisticsWorkflow,  # not a case type: the monthly report (no PREFIX)
    "certification": CertificationWorkflow,
}
