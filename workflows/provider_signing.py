"""The yearly signing of service providers (000 四 "平台每年经过评审，择优确定各服务类型的服务机构"; 001 三(三)10).

One long-running workflow (id `provider-signing`), started once by the worker (a singleton of provider admission's
spec). It sleeps on a durable timer until 00:00 Asia/Shanghai on the 1st of each month and runs the sweep: terms that
ended are ended (the provider leaves the signed list), connected window platforms are signed by rule (000 四
"平台网络各级平台直接视为签约服务机构"), and in December (the round) a re-review admission case is opened for every
provider whose term ends within the next twelve months; the sweep starts them as admission workflows (abandoned
children: they outlive the sweep's run), which go through the operator, the blind panel and the department like a
first admission, and a filed re-review extends the term by a year. Timers, so it fires under the simulated clock too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from rules.calendar import SHANGHAI
    from workflows.provider_admission import ProviderAdmissionWorkflow
    from workflows.provider_admission_types import PROVIDER_SIGNING_SWEEP, SweepAt, SweepInput, Swept

SIGNING_ID = "provider-signing"
_TIMEOUT = timedelta(seconds=60)
_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), non_retryable_error_types=["RuleViolation"])


def first_sweep_input(now: datetime) -> SweepInput:
    """The first run sweeps on the 1st of the next month."""
    local = now.astimezone(SHANGHAI)
    return SweepInput(year=local.year + (local.month == 12), month=local.month % 12 + 1)


def sweep_at(inp: SweepInput) -> datetime:
    return datetime(inp.year, inp.month, 1, tzinfo=SHANGHAI)


@workflow.defn
class ProviderSigningWorkflow:
    """Sleep until the 1st, sweep, start the round's re-reviews, continue as new for the next month."""

    @workflow.run
    async def run(self, inp: SweepInput) -> None:
        due = sweep_at(inp)
        if due > workflow.now():
            await workflow.sleep(due - workflow.now())
        swept: Swept = await workflow.execute_activity(
            PROVIDER_SIGNING_SWEEP, SweepAt(year=inp.year, month=inp.month, at=workflow.now()), result_type=Swept,
            start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
        for case in swept.renewals:
            try:
                await workflow.start_child_workflow(ProviderAdmissionWorkflow.run, case, id=case.case_id,
                                                    parent_close_policy=ParentClosePolicy.ABANDON)
            except WorkflowAlreadyStartedError:
                pass  # started before (the case ids are the round's, one per provider and year)
        year, month = (inp.year + 1, 1) if inp.month == 12 else (inp.year, inp.month + 1)
        workflow.continue_as_new(SweepInput(year=year, month=month))
