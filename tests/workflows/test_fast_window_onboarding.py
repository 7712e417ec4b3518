"""Window onboarding's application paths on the fast harness (tests/workflows/harness.py): the hub's return and
the correction, the blind parallel panel and its verdict by rule, the bureau's refusal, an objection upheld, and a
failed connection check sent back to adaptation before `connected`. The connected life (a year's reports across the
hand-over, agreements, disconnection) is in test_window_onboarding.py."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from rules.calendar import SHANGHAI
from tests.workflows.harness import FakeActivities, Harness
from workflows.notice_types import ObjectionInput
from workflows.window_onboarding import WindowOnboardingWorkflow
from workflows.window_types import (
    CONNECT_WINDOW,
    DECIDE_AGREEMENT,
    END_AGREEMENTS,
    PREPARE_WINDOW,
    WINDOW_REPORTS,
    Connected,
    ConnectInput,
    DecideAgreementInput,
    EndAgreementsInput,
    PrepareWindowInput,
    ReportsInput,
    ReportsPlan,
    WindowPrepared,
    WindowRun,
)

pytestmark = pytest.mark.workflow

EXPERTS = ["expert1", "expert2", "expert3"]
ASSESS = "window_onboarding.expert_assessment"


@pytest.fixture
def fakes() -> FakeActivities:
    """The harness's fakes plus window onboarding's own activities."""
    f = FakeActivities()
    f.add(PREPARE_WINDOW, PrepareWindowInput, WindowPrepared(experts=EXPERTS, platform_name="测试窗口平台"))
    f.add(CONNECT_WINDOW, ConnectInput,
          lambda i: Connected(connected_at=i.at, connected_on=i.at.astimezone(SHANGHAI).date()))
    f.add(WINDOW_REPORTS, ReportsInput, ReportsPlan(reports=[]))
    f.add(DECIDE_AGREEMENT, DecideAgreementInput)
    f.add(END_AGREEMENTS, EndAgreementsInput)
    return f


async def _start(h: Harness) -> str:
    case_id = f"WO-FAST-{uuid.uuid4().hex[:8]}"
    await h.start(WindowOnboardingWorkflow.run, WindowRun(
        case_id=case_id, case_type="window_onboarding", applicant_username="builder_a", applicant_org_id=9,
        city="yinchuan"), id=case_id)
    return case_id


async def _panel(h: Harness, case_id: str, *scores: tuple[int, str]) -> None:
    tasks = await h.fakes.tasks_of(ASSESS, 3, case_id)
    assert sorted(t.spec.assignee or "" for t in tasks) == EXPERTS  # one task per named expert, all open at once
    for task, (score, decision) in zip(sorted(tasks, key=lambda t: t.spec.assignee or ""), scores, strict=True):
        await h.decide(task, decision, task.spec.assignee or "", data={"score": score, "opinion": "意见"})


async def _to_notice(h: Harness, case_id: str) -> None:
    await h.step("window_onboarding.hub_review", "approve", "operator1", case_id=case_id)
    await _panel(h, case_id, (80, "approve"), (70, "approve"), (40, "reject"))
    await h.step("window_onboarding.bureau_approval", "approve", "department1", case_id=case_id)
    await h.fakes.call("draft_document", case_id, lambda i: i.kind == "public_notice")


class TestApplication:
    async def test_returned_corrected_then_refused_by_the_panel(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await harness.step("window_onboarding.hub_review", "return", "operator1", case_id=case_id, comment="补充材料")
        fix = await harness.fakes.task("window_onboarding.correction", case_id)
        assert (fix.spec.role, fix.spec.org_id, fix.spec.decisions) == ("platform_org", 9, ["submit"])
        await harness.decide(fix, "submit", "builder_a", data={"staff": 20})
        await harness.step("window_onboarding.hub_review", "approve", "operator2", case_id=case_id)
        await _panel(harness, case_id, (65, "approve"), (55, "reject"), (50, "reject"))
        assert await harness.result(case_id) == "rejected"
        panel = next(i.result["expert_panel"] for i in harness.fakes.inputs("update_case_result", case_id)
                     if "expert_panel" in i.result)
        assert (panel["mean"], panel["approvals"], panel["passed"]) == ("56.7", 1, False)
        assert "returned" in harness.fakes.statuses(case_id)

    async def test_the_bureau_refuses(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await harness.step("window_onboarding.hub_review", "approve", "operator1", case_id=case_id)
        await _panel(harness, case_id, (90, "approve"), (80, "approve"), (70, "approve"))
        bureau = await harness.fakes.task("window_onboarding.bureau_approval", case_id)
        assert bureau.spec.role == "department" and "平均分80.0" in bureau.spec.summary
        await harness.decide(bureau, "reject", "department1", comment="不符合布局")
        assert await harness.result(case_id) == "rejected"
        assert "onboarding_approval" not in harness.fakes.drafted(case_id)

    async def test_an_upheld_objection_stops_it(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await _to_notice(harness, case_id)
        assert harness.fakes.drafted(case_id)[:2] == ["onboarding_approval", "public_notice"]
        await harness.handle(case_id).execute_update(
            WindowOnboardingWorkflow.file_objection,
            ObjectionInput(name="张三", contact="13900000000", reason="场所不实", key="o-1"), id="o-1")
        await harness.step("notice.objection_review", "uphold", "department2", case_id=case_id, comment="属实")
        assert await harness.result(case_id) == "rejected"
        assert not harness.fakes.open_tasks(case_id=case_id)

    async def test_failed_check_back_to_adaptation_then_connected(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await _to_notice(harness, case_id)
        await harness.env.sleep(timedelta(days=10))  # past the notice's close (the fake's 7 calendar days)
        await harness.step("window_onboarding.adaptation", "submit", "builder_a", case_id=case_id,
                           data={"report": "改造完成"})
        await harness.step("window_onboarding.connection_check", "reject", "operator1", case_id=case_id,
                           comment="未联通", data={"passed": False, "report": "数据接口未联通"})
        again = await harness.fakes.task("window_onboarding.adaptation", case_id)
        assert again.id.endswith(".adaptation.2") and "数据接口未联通" in again.spec.summary
        await harness.decide(again, "submit", "builder_a", data={"report": "已联通"})
        await harness.step("window_onboarding.connection_check", "approve", "operator2", case_id=case_id,
                           data={"passed": True, "report": "通过"})
        await harness.fakes.call(WINDOW_REPORTS, case_id)  # connected: the first yearly run asks for its reports
        assert "connected" in harness.fakes.statuses(case_id)
        assert "cooperation_agreement" in harness.fakes.drafted(case_id)
