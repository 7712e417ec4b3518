"""Replay: every recorded history of every workflow type must replay on the current code, so a deploy
cannot break a running case. Refresh the files with FLOW168_RECORD_HISTORIES=1 (then review the diff)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from payloads import DATA_CONVERTER
from processes.registry import workflows
from tests.conftest import Stack
from tests.helpers import case_status, complete, login, org_body, register_approved, task_of

pytestmark = pytest.mark.workflow
HISTORIES = Path(__file__).parent / "histories"


def replayer() -> Replayer:
    return Replayer(workflows=workflows(), data_converter=DATA_CONVERTER)


def recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


@pytest.mark.parametrize("path", recorded(), ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await replayer().replay_workflow(history)


def test_every_workflow_type_has_a_recorded_history() -> None:
    names = {p.stem.split("__")[0] for p in recorded()}
    assert names >= {w.__name__ for w in workflows()}


async def test_fresh_histories_replay(stack: Stack) -> None:
    """Drive each process (with a return for correction) and replay what it recorded just now."""
    http = stack.http
    reg = await http.post("/api/register", json=org_body("enterprise"))
    op = await login(http, "operator1")
    await complete(http, op, await task_of(http, op, "registration.review", reg.json()["case_id"]), "reject",
                   comment="材料不全")
    prov, _ = await register_approved(http, "provider")
    from tests.api.test_provider_admission import licence, panel
    data = {"categories": ["ip"], "service_items": [{"name": "专利代理", "price_fen": 500000}], "description": "知识产权",
            "licences": [await licence(stack, prov)]}  # IP agency needs its practice licence (000 四)
    case = (await http.post("/api/cases", headers={**prov, "Idempotency-Key": uuid.uuid4().hex},
                            json={"type": "provider_admission", "data": data})).json()
    await complete(http, op, await task_of(http, op, "provider_admission.operator_review", case["id"]), "return",
                   comment="请补充材料")
    await complete(http, prov, await task_of(http, prov, "provider_admission.correction", case["id"]), "submit", data=data)
    await complete(http, op, await task_of(http, op, "provider_admission.operator_review", case["id"]))
    await panel(stack, case["id"])  # the blind panel (patch "provider-admission-panel")
    dep = await login(http, "department2")
    await complete(http, dep, await task_of(http, dep, "provider_admission.department_filing", case["id"]))
    await case_status(http, prov, case["id"], {"filed"})
    await case_status(http, op, reg.json()["case_id"], {"rejected"})
    for wf_id, name in ((reg.json()["case_id"], "RegistrationWorkflow__v2"),
                        (case["id"], "ProviderAdmissionWorkflow__v4")):  # v3: return-one-notice; v4: local-activities
        history = await stack.client.get_workflow_handle(wf_id).fetch_history()
        await replayer().replay_workflow(history)
        path = HISTORIES / f"{name}.json"
        if os.environ.get("FLOW168_RECORD_HISTORIES") and not path.exists():  # keep what was recorded before
            HISTORIES.mkdir(parents=True, exist_ok=True)
            path.write_text(history.to_json())
