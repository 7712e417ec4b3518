"""The monthly voucher statistics (003 art. 10): drafted on the first working day of each month, sent to the department.

Mechanism: one long-running workflow (id `voucher-statistics`) that sleeps on a durable timer until 09:00 of the
next month's first working day, drafts the report of the month before, then continues as new. Timers fire on the
real clock and under the simulated clock alike (the time-skipping server has no Schedules). Every voucher case
started it as an abandoned child until patch "statistics-started-by-worker"; now the worker starts it once at
start-up (processes/voucher.py declares it as a singleton; a second start is a no-op).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from rules.calendar import SHANGHAI
    from workflows.types import NOTIFY, DocumentRef, NotifyInput
    from workflows.voucher_types import (
        DRAFT_STATISTICS,
        NEXT_REPORT_AT,
        NextReport,
        StatisticsDraftInput,
        StatisticsInput,
    )

STATISTICS_ID = "voucher-statistics"


def first_statistics_input(now: datetime) -> StatisticsInput:
    """The first run reports the month of `now` (on the first working day of the next month)."""
    local = now.astimezone(SHANGHAI)
    return StatisticsInput(year=local.year, month=local.month)
_TIMEOUT = timedelta(seconds=60)
_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), non_retryable_error_types=["RuleViolation"])


@workflow.defn
class VoucherStatisticsWorkflow:
    """Sleep until the report is due, draft it, continue as new for the next month."""

    @workflow.run
    async def run(self, inp: StatisticsInput) -> None:
        nxt: NextReport = await workflow.execute_activity(
            NEXT_REPORT_AT, StatisticsDraftInput(year=inp.year, month=inp.month, at=workflow.now()),
            result_type=NextReport, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
        if nxt.report_at > workflow.now():
            await workflow.sleep(nxt.report_at - workflow.now())
        ref: DocumentRef = await workflow.execute_activity(
            DRAFT_STATISTICS, StatisticsDraftInput(year=inp.year, month=inp.month, at=workflow.now()),
            result_type=DocumentRef, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
        await workflow.execute_activity(NOTIFY, NotifyInput(
            key=f"{STATISTICS_ID}.{inp.year}-{inp.month:02d}", subject=f"{inp.year}年{inp.month}月服务券发放和结算情况报告",
            body=f"报告已生成（{ref.doc_number}），下载：/api/documents/{ref.id}", kind="report",
            roles=["department"], at=workflow.now()), start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
        year, month = (inp.year + 1, 1) if inp.month == 12 else (inp.year, inp.month + 1)
        workflow.continue_as_new(StatisticsInput(year=year, month=month))
