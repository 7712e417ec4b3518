"""Records activities that keep failing, so the admin's stuck list can show attempts and the last error."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from db.engine import session_scope
from db.models import ActivityFailure


class _Inbound(ActivityInboundInterceptor):
    def __init__(self, nxt: ActivityInboundInterceptor, engine: Engine) -> None:
        super().__init__(nxt)
        self.engine = engine

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        key = f"{info.workflow_id}:{info.activity_id}"
        try:
            result = await super().execute_activity(input)
        except Exception as exc:
            self._record(key, info, exc)
            raise
        if info.attempt > 1:
            self._clear(key)
        return result

    def _record(self, key: str, info: activity.Info, exc: Exception) -> None:
        try:
            with session_scope(self.engine) as s:
                row = s.get(ActivityFailure, key) or ActivityFailure(
                    key=key, workflow_id=info.workflow_id or "", activity_type=info.activity_type, attempt=0,
                    last_error="", last_at=info.current_attempt_scheduled_time)
                row.attempt, row.last_error = info.attempt, f"{type(exc).__name__}: {exc}"[:2000]
                # The engine's time of this attempt: the one clock (simulated under the time-skipping server).
                row.last_at = info.current_attempt_scheduled_time
                s.add(row)
        except Exception:  # never let bookkeeping hide the real failure
            pass

    def _clear(self, key: str) -> None:
        try:
            with session_scope(self.engine) as s:
                row = s.get(ActivityFailure, key)
                if row is not None:
                    s.delete(row)
        except Exception:
            pass


class FailureRecorder(Interceptor):
    """Worker interceptor: one row per failing activity, removed when it finally succeeds."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next, self.engine)
