"""Every call the API makes to Temporal: starting case workflows, their Updates and signals (by typed handler
references, never by name), with Temporal's errors turned into 4xx. A service commits its writes (in the thread pool,
`api.deps.in_thread`) before it calls the engine, so the workflow's activities see them and no transaction is open
while the engine answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from db.models import Case, User
from processes.registry import spec_of
from workflows.human import CaseWorkflow
from workflows.public_notice import NoticeWorkflow
from workflows.types import DecisionInput, DecisionResult, DueChanged


async def start_case(client: Client, task_queue: str, case: Case, applicant: User | None) -> None:
    """Start the case's workflow (workflow id = case id); a second start is a no-op."""
    spec = spec_of(case.type)
    if spec is None:
        raise ApiError(f"no process is declared for case type {case.type!r}", code="no_process",
                       params={"case_type": case.type}, status=500)
    # The input type the workflow's `run` declares (a subclass of CaseInput, e.g. the certification's run input).
    inp = spec.input_type(case_id=case.id, case_type=case.type,
                          applicant_username=applicant.username if applicant else None,
                          applicant_org_id=case.applicant_org_id, city=case.city)
    try:
        await client.start_workflow(spec.workflow.run, inp, id=case.id, task_queue=task_queue)  # type: ignore[attr-defined]
    except WorkflowAlreadyStartedError:
        pass


# Temporal's refusals as (HTTP status, error code), in one place: the Update validators' ApplicationError types
# (workflows/*.py) and the RPC status of a case whose workflow has finished.
ENGINE_ERRORS: dict[str | RPCStatusCode, tuple[int, str]] = {
    "StaleTask": (409, "task_stale"),
    "InvalidDecision": (422, "decision_not_allowed"),
    "FourEyes": (409, "four_eyes"),
    "Closed": (409, "case_closed"),
    "Delivered": (409, "already_delivered"),
    "NoTitle": (409, "no_title"),
    "Anonymous": (422, "anonymous_objection"),
    "InvalidObjection": (422, "objection_reason_required"),
    "NoticeClosed": (409, "notice_closed"),
    RPCStatusCode.NOT_FOUND: (409, "task_case_ended"),
}
# The Updates other than a task decision (withdraw, revoke) raise InvalidDecision only for a missing reason.
CASE_UPDATE_ERRORS = {**ENGINE_ERRORS, "InvalidDecision": (422, "update_reason_required")}
REFUSED = (409, "update_refused")  # an ApplicationError type not listed above
ENGINE_BUSY = (503, "engine_unavailable")  # any other RPC status: the engine is busy or restarting


def engine_error(key: str | RPCStatusCode | None, detail: str, *, default: tuple[int, str],
                 table: dict[str | RPCStatusCode, tuple[int, str]] = ENGINE_ERRORS,
                 params: dict[str, Any] | None = None) -> ApiError:
    """The API error for one of Temporal's refusals, by the table."""
    status, code = table.get(key, default) if key is not None else default
    return ApiError(detail, code=code, params=params, status=status)


def refusal(exc: WorkflowUpdateFailedError, table: dict[str | RPCStatusCode, tuple[int, str]],
            params: dict[str, Any] | None = None) -> ApiError:
    """An Update its validator refused: the validator's message as detail, its error type as status and code."""
    cause: Any = exc.cause
    if isinstance(cause, ApplicationError):
        return engine_error(cause.type, cause.message, default=REFUSED, table=table, params=params)
    return engine_error(None, str(cause or exc), default=REFUSED, params=params)


async def decide(client: Client, *, case_id: str, decision: DecisionInput) -> DecisionResult:
    """Send the decision Update (id = task id, so a repeated click is deduplicated by the server)."""
    handle = client.get_workflow_handle(case_id)
    try:
        return await handle.execute_update(CaseWorkflow.complete_task, decision, id=decision.task_id,
                                           result_type=DecisionResult)
    except WorkflowUpdateFailedError as exc:
        raise refusal(exc, ENGINE_ERRORS, {"decision": decision.decision}) from None
    except RPCError as exc:
        # Busy or restarting: the same Update id makes a retry safe.
        detail = ("this case's process has already ended; the task can no longer be completed"
                  if exc.status == RPCStatusCode.NOT_FOUND else
                  "the process engine did not answer in time; try again (a repeated decision is not applied twice)")
        raise engine_error(exc.status, detail, default=ENGINE_BUSY) from None


async def case_update(client: Client, *, case_id: str, update: Callable[..., Awaitable[Any]], arg: Any,
                      result_type: type, update_id: str) -> Any:
    """An Update other than a task decision (withdraw, revoke…); None when the case's process has ended.

    A validator's refusal comes back as 409 (422 for a bad argument); the Update id deduplicates a double click."""
    handle = client.get_workflow_handle(case_id)
    try:
        return await handle.execute_update(update, arg, id=update_id, result_type=result_type)
    except WorkflowUpdateFailedError as exc:
        raise refusal(exc, CASE_UPDATE_ERRORS) from None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            return None
        raise engine_error(None, "the process engine did not answer in time; try again",
                           default=ENGINE_BUSY) from None


async def signal_due(client: Client, *, case_id: str, change: DueChanged) -> None:
    """Tell a running case that a task's due time moved (ignored if the case has ended)."""
    try:
        await client.get_workflow_handle(case_id).signal(CaseWorkflow.task_due_changed, change)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise


async def signal_deadline(client: Client, *, case_id: str, change: Any) -> None:
    """Tell a running case that one of its named deadlines moved (a workflow without a notice ignores it)."""
    try:
        await client.get_workflow_handle(case_id).signal(NoticeWorkflow.deadline_changed, change)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise


async def case_signal(client: Client, *, case_id: str, signal: Callable[..., Any], arg: Any) -> bool:
    """Send a signal to a case's workflow; False when its process has ended."""
    try:
        await client.get_workflow_handle(case_id).signal(signal, arg)
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            return False
        raise
    return True
