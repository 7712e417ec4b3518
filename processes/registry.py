"""Every process's spec, found by discovery: each module of `processes` that defines `SPEC`."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import processes
from processes.spec import ProcessSpec

# Task types, decisions and labels shared by every process (the public notice belongs to no single one).
COMMON_DUE_DAYS = {"notice.objection_review": 10}
COMMON_TASK_TYPES = {"notice.objection_review": "公示异议核查"}
COMMON_NEEDS_REASON = ("reject", "return", "decline", "uphold")
FALLBACK_DUE_WORKING_DAYS = 5


@cache
def specs() -> dict[str, ProcessSpec]:
    """Case type -> spec, for every process module in this package."""
    found: dict[str, ProcessSpec] = {}
    for info in sorted(pkgutil.iter_modules(processes.__path__), key=lambda m: m.name):
        if info.name in ("spec", "registry") or info.name.startswith("_"):
            continue
        spec = getattr(importlib.import_module(f"processes.{info.name}"), "SPEC", None)
        if isinstance(spec, ProcessSpec):
            if spec.type in found:
                raise RuntimeError(f"two processes declare the case type {spec.type!r}")
            found[spec.type] = spec
    return found


def spec_of(case_type: str) -> ProcessSpec | None:
    return specs().get(case_type)


def by_task_type(task_type: str) -> ProcessSpec | None:
    """The process whose task this is (by the task type's prefix)."""
    return specs().get(task_type.split(".", 1)[0])


def workflows() -> list[type]:
    """Every workflow class the worker runs (each case type's, and the processes' extra ones)."""
    out: list[type] = []
    for spec in specs().values():
        for wf in (spec.workflow, *spec.extra_workflows, *(s.workflow for s in spec.singletons)):
            if wf not in out:
                out.append(wf)
    return out


@cache
def due_days() -> dict[str, int]:
    out = dict(COMMON_DUE_DAYS)
    for spec in specs().values():
        out.update(spec.due_days)
    return out


@cache
def task_type_labels() -> dict[str, str]:
    out = dict(COMMON_TASK_TYPES)
    for spec in specs().values():
        out.update(spec.task_types)
    return out


def needs_reason(task_type: str) -> tuple[str, ...]:
    spec = by_task_type(task_type)
    return COMMON_NEEDS_REASON + (spec.needs_reason if spec else ())


def task_forms() -> dict[str, object]:
    out: dict[str, object] = {}
    for spec in specs().values():
        out.update(spec.task_forms)
    return out
