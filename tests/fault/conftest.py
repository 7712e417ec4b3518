"""A failed fault test reports what its stack's processes logged last (launcher, web app, workers), so a red CI run
says which process stalled and why without the stack's directory, which is gone with the clean clone."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

LOG_TAIL_BYTES = 6000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.when == "call" and report.failed and stack is not None:
        for path in sorted(stack.work.glob("*.log")):
            with path.open("rb") as f:
                f.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
                tail = f.read().decode("utf-8", "replace")
            report.sections.append((f"flow168 {path.name} (last {LOG_TAIL_BYTES} bytes)", tail))
    return report
