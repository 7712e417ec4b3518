"""Every process's task checks take the keywords the task service passes (a check merged from an older signature
would fail only when its task is decided)."""

from __future__ import annotations

import inspect

import pytest

from processes.registry import specs
from processes.spec import resolve

CHECKS = [(spec.type, task_type, ref) for spec in specs().values() for task_type, ref in spec.task_checks.items()]


@pytest.mark.parametrize(("case_type", "task_type", "ref"), CHECKS, ids=[c[1] for c in CHECKS])
def test_task_check_takes_every_keyword(case_type: str, task_type: str, ref: str) -> None:
    params = inspect.signature(resolve(ref)).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    assert {"user", "task", "case", "data", "now", "decision"} <= set(params), f"{ref} lacks a keyword"
