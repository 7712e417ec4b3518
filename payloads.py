"""How flow168's values cross to Temporal: Pydantic JSON (ARCHITECTURE, "decisions"), without two costs the SDK pays
per workflow activation that do nothing for flow168 (issue 12, thirteenth round).

py-spy on the workers during `bench.voucher_life` (temporalio 1.35, 2026-11-29): of the samples holding the GIL,

* 6 % built a new Pydantic payload converter. For every activation and every completion the SDK makes a new
  `DataConverter` (`_CommandAwareDataConverter.create`), whose `__post_init__` instantiates `payload_converter_class`:
  a `SchemaSerializer`, an LRU cache and the composite's five converters, none of which is used afterwards.
  `SharedPydanticPayloadConverter` is built once per process and handed out again: it has no state but its
  TypeAdapter cache (which sharing fills once instead of per activation), and none of its converters takes a
  serialization context. The bytes it writes are those of `pydantic_data_converter`: every recorded history replays.
* 17 % walked every payload of an activation, and of its completion, three times each (reference markers, external
  storage, codec: `temporalio.bridge.worker.decode_activation` / `encode_completion`). Each walk only calls the
  converter's codec and external storage, and flow168 configures neither, so the payloads leave every walk as they
  came in. `skip_empty_payload_walks()` makes the worker skip the walks for a data converter that has no codec and no
  external storage, and leaves them as they are for one that has either. It checks the SDK's functions it wraps
  before it wraps them: if an SDK upgrade changed them it logs a warning and changes nothing (the SDK then behaves as
  shipped) and `tests/test_payloads.py` fails, to ask for a new look.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import temporalio.bridge.worker as bridge_worker
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, SerializationContext
from temporalio.converter._extstore import StorageOperationMetrics

log = logging.getLogger("flow168")


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """`PydanticPayloadConverter`, built once per process: constructing it again returns the same instance."""

    _shared: ClassVar[SharedPydanticPayloadConverter | None] = None

    def __new__(cls) -> SharedPydanticPayloadConverter:
        shared = cls.__dict__.get("_shared")
        if shared is None:
            shared = super().__new__(cls)
            PydanticPayloadConverter.__init__(shared)
            cls._shared = shared  # two threads racing here build two; either serves
        return shared

    def __init__(self) -> None:
        """Built in `__new__`, once: the SDK calls the class for every activation."""

    def with_context(self, context: SerializationContext) -> SharedPydanticPayloadConverter:
        """No converter of flow168's uses the workflow's or activity's identity: the same converter serves them all."""
        return self


DATA_CONVERTER = DataConverter(payload_converter_class=SharedPydanticPayloadConverter)
"""The data converter of every client, worker and replayer of flow168."""

_Walk = Callable[..., Awaitable[StorageOperationMetrics]]
# The SDK functions wrapped, with the parameters they had when this was written (temporalio 1.35).
_WALKS = {"decode_activation": ["activation", "data_converter", "decode_headers", "storage_concurrency_limit"],
          "encode_completion": ["completion", "data_converter", "encode_headers", "storage_concurrency_limit"]}


def _walks_changed() -> str | None:
    """Why the SDK's walks are not the ones `skip_empty_payload_walks` was written against, or None."""
    for name, expected in _WALKS.items():
        fn = getattr(bridge_worker, name, None)
        fn = getattr(fn, "flow168_wraps", fn)  # the SDK's own, if wrapped already
        if fn is None or not inspect.iscoroutinefunction(fn):
            return f"temporalio.bridge.worker.{name} is gone or no longer a coroutine function"
        params = list(inspect.signature(fn).parameters)
        if params != expected:
            return f"temporalio.bridge.worker.{name} takes {params}, not {expected}"
    for attr in ("payload_codec", "external_storage"):
        if attr not in {f.name for f in DataConverter.__dataclass_fields__.values()}:
            return f"DataConverter has no field {attr}"
    return None


def walks_change(data_converter: DataConverter) -> bool:
    """Whether walking the payloads does anything with this converter: only its codec or its external storage do."""
    return data_converter.payload_codec is not None or data_converter.external_storage is not None


def _skipping(walk: _Walk) -> _Walk:
    async def skip_when_empty(message: Any, data_converter: DataConverter, *args: Any, **kw: Any
                              ) -> StorageOperationMetrics:
        if walks_change(data_converter):
            return await walk(message, data_converter, *args, **kw)
        return StorageOperationMetrics()  # what the walks report when nothing was stored or retrieved

    skip_when_empty.flow168_wraps = walk  # type: ignore[attr-defined]
    return skip_when_empty


def skip_empty_payload_walks() -> bool:
    """Make this process's workers skip the payload walks that cannot change anything (module docstring); idempotent.
    Returns whether they are skipped (False: the SDK changed, and it behaves as shipped)."""
    if all(hasattr(getattr(bridge_worker, name, None), "flow168_wraps") for name in _WALKS):
        return True
    why = _walks_changed()
    if why is not None:
        log.warning("the Temporal SDK walks every payload three times per activation again: %s", why)
        return False
    for name in _WALKS:
        setattr(bridge_worker, name, _skipping(getattr(bridge_worker, name)))
    return True


@contextmanager
def payload_walks_as_shipped() -> Iterator[None]:
    """The SDK's own walks while inside (the benchmarks' bare comparator runs the engine as shipped)."""
    saved = {name: getattr(bridge_worker, name) for name in _WALKS}
    for name, fn in saved.items():
        setattr(bridge_worker, name, getattr(fn, "flow168_wraps", fn))
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(bridge_worker, name, fn)
