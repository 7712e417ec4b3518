"""Starting case workflows and sending them decisions, with Temporal's errors turned into 4xx."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError, Conflict, Invalid
from db.models import Case, User
from processes.registry import spec_of
from workflows.types import DecisionInput, DecisionResult, DueChanged


async def start_case(client: Client, task_queue: str, case: Case, applicant: User | None) -> None:
    """Start the case's workflow (workflow id = case id); a second start is a no-op."""
    spec = spec_of(case.type)
    if spec is None:
        raise ApiError(f"no process is declared for case type {case.type!r}", status=500)
    # The input type the workflow's `run` declares (a subclass of CaseInput, e.g. the certification's run input).
    inp = spec.input_type(case_id=case.id, case_type=case.type,
                          applicant_username=applicant.username if applicant else None,
                          applicant_org_id=case.applicant_org_id, city=case.city)
    try:
        await client.start_workflow(spec.workflow.run, inp, id=case.id, task_queue=task_queue)  # type: ignore[attr-defined]
    except WorkflowAlreadyStartedError:
        pass


async def decide(client: Client, *, case_id: str, decision: DecisionInput) -> DecisionResult:
    """Send the decision Update (id = task id, so a repeated click is deduplicated by the server)."""
    handle = client.get_workflow_handle(case_id)
    try:
        return await handle.execute_update("complete_task", decision, id=decision.task_id,
                                           result_type=DecisionResult)
    except WorkflowUpdateFailedError as exc:
        cause: Any = exc.cause
        msg = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
        kind = cause.type if isinstance(cause, ApplicationError) else None
        if kind == "InvalidDecision":
            raise Invalid(msg) from None
        raise Conflict(msg) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Conflict("this case's process has already ended; the task can no longer be completed") from None
        # Anything else is the engine being busy or restarting; the same Update id makes a retry safe.
        raise ApiError("the process engine did not answer in time; try again (a repeated decision is not "
                       "applied twice)", status=503) from None


async def case_update(client: Client, *, case_id: str, name: str, arg: Any, result_type: type,
                      update_id: str) -> Any:
    """An Update other than a task decision (withdraw, revoke…); None when the case's process has ended.

    A validator's refusal comes back as 409 (422 for a bad argument); the Update id deduplicates a double click."""
    handle = client.get_workflow_handle(case_id)
    try:
        return await handle.execute_update(name, arg, id=update_id, result_type=result_type)
    except WorkflowUpdateFailedError as exc:
        cause: Any = exc.cause
        msg = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
        kind = cause.type if isinstance(cause, ApplicationError) else None
        if kind in ("Anonymous", "InvalidObjection", "InvalidDecision"):
            raise Invalid(msg) from None
        raise Conflict(msg) from None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            return None
        raise ApiError("the process engine did not answer in time; try again", status=503) from None


async def signal_due(client: Client, *, case_id: str, change: DueChanged) -> None:
    """Tell a running case that a task's due time moved (ignored if the case has ended)."""
    try:
        await client.get_workflow_handle(case_id).signal("task_due_changed", change)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise


async def signal_deadline(client: Client, *, case_id: str, change: Any) -> None:
    """Tell a running case that one of its named deadlines moved (a workflow without a notice ignores it)."""
    try:
        await client.get_workflow_handle(case_id).signal("deadline_changed", change)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
