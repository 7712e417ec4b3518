"""The providers' star rating (003 art. 11(2): the operator proposes the rating, ranking and adjustments, the bureau
reviews, the result is publicly noticed before it takes effect; 001 三(三)10 评星定级) on fake activities."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.replay.test_replay import HISTORIES, replayer
from tests.workflows.harness import FakeActivities, Harness
from workflows.provider_rating import ProviderRatingWorkflow
from workflows.provider_rating_types import (
    APPLY_RATING,
    PROPOSE_RATING,
    REVISE_RATING,
    RatingCount,
    RatingRun,
    RatingStep,
)

pytestmark = pytest.mark.workflow
PROPOSAL, APPROVAL = "provider_rating.proposal", "provider_rating.approval"


@pytest.fixture
def fakes() -> FakeActivities:
    f = FakeActivities()
    f.add(PROPOSE_RATING, RatingStep, RatingCount(providers=12))
    f.add(REVISE_RATING, RatingStep)
    f.add(APPLY_RATING, RatingStep)
    return f


async def _start(h: Harness) -> str:
    case_id = f"PR-FAST-{uuid.uuid4().hex[:8]}"
    await h.start(ProviderRatingWorkflow.run, RatingRun(case_id=case_id, case_type="provider_rating",
                                                       applicant_username="operator1"), id=case_id)
    return case_id


async def test_proposal_review_notice_then_effect(harness: Harness) -> None:
    """003 art. 11(2): proposal (with the operator's changes) → the bureau returns it → revised → approved → 公示 →
    the result takes effect only after the notice closes without an upheld objection."""
    case_id = await _start(harness)
    f = harness.fakes
    changes = {"7": {"stars": 3, "adjustment": "keep", "reason": "整改到位"}}
    await harness.step(PROPOSAL, "submit", "operator1", case_id=case_id, data={"changes": changes})
    approval = await f.task(APPROVAL, case_id)
    assert f.inputs(REVISE_RATING, case_id)[0].changes == changes
    await harness.decide(approval, "return", "department1", comment="请说明第3名依据")
    await harness.step(PROPOSAL, "submit", "operator1", case_id=case_id, data={})
    await harness.step(APPROVAL, "approve", "department1", case_id=case_id)
    await f.call("draft_document", case_id, lambda i: i.kind == "public_notice")
    assert f.inputs(APPLY_RATING, case_id) == []  # not before the notice closes
    assert await harness.result(case_id) == "published"
    names = f.names(case_id)
    assert names.index("close_public_notice") < names.index(APPLY_RATING)
    assert f.statuses(case_id) == ["in_review", "returned", "public_notice", "published"]
    history = await harness.handle(case_id).fetch_history()
    await replayer().replay_workflow(history)
    path = HISTORIES / "ProviderRatingWorkflow__v2.json"
    if os.environ.get("FLOW168_RECORD_HISTORIES") and not path.exists():
        path.write_text(history.to_json())


async def test_the_bureau_rejects(harness: Harness) -> None:
    case_id = await _start(harness)
    await harness.step(PROPOSAL, "submit", "operator1", case_id=case_id)
    await harness.step(APPROVAL, "reject", "department1", case_id=case_id, comment="依据不足")
    assert await harness.result(case_id) == "rejected"
    assert APPLY_RATING not in harness.fakes.names(case_id)
