"""Fixtures of the fast workflow tests (tests/workflows/harness.py): a time-skipping server of their own, shared by
the session, and a harness (worker with fake activities on a uuid task queue) per test.

Their own server, not the session's `env`: the public-notice tests leap the clock by days, which on the shared server
would fire the reminders and escalations of every other test's open cases (see `own_stack_fixture`). Each harness
terminates its workflows when its test ends, so one fast test's leap never wakes another's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import time_skipping_server
from tests.workflows.harness import FakeActivities, Harness, running_harness


@pytest.fixture(scope="session")
async def harness_env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_server() as e:
        yield e


@pytest.fixture
def fakes() -> FakeActivities:
    """The fake activities of a harness; a module testing a new process overrides this fixture to `add` its own
    (the worker registers activities when it starts)."""
    return FakeActivities()


@pytest.fixture
async def harness(harness_env: WorkflowEnvironment, fakes: FakeActivities) -> AsyncIterator[Harness]:
    async with running_harness(harness_env, fakes=fakes) as h:
        yield h
