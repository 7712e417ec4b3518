"""The one clock of flow168: real time, or the simulated time of a Temporal test server."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from google.protobuf.duration_pb2 import Duration
from google.protobuf.empty_pb2 import Empty
from temporalio.api.testservice.v1 import SleepRequest, UnlockTimeSkippingRequest
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
    """The time of a standalone time-skipping test server, shared by every process that connects to it.

    `release_leaked_lock_after`: see `skip_time` (the tests set it; the launcher and the benchmarks do not)."""

    simulated = True

    def __init__(self, client: Client, *, release_leaked_lock_after: timedelta | None = None) -> None:
        self._client = client
        self._release_after = release_leaked_lock_after

    async def now(self) -> datetime:
        return await _server_time(self._client)

    async def advance(self, delta: timedelta) -> datetime:
        """Skip simulated time forward, firing every timer on the way."""
        if delta <= timedelta(0):
            raise ValueError("the clock only moves forward")
        # Every timer on the way fires and its workflows run before the call returns: with thousands of open cases
        # that takes longer than the default deadline of a call, so give it a generous one.
        await skip_time(self._client, delta, timeout=ADVANCE_TIMEOUT, release_leaked_lock_after=self._release_after)
        return await self.now()


async def skip_time(client: Client, delta: timedelta, *, timeout: timedelta,
                    release_leaked_lock_after: timedelta | None = None) -> None:
    """Let the test server skip `delta` of its time (one UnlockTimeSkippingWithSleep: unlock, sleep, lock again).

    The server skips time only while nothing holds its time-skipping lock (a workflow or activity task in flight holds
    it for a moment). A lock that is never given back (temporalio/sdk-java#1138: an activity cancelled before it
    started; seen in our test runs about once in five full runs, after the SDK core's local-activity panic) stops the
    skipping for good: the server's clock then runs at the wall clock's pace, and the call waits out `timeout`.

    With `release_leaked_lock_after`, a call whose server clock ran at the wall clock's pace for that long (nothing
    skipped: with any task finishing in between the server jumps to its next timer at once) releases one lock
    (UnlockTimeSkipping) and logs a warning; the server's own sleep takes its lock again at the end, so the count is
    as it was before the leak. At most three are released per call. Meant for the tests: under a heavy load (a
    programme year's leap) tasks in flight may hold the lock that long legitimately, and releasing theirs would
    unbalance the server."""
    seconds = int(delta.total_seconds())
    request = SleepRequest(duration=Duration(seconds=seconds, nanos=int((delta.total_seconds() - seconds) * 1e9)))
    call = asyncio.ensure_future(client.test_service.unlock_time_skipping_with_sleep(request, timeout=timeout))
    released = 0
    try:
        while True:
            if release_leaked_lock_after is None:
                await call
                return
            before, started = await _server_time(client), time.monotonic()
            done, _ = await asyncio.wait({call}, timeout=release_leaked_lock_after.total_seconds())
            if call in done:
                call.result()
                return
            moved = (await _server_time(client) - before).total_seconds()
            if moved <= time.monotonic() - started + 1 and released < 3:
                await client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
                released += 1
                logging.getLogger("flow168").warning(
                    "simulated clock: the test server's time-skipping lock was held for %.0f s with the clock at the "
                    "wall clock's pace; released one leaked lock (%d in this call)", moved, released)
    finally:
        if not call.done():
            call.cancel()


async def _server_time(client: Client) -> datetime:
    return (await client.test_service.get_current_time(Empty())).time.ToDatetime().replace(tzinfo=UTC)
