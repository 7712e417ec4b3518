"""The one clock of flow168: real time, or the simulated time of a Temporal test server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from google.protobuf.duration_pb2 import Duration
from google.protobuf.empty_pb2 import Empty
from temporalio.api.testservice.v1 import SleepRequest
from temporalio.client import Client


class Clock(Protocol):
    """Where "now" comes from; the API and activities never call datetime.now() directly."""

    simulated: bool

    async def now(self) -> datetime: ...


class RealClock:
    """Wall-clock time in UTC."""

    simulated = False

    async def now(self) -> datetime:
        return datetime.now(UTC)


ADVANCE_TIMEOUT = timedelta(minutes=15)


class SimulatedClock:
    """The time of a standalone time-skipping test server, shared by every process that connects to it."""

    simulated = True

    def __init__(self, client: Client) -> None:
        self._client = client

    async def now(self) -> datetime:
        resp = await self._client.test_service.get_current_time(Empty())
        return resp.time.ToDatetime().replace(tzinfo=UTC)

    async def advance(self, delta: timedelta) -> datetime:
        """Skip simulated time forward, firing every timer on the way."""
        if delta <= timedelta(0):
            raise ValueError("the clock only moves forward")
        seconds = int(delta.total_seconds())
        # Every timer on the way fires and its workflows run before the call returns: with thousands of open cases
        # that takes longer than the default deadline of a call, so give it a generous one.
        await self._client.test_service.unlock_time_skipping_with_sleep(
            SleepRequest(duration=Duration(seconds=seconds, nanos=int((delta.total_seconds() - seconds) * 1e9))),
            timeout=ADVANCE_TIMEOUT,
        )
        return await self.now()
