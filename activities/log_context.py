"""Worker interceptor: every activity's log records carry its case id (the workflow id) and, when its input names
one, the task id (api/logs.py puts them into the JSON logs)."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from api import logs


class _Inbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        arg = input.args[0] if input.args else None
        task_id = getattr(arg, "task_id", None)
        tokens = logs.bind(info.workflow_id, task_id if isinstance(task_id, str) else None)
        try:
            return await super().execute_activity(input)
        finally:
            logs.unbind(tokens)


class LogContext(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next)
