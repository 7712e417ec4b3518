"""How every flow168 activity is declared: `defn(name=…)`, Temporal's `activity.defn` with the thread-cancel
exception turned off.

Our activities are synchronous and run in the worker's thread pool. By default, when Temporal cancels such an
activity (a workflow evicted from the worker's cache, a local activity past its timeout, the worker shutting down,
a workflow task handed to another worker after a kill -9), the SDK raises `CancelledError` inside the running thread
at whatever Python line it has reached. In the middle of a database write that can leave a lock half taken or half
given back (the write gate in db/engine.py, SQLAlchemy's own state), after which every writer of the process waits
its full timeout. Each activity is one short transaction and idempotent, so it is better left to finish: its result
is dropped if it was cancelled, and the workflow's retry writes nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from temporalio import activity

F = TypeVar("F", bound=Callable[..., object])


def defn(*, name: str) -> Callable[[F], F]:
    """Declare an activity under `name`; it is never interrupted mid-line by a cancellation (see the module)."""
    return activity.defn(name=name, no_thread_cancel_exception=True)
