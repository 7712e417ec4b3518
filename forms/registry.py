"""Form name (as stored on a task) -> model: the shared review forms and every process's own (its spec)."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from forms.review import ExpertOpinionForm, ObjectionReviewForm, ReviewForm
from processes.registry import specs

COMMON_FORMS: dict[str, type[BaseModel]] = {
    "": ReviewForm,
    "review": ReviewForm,
    "expert_opinion": ExpertOpinionForm,
    "objection_review": ObjectionReviewForm,
}


@cache
def case_forms() -> dict[str, type[BaseModel]]:
    """Case type -> the model of its application (also the form of its correction task)."""
    return {t: s.case_form for t, s in specs().items() if s.case_form is not None}


@cache
def forms() -> dict[str, type[BaseModel]]:
    out = dict(COMMON_FORMS)
    for spec in specs().values():
        out.update(spec.task_forms)
    out.update(case_forms())
    return out


def form_model(name: str) -> type[BaseModel]:
    """The model of a task's form (the plain review form when the name is unknown)."""
    return forms().get(name, ReviewForm)


@cache
def form_schema(name: str) -> dict[str, Any]:
    """The JSON schema of a task's form; computed once per form (5 ms each, 50 in an inbox page: issue 12), so the
    caller must not change the dict it gets."""
    return form_model(name).model_json_schema()
