"""Which workflow runs which case type."""

from __future__ import annotations

from workflows.certification import CertificationWorkflow
from workflows.provider_admission import ProviderAdmissionWorkflow
from workflows.registration import RegistrationWorkflow

WORKFLOWS = {
    "registration": RegistrationWorkflow,
    "provider_admission": ProviderAdmissionWorkflow,
    "certification": CertificationWorkflow,
}
