"""The simulated clock's skip (clock.skip_time) on a time-skipping test server of its own: a leaked time-skipping lock
(temporalio/sdk-java#1138) stops the skipping for good; with `release_leaked_lock_after` the skip releases it and
the server's lock count is as it was before the leak."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from temporalio.api.testservice.v1 import LockTimeSkippingRequest
from temporalio.service import RPCError

from clock import SimulatedClock, skip_time
from tests.conftest import time_skipping_server

pytestmark = pytest.mark.workflow


async def test_a_leaked_lock_is_released_and_the_count_is_restored() -> None:
    async with time_skipping_server() as env:
        clock = SimulatedClock(env.client, release_leaked_lock_after=timedelta(seconds=2))
        start = await clock.now()
        await env.client.test_service.lock_time_skipping(LockTimeSkippingRequest())  # the leak
        t = time.monotonic()
        assert await clock.advance(timedelta(days=3)) >= start + timedelta(days=3)
        assert time.monotonic() - t < 30
        # Nothing more is held: a skip that releases nothing goes through at once.
        t = time.monotonic()
        await skip_time(env.client, timedelta(days=1), timeout=timedelta(seconds=20))
        assert time.monotonic() - t < 10
        assert await clock.now() >= start + timedelta(days=4)


async def test_without_the_release_a_leaked_lock_holds_the_clock() -> None:
    async with time_skipping_server() as env:
        clock = SimulatedClock(env.client)
        start = await clock.now()
        await env.client.test_service.lock_time_skipping(LockTimeSkippingRequest())
        with pytest.raises(RPCError):
            await skip_time(env.client, timedelta(days=3), timeout=timedelta(seconds=3))
        assert await clock.now() < start + timedelta(minutes=1)  # it ran at the wall clock's pace
