"""Form name (as stored on a task) -> model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from forms.certification import FORMS as CERTIFICATION_FORMS
from forms.certification import CertificationForm
from forms.provider_admission import ProviderAdmissionForm
from forms.review import ExpertOpinionForm, ReviewForm

FORMS: dict[str, type[BaseModel]] = {
    "": ReviewForm,
    "review": ReviewForm,
    "expert_opinion": ExpertOpinionForm,
    "provider_admission": ProviderAdmissionForm,
    **CERTIFICATION_FORMS,
}

CASE_FORMS: dict[str, type[BaseModel]] = {
    "provider_admission": ProviderAdmissionForm,
    "certification": CertificationForm,
}


def form_schema(name: str) -> dict[str, Any]:
    """The JSON schema of a task's form."""
    return FORMS.get(name, ReviewForm).model_json_schema()
