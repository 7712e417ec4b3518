"""A cancelled activity never leaves the write gate held (issue 12; the CI failure of stop 19).

Temporal cancels a running activity when its workflow is evicted from the worker's cache, a local activity runs past
its timeout, a workflow task moves to another worker after a kill -9, or the worker shuts down. For a synchronous
activity the SDK then, by default, raises CancelledError inside the thread at whatever line it has reached. An
activity waiting at the gate was handed the gate, the exception fired before it recorded that, and every later
writer of the process waited the gate's full timeout (15 s) per transaction: the stack crawled and the fault tests
and the no-cache run timed out. flow168's activities are declared with `activities.definition.defn`, which turns that
exception off: the activity finishes its short, idempotent write and the gate is given back."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from temporalio import activity
from temporalio.activity import _Definition
from temporalio.exceptions import CancelledError
from temporalio.testing import ActivityEnvironment

from activities.definition import defn
from db.engine import _write_gate, make_engine
from settings import Settings
from worker import build_activities

GATE_TIMEOUT_S = 5.0


def _engine(tmp_path: Path) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    return engine


def _cancel_while_waiting_at_the_gate(engine: Any, declare: Any) -> tuple[BaseException | None, float]:
    """Hold the gate, start an activity declared with `declare` that writes one row (it queues at the gate), cancel
    it, let go of the gate; then time a fresh writer. Returns what the activity raised and how long the fresh writer
    waited."""
    @declare
    def write() -> None:
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (1)"))

    env = ActivityEnvironment()
    raised: list[BaseException | None] = [None]

    def run() -> None:
        try:
            env.run(write)
        except BaseException as exc:  # what the cancellation raised is the observation
            raised[0] = exc

    gate = _write_gate(str(Path(engine.url.database).resolve()))
    gate.timeout = GATE_TIMEOUT_S  # a leaked gate shows as a wait of this, not 15 s
    holder = engine.connect()
    holder.begin()  # takes the gate
    holder.execute(text("INSERT INTO t VALUES (0)"))
    t = threading.Thread(target=run)
    t.start()
    end = time.monotonic() + 10
    while not gate.lock._waiters and time.monotonic() < end:  # until the activity is queued at the gate
        time.sleep(0.01)
    assert gate.lock._waiters, "the activity never reached the gate"
    env.cancel()
    time.sleep(0.1)
    holder.commit()  # hands the gate to the queued activity
    holder.close()
    t.join(10)
    started = time.monotonic()
    with engine.begin() as c:
        c.execute(text("INSERT INTO t VALUES (2)"))
    return raised[0], time.monotonic() - started


def test_a_cancelled_flow168_activity_finishes_its_write_and_gives_the_gate_back(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    raised, waited = _cancel_while_waiting_at_the_gate(engine, defn(name="test_gate_write"))
    assert raised is None  # it was not interrupted: it wrote, and its result would be dropped by the worker
    assert waited < GATE_TIMEOUT_S / 2, f"the next writer waited {waited:.1f} s: the gate was left held"
    with engine.connect() as c:
        assert sorted(r[0] for r in c.execute(text("SELECT x FROM t"))) == [0, 1, 2]
    engine.dispose()


def test_the_sdk_default_would_leave_the_gate_held(tmp_path: Path) -> None:
    """Why `defn` exists: the same activity declared with plain `activity.defn` is interrupted after the gate was
    handed to it, and the next writer waits the gate's whole timeout."""
    engine = _engine(tmp_path)
    raised, waited = _cancel_while_waiting_at_the_gate(engine, activity.defn(name="test_gate_write_default"))
    assert isinstance(raised, CancelledError)
    assert waited >= GATE_TIMEOUT_S * 0.9, f"the next writer waited only {waited:.1f} s"
    engine.dispose()


def test_every_activity_the_worker_registers_is_declared_with_defn(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    acts = build_activities(engine=engine, settings=Settings(secret_key="test-secret-key-0123456789abcdef",
                                                             data_dir=str(tmp_path)))
    names = []
    for a in acts:
        d = _Definition.must_from_callable(a)
        names.append(d.name)
        assert d.no_thread_cancel_exception, f"activity {d.name} is not declared with activities.definition.defn"
    assert len(names) > 40 and len(set(names)) == len(names)
    engine.dispose()

