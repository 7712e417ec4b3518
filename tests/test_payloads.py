"""payloads.py: the shared Pydantic converter writes what `pydantic_data_converter` writes, and the workers skip only the
payload walks that cannot change anything (issue 12, thirteenth round)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
import temporalio.bridge.worker as bridge_worker
from temporalio.api.common.v1 import Payload
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec, WorkflowSerializationContext

import payloads
from payloads import DATA_CONVERTER, SharedPydanticPayloadConverter, payload_walks_as_shipped, skip_empty_payload_walks
from workflows.types import DecisionInput


class Marking(PayloadCodec):
    """A codec that marks what it decodes, to see whether a walk ran."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload(metadata=p.metadata, data=b"decoded:" + p.data) for p in payloads]


def _activation(data: bytes) -> WorkflowActivation:
    act = WorkflowActivation(run_id="r1")
    job = act.jobs.add()
    job.signal_workflow.signal_name = "s"
    job.signal_workflow.input.add(metadata={"encoding": b"json/plain"}, data=data)
    return act


def test_the_converter_is_built_once_and_serves_every_context() -> None:
    assert SharedPydanticPayloadConverter() is SharedPydanticPayloadConverter()
    assert DataConverter(payload_converter_class=SharedPydanticPayloadConverter).payload_converter is not None
    context = WorkflowSerializationContext(namespace="default", workflow_id="voucher-1")
    assert DATA_CONVERTER.with_context(context) is DATA_CONVERTER  # no new converter per activation


async def test_it_writes_and_reads_what_the_pydantic_converter_does() -> None:
    values = [DecisionInput(task_id="t.1", decision="approve", actor="reviewer", comment="同意", data={"n": 1}),
              datetime(2026, 11, 29, 8, 0, tzinfo=UTC), {"fen": 600_000, "items": ["a", None]}, "文本", None]
    ours, theirs = await DATA_CONVERTER.encode(values), await pydantic_data_converter.encode(values)
    assert [(p.metadata, p.data) for p in ours] == [(p.metadata, p.data) for p in theirs]
    back = await DATA_CONVERTER.decode(theirs, [DecisionInput, datetime, dict, str, type(None)])
    assert back == values


async def test_the_walks_are_skipped_without_a_codec_and_run_with_one() -> None:
    # The tripwire: on the SDK the project installs, the walks are the ones payloads.py was written against. After an
    # SDK upgrade that changed them this fails (the workers then walk as shipped): look at payloads.py again.
    assert payloads._walks_changed() is None
    assert skip_empty_payload_walks() is True
    assert skip_empty_payload_walks() is True  # idempotent: wrapped once
    assert not hasattr(bridge_worker.decode_activation.flow168_wraps, "flow168_wraps")  # type: ignore[attr-defined]

    plain = _activation(b'"x"')
    await bridge_worker.decode_activation(plain, DATA_CONVERTER, decode_headers=True, storage_concurrency_limit=1)
    assert plain.jobs[0].signal_workflow.input[0].data == b'"x"'

    coded = _activation(b'"x"')
    await bridge_worker.decode_activation(coded, DataConverter(payload_codec=Marking()), decode_headers=True,
                                          storage_concurrency_limit=1)
    assert coded.jobs[0].signal_workflow.input[0].data == b'decoded:"x"'

    with payload_walks_as_shipped():  # the benchmarks' bare comparator: the SDK's own functions, then ours again
        assert not hasattr(bridge_worker.decode_activation, "flow168_wraps")
        assert not hasattr(bridge_worker.encode_completion, "flow168_wraps")
    assert hasattr(bridge_worker.encode_completion, "flow168_wraps")


async def test_a_skipped_walk_is_not_called_and_a_needed_one_is() -> None:
    calls: list[object] = []

    async def walk(message: object, data_converter: DataConverter, *args: object, **kw: object) -> object:
        calls.append(data_converter)
        return "walked"

    wrapped = payloads._skipping(walk)  # type: ignore[arg-type]
    metrics = await wrapped(None, DATA_CONVERTER, True, 1)
    assert calls == [] and metrics.payload_count == 0
    with_codec = DataConverter(payload_codec=Marking())
    assert await wrapped(None, with_codec, True, 1) == "walked" and calls == [with_codec]


def test_a_changed_sdk_is_left_as_shipped(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    async def decode_activation(activation: object, data_converter: object) -> None:  # a new, different signature
        return None

    monkeypatch.setattr(bridge_worker, "decode_activation", decode_activation)
    assert skip_empty_payload_walks() is False
    assert bridge_worker.decode_activation is decode_activation
    assert "walks every payload" in caplog.text
