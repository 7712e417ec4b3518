"""Certification's application paths on fake activities (tests/workflows/harness.py): the city's decline, the
precheck's return and correction, the blind parallel expert panel, and the public notice with an objection upheld
or dismissed. The title's life after the grant (years of leaps) stays in test_certification_life.py."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from tests.workflows.harness import Harness
from workflows.certification import CertificationWorkflow
from workflows.certification_types import CertificationRun, ListInput, ListState
from workflows.notice_types import ObjectionFiled, ObjectionInput

pytestmark = pytest.mark.workflow

EXPERTS = ["expert1", "expert2", "expert3"]  # the fake prepare_certification's panel
REVIEW = "certification.expert_review"


async def _start(h: Harness) -> str:
    case_id = f"CERT-FAST-{uuid.uuid4().hex[:8]}"
    await h.start(CertificationWorkflow.run, CertificationRun(
        case_id=case_id, case_type="certification", applicant_username="plat_a", applicant_org_id=9, city="yinchuan"),
        id=case_id)
    return case_id


async def _to_precheck(h: Harness, case_id: str) -> None:
    await h.step("certification.city_recommendation", "recommend", "city_yinchuan", case_id=case_id,
                 data={"score": 88})


async def _to_notice(h: Harness, case_id: str) -> None:
    """Recommendation, precheck, three experts, site visit and decision approve: the notice opens."""
    await _to_precheck(h, case_id)
    await h.step("certification.precheck", "approve", "department1", case_id=case_id)
    for task in await h.fakes.tasks_of(REVIEW, 3, case_id):
        await h.decide(task, "approve", task.spec.assignee or "", data={"score": 90, "opinion": "同意"})
    await h.step("certification.onsite_inspection", "approve", "department1", case_id=case_id, data={"passed": True})
    decision = await h.fakes.task("certification.decision", case_id)
    assert decision.excluded_users == ["department1"]  # four-eyes: not the precheck's reviewer
    await h.decide(decision, "approve", "department2")
    # The year's list notice is drafted once the workflow holds its period: objections are accepted from then on.
    await h.fakes.call("draft_certification_batch_document", case_id, lambda i: i.kind == "public_notice")


def _objection(reason: str = "该平台服务人员数量不实") -> ObjectionInput:
    return ObjectionInput(name="张三", contact="13900000000", reason=reason, key=f"obj-{uuid.uuid4().hex[:6]}")


class TestApplication:
    async def test_the_city_bureau_declines(self, harness: Harness) -> None:
        case_id = await _start(harness)
        rec = await harness.fakes.task("certification.city_recommendation", case_id)
        assert (rec.spec.role, rec.spec.city, rec.spec.decisions) == ("city_bureau", "yinchuan", ["recommend", "decline"])
        await harness.decide(rec, "decline", "city_yinchuan", comment="服务能力不足", data={"score": 52})
        assert await harness.result(case_id) == "rejected"
        f = harness.fakes
        form = f.inputs("draft_document", case_id)[0]
        assert (form.kind, form.issuer, form.params) == ("recommendation_form", "yinchuan",
                                                        {"recommended": False, "score": 52})
        final = f.inputs("set_case_status", case_id)[-1]
        assert final.result == {"reason": "市工信局不予推荐：服务能力不足"} and final.closed
        assert [i.spec.type for i in f.inputs("open_task", case_id)] == ["certification.city_recommendation"]
        assert f.notified(case_id) == ["result"]

    async def test_precheck_returns_for_correction_and_resumes(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await _to_precheck(harness, case_id)
        first = await harness.step("certification.precheck", "return", "department1", case_id=case_id,
                                   comment="缺少财务报表")
        correction = await harness.fakes.task("certification.correction", case_id)
        assert (correction.spec.role, correction.spec.org_id) == ("platform_org", 9)
        await harness.decide(correction, "submit", "plat_a", data={"materials": {"finance": "upload-1"}})
        again = await harness.step("certification.precheck", "reject", "department1", case_id=case_id,
                                   comment="财务报表不符合要求")
        assert (first.id, again.id) == (f"{case_id}.precheck.1", f"{case_id}.precheck.2")
        assert await harness.result(case_id) == "rejected"
        f = harness.fakes
        assert f.statuses(case_id) == ["in_review", "returned", "in_review", "rejected"]
        assert f.inputs("set_case_status", case_id)[-1].result == {"reason": "初审未通过：财务报表不符合要求"}
        assert f.notified(case_id) == ["returned", "result"]
        assert [i.task_id for i in f.inputs("close_task", case_id) if i.update_case_data] == [correction.id]

    async def test_the_expert_panel_is_blind_and_parallel(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await _to_precheck(harness, case_id)
        await harness.step("certification.precheck", "approve", "department1", case_id=case_id)
        tasks = await harness.fakes.tasks_of(REVIEW, 3, case_id)
        # One task per named expert, all open at once, each showing nothing of the others.
        assert sorted((x.spec.step, x.spec.assignee) for x in tasks) == [
            ("expert_review_1", "expert1"), ("expert_review_2", "expert2"), ("expert_review_3", "expert3")]
        assert {x.spec.role for x in tasks} == {"expert"} and {x.spec.summary for x in tasks} == {""}
        by_expert = {x.spec.assignee: x for x in tasks}
        await harness.decide(by_expert["expert3"], "reject", "expert3", data={"score": 55, "opinion": "特色不突出"})
        await harness.decide(by_expert["expert1"], "approve", "expert1", data={"score": 91, "opinion": "同意"})
        f = harness.fakes
        assert f.inputs("update_case_result", case_id) == [] and f.open_tasks("certification.onsite_inspection") == []
        assert [x.id for x in f.open_tasks(REVIEW, case_id)] == [by_expert["expert2"].id]
        await harness.decide(by_expert["expert2"], "approve", "expert2", data={"score": 84, "opinion": "基本同意"})
        onsite = await f.task("certification.onsite_inspection", case_id)
        scores = f.inputs("update_case_result", case_id)[0].result["expert_reviews"]
        assert [(s["expert"], s["decision"], s["score"]) for s in scores] == [
            ("expert1", "approve", 91), ("expert2", "approve", 84), ("expert3", "reject", 55)]
        await harness.decide(onsite, "approve", "department1", data={"passed": False}, comment="场地与申报不符")
        assert await harness.result(case_id) == "rejected"
        assert f.inputs("set_case_status", case_id)[-1].result == {"reason": "实地考察未通过：场地与申报不符"}

    async def test_the_panel_result_and_a_departure_with_its_reason(self, harness: Harness) -> None:
        """002 art. 12: the verdicts aggregate by rule (a majority of the panel; here 1 of 3 approves: reject); the
        department decides on the decision form, and a decision against the panel records its reason."""
        case_id = await _start(harness)
        await _to_precheck(harness, case_id)
        await harness.step("certification.precheck", "approve", "department1", case_id=case_id)
        for task, verdict in zip(await harness.fakes.tasks_of(REVIEW, 3, case_id), ["approve", "reject", "reject"],
                                 strict=True):
            await harness.decide(task, verdict, task.spec.assignee or "", data={"score": 70, "opinion": "意见"})
        f = harness.fakes
        await f.task("certification.onsite_inspection", case_id)
        panel = f.inputs("update_case_result", case_id)[0].result["panel_result"]
        assert (panel["decision"], panel["approvals"], panel["size"]) == ("reject", 1, 3) and "第十二条" in panel["basis"]
        await harness.step("certification.onsite_inspection", "approve", "department1", case_id=case_id,
                           data={"passed": True})
        decision = await f.task("certification.decision", case_id)
        assert decision.spec.form == "certification_decision"
        await harness.decide(decision, "approve", "department2", data={"departure_reason": "实地考察服务业绩突出"})
        await f.call("draft_certification_batch_document", case_id, lambda i: i.kind == "public_notice")
        recorded = f.inputs("update_case_result", case_id)[-1].result
        assert recorded == {"departs_from_panel": True, "departure_reason": "实地考察服务业绩突出"}


class TestPublicNotice:
    async def test_an_upheld_objection_rejects_the_application(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await _to_notice(harness, case_id)
        handle = harness.handle(case_id)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(CertificationWorkflow.file_objection, ObjectionInput(
                name=" ", contact="", reason="匿名举报", key="anon"))
        assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "Anonymous"
        filed: ObjectionFiled = await handle.execute_update(CertificationWorkflow.file_objection, _objection())
        f = harness.fakes
        assert filed.closes_at > f.inputs("open_public_notice", case_id)[0].at
        review = await f.task("notice.objection_review", case_id)
        assert "张三" in review.spec.summary and review.spec.decisions == ["uphold", "dismiss"]
        await harness.decide(review, "uphold", "department1", comment="经核实属实")
        assert await harness.result(case_id) == "rejected"
        decided = f.inputs("decide_objection", case_id)[0]
        assert (decided.objection_id, decided.decision) == (filed.objection_id, "uphold")
        assert f.statuses(case_id)[-2:] == ["public_notice", "rejected"]
        assert "经核实属实" in f.inputs("set_case_status", case_id)[-1].message
        assert "cancel_tasks" in f.names(case_id) and "grant_certification" not in f.names(case_id)
        assert f.drafted(case_id) == ["recommendation_form"]
        # 002 art. 12-13: the list documents are the year's; the last case out of its notice asks for the
        # certification notice (drafted only if the year's list has a granted platform).
        assert [i.kind for i in f.inputs("draft_certification_batch_document", case_id)] == [
            "city_summary", "public_notice", "certification_notice"]

    async def test_a_dismissed_objection_lets_the_notice_close_and_the_title_be_granted(self, harness: Harness) -> None:
        case_id = await _start(harness)
        await _to_notice(harness, case_id)
        handle = harness.handle(case_id)
        await handle.execute_update(CertificationWorkflow.file_objection, _objection("材料有误"))
        await harness.step("notice.objection_review", "dismiss", "department1", case_id=case_id, comment="不属实")
        f = harness.fakes
        assert f.inputs("close_public_notice", case_id) == []
        await harness.env.sleep(timedelta(days=10))  # past the notice's close (the fake's 7 calendar days)
        granted = await f.call("set_case_status", case_id, lambda i: i.status == "granted")
        assert granted.closed and set(granted.result) == {"granted_on", "valid_until"}
        assert f.inputs("decide_objection", case_id)[0].decision == "dismiss"
        names = f.names(case_id)
        assert names.index("close_public_notice") < names.index("grant_certification")
        assert f.drafted(case_id) == ["recommendation_form", "certificate"]
        assert [i.kind for i in f.inputs("draft_certification_batch_document", case_id)] == [
            "city_summary", "public_notice", "certification_notice"]
        assert f.statuses(case_id).index("listed") < f.statuses(case_id).index("public_notice")
        assert f.notified(case_id)[-1] == "result"
        with pytest.raises(WorkflowUpdateFailedError) as late:
            await handle.execute_update(CertificationWorkflow.file_objection, _objection("迟到的异议"))
        assert isinstance(late.value.cause, ApplicationError) and late.value.cause.type == "NoticeClosed"
        assert await handle.query(CertificationWorkflow.current_status) == "granted"


class TestYearlyList:
    """002 art. 12: one 拟认定名单 for the year's candidates; objections stay per platform (each case keeps its own
    notice period and objection tasks)."""

    @staticmethod
    def _batch(harness: Harness, *case_ids: str) -> dict[str, str]:
        batch = dict.fromkeys(case_ids, "review")

        def join(i: ListInput) -> ListState:
            batch[i.case_id] = "listed" if i.candidate else "left"
            if all(v != "review" for v in batch.values()):
                return ListState(year=2026, published=True, case_ids=sorted(k for k, v in batch.items() if v == "listed"))
            return ListState(year=2026, published=False)

        harness.fakes.returns("join_certification_list", join)
        return batch

    @staticmethod
    async def _to_decision(h: Harness, case_id: str) -> None:
        await _to_precheck(h, case_id)
        await h.step("certification.precheck", "approve", "department1", case_id=case_id)
        for task in await h.fakes.tasks_of(REVIEW, 3, case_id):
            await h.decide(task, "approve", task.spec.assignee or "", data={"score": 90, "opinion": "同意"})
        await h.step("certification.onsite_inspection", "approve", "department1", case_id=case_id,
                     data={"passed": True})
        await h.step("certification.decision", "approve", "department2", case_id=case_id)

    async def test_002_art_12_the_list_waits_for_the_last_case_of_the_year(self, harness: Harness) -> None:
        a, b = await _start(harness), await _start(harness)
        self._batch(harness, a, b)
        f = harness.fakes
        await self._to_decision(harness, a)
        await f.call("set_case_status", a, lambda i: i.status == "listed")
        await f.call("join_certification_list", a)
        assert f.inputs("open_public_notice", a) == []  # b is still in review: no list yet
        await self._to_decision(harness, b)
        # b's decision completes the batch: b publishes the list and signals a; both notices open.
        await f.call("draft_certification_batch_document", b, lambda i: i.kind == "public_notice")
        await f.call("draft_certification_batch_document", a, lambda i: i.kind == "public_notice")
        assert f.inputs("open_public_notice", a) and f.inputs("open_public_notice", b)
        assert "public_notice" not in f.drafted(a) + f.drafted(b)  # no per-case notice any more
        # Objections stay per platform: one filed against a opens a's investigation only.
        await harness.handle(a).execute_update(CertificationWorkflow.file_objection, _objection())
        await f.task("notice.objection_review", a)
        assert f.open_tasks("notice.objection_review", b) == []

    async def test_002_art_12_a_rejected_last_case_releases_the_list(self, harness: Harness) -> None:
        a, b = await _start(harness), await _start(harness)
        batch = self._batch(harness, a, b)
        f = harness.fakes
        await self._to_decision(harness, a)
        await f.call("join_certification_list", a)
        await harness.step("certification.city_recommendation", "decline", "city_yinchuan", case_id=b,
                           data={"score": 40})
        assert await harness.result(b) == "rejected"
        assert batch[b] == "left"
        await f.call("draft_certification_batch_document", a, lambda i: i.kind == "public_notice")
        assert f.statuses(a)[-2:] == ["listed", "public_notice"]
