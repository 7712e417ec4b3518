"""The public notice (公示) as a shared piece: a period of N working days, real-name objections during it,
one investigation task per objection, and the close. Certification uses it (seed 002 art. 12); window-platform
onboarding will too (seed 004 art. 8-10).

Objections are an Update, not a signal: the person filing one must hear at once whether it was accepted, and the
validator refuses an anonymous one or one after the close before anything is written.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.human import CaseWorkflow, run_activity

with workflow.unsafe.imports_passed_through():
    from rules.calendar import SHANGHAI
    from workflows.notice_types import (
        CLOSE_NOTICE,
        DECIDE_OBJECTION,
        NOTICE_PERIOD,
        OPEN_NOTICE,
        RECORD_OBJECTION,
        DeadlineChanged,
        DecideObjectionInput,
        NoticeOutcome,
        NoticePeriod,
        NoticeRef,
        ObjectionFiled,
        ObjectionInput,
        OpenNoticeInput,
        RecordObjectionInput,
    )
    from workflows.types import StepSpec

OBJECTION_REVIEW = "notice.objection_review"


def local_time(period: NoticePeriod) -> str:
    """The close as people read it: 24:00 of the last day, Asia/Shanghai."""
    return f"{period.ends_on.isoformat()} 24:00 (Asia/Shanghai)"


class NoticeWorkflow(CaseWorkflow):
    """A case workflow that can run a public notice; subclasses call `await self.public_notice(...)`."""

    def __init__(self) -> None:
        super().__init__()
        self._notice: NoticePeriod | None = None
        self._notice_open = False
        self._notice_moved = False
        self._objections: list[tuple[int, ObjectionInput]] = []
        self._objections_in_flight = 0
        self._upheld: str | None = None

    @workflow.update
    async def file_objection(self, objection: ObjectionInput) -> ObjectionFiled:
        """Record a real-name objection; the notice loop opens its investigation task."""
        assert self._notice is not None
        self._objections_in_flight += 1
        try:
            objection_id: int = await run_activity(
                RECORD_OBJECTION,
                RecordObjectionInput(key=objection.key, case_id=self._case_id, notice=self._notice.name,
                                     name=objection.name.strip(), contact=objection.contact.strip(),
                                     reason=objection.reason.strip(), at=workflow.now()),
                int,
            )
            self._objections.append((objection_id, objection))
        finally:
            self._objections_in_flight -= 1
        return ObjectionFiled(objection_id=objection_id, closes_at=self._notice.closes_at)

    @file_objection.validator
    def _validate_objection(self, objection: ObjectionInput) -> None:
        if not objection.name.strip() or not objection.contact.strip():
            raise ApplicationError("anonymous objections are not accepted: give your real name and a contact",
                                   type="Anonymous")
        if not objection.reason.strip():
            raise ApplicationError("give the reason of the objection", type="InvalidObjection")
        if self._notice is None:
            raise ApplicationError("this case is not in a public notice period; objections are accepted only "
                                   "during one", type="NoticeClosed")
        if not self._notice_open or workflow.now() >= self._notice.closes_at:
            raise ApplicationError(f"the public notice closed at {local_time(self._notice)}; objections filed "
                                   "after the close are not accepted", type="NoticeClosed")

    @workflow.signal
    def deadline_changed(self, change: DeadlineChanged) -> None:
        """A calendar change moved the notice's close (PUT /api/admin/calendar/{year})."""
        if self._notice is not None and change.name == self._notice.name:
            ends_on = (change.closes_at.astimezone(SHANGHAI) - timedelta(microseconds=1)).date()
            self._notice = self._notice.model_copy(update={"closes_at": change.closes_at, "ends_on": ends_on})
            self._notice_moved = True

    @workflow.query
    def notice_period(self) -> NoticePeriod | None:
        return self._notice

    async def public_notice(self, *, working_days: int, name: str = "public_notice") -> NoticeOutcome:
        """Publish the notice, investigate each objection, close it; stop early when an objection is upheld."""
        period: NoticePeriod = await run_activity(
            OPEN_NOTICE, OpenNoticeInput(case_id=self._case_id, name=name, working_days=working_days,
                                         at=workflow.now()), NoticePeriod)
        self._notice, self._notice_open, self._upheld = period, True, None
        await self.draft_notice(name, period, working_days)
        reviews: list[asyncio.Task[None]] = []
        while self._upheld is None:
            while len(reviews) < len(self._objections):
                oid, objection = self._objections[len(reviews)]
                reviews.append(asyncio.create_task(self._review_objection(oid, objection)))
            now = workflow.now()
            if self._notice_open and now >= self._notice.closes_at:
                # The close time was reached; a calendar entered meanwhile may have moved it later.
                latest: NoticePeriod = await run_activity(
                    NOTICE_PERIOD, NoticeRef(case_id=self._case_id, name=name, at=now), NoticePeriod)
                if latest.closes_at > workflow.now():
                    self._notice = latest
                    continue
                self._notice_open = False
            if not self._notice_open and self._objections_in_flight == 0 and len(reviews) == len(self._objections) \
                    and all(r.done() for r in reviews):
                break
            self._notice_moved = False
            seen = len(self._objections)
            timeout = (self._notice.closes_at - now) if self._notice_open else None
            try:
                await workflow.wait_condition(
                    lambda seen=seen: len(self._objections) > seen or self._notice_moved or self._upheld is not None
                    or (not self._notice_open and self._objections_in_flight == 0
                        and all(r.done() for r in reviews)),
                    timeout=timeout,
                )
            except TimeoutError:
                pass
        for r in reviews:
            if not r.done():
                r.cancel()
        for r in reviews:
            if r.done() and not r.cancelled() and r.exception() is not None:
                raise r.exception()  # type: ignore[misc]
        self._notice_open = False
        await run_activity(CLOSE_NOTICE, NoticeRef(case_id=self._case_id, name=name, at=workflow.now()))
        return NoticeOutcome(period=self._notice, objections=len(self._objections), upheld=self._upheld)

    async def draft_notice(self, name: str, period: NoticePeriod, working_days: int) -> None:
        """Draft the notice's document: the case's own by default; a process publishing one list for many cases
        (certification's yearly 拟认定名单) drafts the list instead."""
        await self.draft("public_notice", key=name, params={
            "starts_on": period.starts_on.isoformat(), "ends_on": period.ends_on.isoformat(),
            "working_days": working_days})

    async def _review_objection(self, objection_id: int, objection: ObjectionInput) -> None:
        """The department investigates one objection: uphold stops the case, dismiss lets the notice run on."""
        decision = await self.human_step(StepSpec(
            step="objection_review", type=OBJECTION_REVIEW, title="公示异议调查核实", role="department",
            decisions=["uphold", "dismiss"], form="objection_review",
            summary=f"异议人：{objection.name}（{objection.contact}）；异议理由：{objection.reason}"))
        await run_activity(DECIDE_OBJECTION, DecideObjectionInput(
            objection_id=objection_id, task_id=decision.task_id, decision=decision.decision,
            comment=decision.comment, at=workflow.now()))
        if decision.decision == "uphold" and self._upheld is None:
            self._upheld = f"公示期间异议经调查成立：{objection.reason}（{decision.comment}）"
