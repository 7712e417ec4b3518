"""Issue 12: on SQLite a read-only session (GET requests) takes no write lock; a writing one still does at BEGIN."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from db.engine import make_engine, reader


def test_a_read_transaction_does_not_block_a_writer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    other = sqlite3.connect(tmp_path / "r.db", timeout=0.2, isolation_level=None)
    with Session(reader(engine)) as read:
        assert read.connection().execute(text("SELECT count(*) FROM t")).scalar() == 0
        # The read transaction is still open: a writer goes ahead at once.
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t VALUES (1)")
        other.execute("COMMIT")
        read.commit()
    with Session(engine) as write:  # a writing session takes the lock at BEGIN …
        write.connection().execute(text("SELECT 1"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")  # … so another writer waits for it
        write.commit()
    other.close()
    engine.dispose()


def _gate_free(engine: Any) -> bool:
    """Whether another thread of this process could start writing now (the process's write gate is free)."""
    from concurrent.futures import ThreadPoolExecutor

    def write() -> bool:
        with Session(engine) as s:
            s.connection().execute(text("INSERT INTO t VALUES (2)"))
            s.rollback()
        return True

    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(write).result(timeout=2)
    except TimeoutError:
        return False  # the writer goes on once the gate opens
    finally:
        pool.shutdown(wait=False)


def test_the_write_gate_opens_however_a_transaction_ends(tmp_path: Path) -> None:
    """Issue 12: writers of one process queue at a gate before SQLite's lock; it opens on commit, on rollback, when a
    session is closed with its transaction open, and a reader never takes it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}", pool_size=2, max_overflow=0)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    for end in ("commit", "rollback", "close"):
        s = Session(engine)
        s.connection().execute(text("INSERT INTO t VALUES (1)"))
        if end == "commit":
            assert not _gate_free(engine)  # held while the transaction is open
        getattr(s, end)()
        s.close()
        assert _gate_free(engine), end
    with Session(reader(engine)) as read:
        read.connection().execute(text("SELECT count(*) FROM t"))
        assert _gate_free(engine)
    engine.dispose()


def test_writers_of_one_process_queue_at_the_gate(tmp_path: Path) -> None:
    """Sixteen threads writing at once all get through, one at a time, with no "database is locked"."""
    from concurrent.futures import ThreadPoolExecutor

    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))

    def write(i: int) -> None:
        for _ in range(20):
            with Session(engine) as s:
                n = s.connection().execute(text("SELECT count(*) FROM t")).scalar()
                s.connection().execute(text("INSERT INTO t VALUES (:x)"), {"x": n})
                s.commit()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(write, range(16)))
    with Session(engine) as s:  # each writer saw the one before it: the counts are 0..319, each once
        xs = [r[0] for r in s.connection().execute(text("SELECT x FROM t ORDER BY x"))]
    assert xs == list(range(320))
    engine.dispose()


_HOLDER = """
import sys
from sqlalchemy import text
from sqlmodel import Session
from db.engine import make_engine
engine = make_engine(sys.argv[1])
s = Session(engine)
s.connection().execute(text("INSERT INTO t VALUES (100)"))
print("held", flush=True)
sys.stdin.readline()
s.commit()
print("done", flush=True)
"""

_WRITER = """
import sys
from sqlalchemy import text
from sqlmodel import Session
from db.engine import make_engine
engine = make_engine(sys.argv[1])
for _ in range(int(sys.argv[2])):
    with Session(engine) as s:
        n = s.connection().execute(text("SELECT count(*) FROM t")).scalar()
        s.connection().execute(text("INSERT INTO t VALUES (:x)"), {"x": n})
        s.commit()
"""


def _python(code: str, *args: str, **kw: Any) -> Any:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=root, text=True, **kw)


def _file_gate_taken(db: Path) -> bool:
    import fcntl
    import os

    fd = os.open(f"{db}-writegate", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@pytest.mark.parametrize("end", ["commit", "kill -9"])
def test_processes_queue_at_the_gate_file(tmp_path: Path, end: str) -> None:
    """Issue 12: the web app and the workers are separate processes; a writer of one waits at the file beside the
    database while another process writes, and goes on the moment that one commits, or is killed."""
    import subprocess
    import time
    from concurrent.futures import ThreadPoolExecutor

    db = tmp_path / "p.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = _python(_HOLDER, f"sqlite:///{db}", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        assert _file_gate_taken(db)

        def write() -> float:
            with Session(engine) as s:
                s.connection().execute(text("INSERT INTO t VALUES (1)"))
                s.commit()
            return time.monotonic()

        with ThreadPoolExecutor(1) as pool:
            wrote = pool.submit(write)
            time.sleep(0.5)
            assert not wrote.done()  # waiting for the other process
            released = time.monotonic()
            if end == "commit":
                holder.stdin.write("\n")
                holder.stdin.flush()
                assert holder.stdout.readline().strip() == "done"
            else:
                holder.kill()
            assert wrote.result(timeout=10) - released < 2
        assert not _file_gate_taken(db)
    finally:
        holder.kill()
        holder.wait()
    with Session(engine) as s:
        xs = sorted(r[0] for r in s.connection().execute(text("SELECT x FROM t")))
    assert xs == ([1, 100] if end == "commit" else [1])  # a killed writer's transaction is rolled back
    engine.dispose()


def test_writers_of_three_processes_all_get_through(tmp_path: Path) -> None:
    """Three processes writing read-then-insert transactions at once: no "database is locked", each saw the last."""
    db = tmp_path / "m.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    procs = [_python(_WRITER, f"sqlite:///{db}", "60") for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    with Session(engine) as s:
        xs = [r[0] for r in s.connection().execute(text("SELECT x FROM t ORDER BY x"))]
    assert xs == list(range(180))
    engine.dispose()


_LOOP = """
import sys, threading, time
from sqlalchemy import text
from sqlmodel import Session
from db.engine import make_engine
engine = make_engine(sys.argv[1])
threads, end, count = int(sys.argv[2]), time.monotonic() + float(sys.argv[3]), [0]
def loop():
    while time.monotonic() < end:
        with Session(engine) as s:
            s.connection().execute(text("INSERT INTO t VALUES (1)"))
            time.sleep(0.001)  # a transaction that does a little work
            s.commit()
        count[0] += 1
ts = [threading.Thread(target=loop) for _ in range(threads)]
[t.start() for t in ts]
[t.join() for t in ts]
print(count[0])
"""


def test_a_busy_process_does_not_keep_the_lock_from_another(tmp_path: Path) -> None:
    """Issue 12: a worker with eight writing threads and the web app with one take turns at the file lock. (With only
    SQLite's lock between them, the busy process's writer slept in SQLite's retries while the other kept taking the
    lock: it got an eighth of the writes and waited up to 2.4 s.)"""
    import subprocess

    db = tmp_path / "f.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    busy = _python(_LOOP, f"sqlite:///{db}", "8", "3", stdout=subprocess.PIPE)
    lone = _python(_LOOP, f"sqlite:///{db}", "1", "3", stdout=subprocess.PIPE)
    counts = [int(p.communicate(timeout=60)[0]) for p in (busy, lone)]
    assert min(counts) >= 0.25 * sum(counts), counts
    engine.dispose()


def test_writers_of_a_process_go_in_the_order_they_came() -> None:
    """The process's own queue is first come, first served, and a wait that runs out leaves the queue."""
    import threading
    import time

    from db.engine import _FifoLock

    lock = _FifoLock()
    assert lock.acquire(timeout=1)
    order: list[int] = []

    def writer(i: int) -> None:
        assert lock.acquire(timeout=10)
        order.append(i)
        lock.release()

    threads = []
    for i in range(6):
        threads.append(threading.Thread(target=writer, args=(i,)))
        threads[-1].start()
        time.sleep(0.05)  # each is waiting before the next comes
    assert not lock.acquire(timeout=0.05)  # a latecomer whose wait runs out …
    lock.release()
    for t in threads:
        t.join(10)
    assert order == list(range(6))
    assert lock.acquire(timeout=1)  # … is not in the queue any more, and the lock is free
    lock.release()


def test_gate_stats_say_how_long_each_writer_held_the_gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FLOW168_GATE_STATS (the benchmarks): each process writes how long its writers held the gate, by activity or
    thread, with the holder's CPU time."""
    import json

    from db import engine as engine_module

    stats = engine_module._GateStats(str(tmp_path / "gate"))
    monkeypatch.setattr(engine_module, "_STATS", stats)
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    for i in range(3):
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO t VALUES ({i})")
            time.sleep(0.01)
    stats.write()
    rows = json.loads(stats.path.read_text())
    assert sum(r["n"] for r in rows.values()) == 4
    assert sum(r["held_s"] for r in rows.values()) >= 0.03
    assert all(0 <= r["cpu_s"] <= r["held_s"] + 0.01 for r in rows.values())
    assert sum(r["waited_s"] for r in rows.values()) < 0.03  # nobody else was writing

    # A writer that finds the gate taken counts the time it waited for it.
    held = threading.Event()

    def holder() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (10)")
            held.set()
            time.sleep(0.1)

    other = threading.Thread(target=holder, name="holder")
    other.start()
    held.wait(5)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (11)")
    other.join(5)
    stats.write()
    rows = json.loads(stats.path.read_text())
    assert sum(r["waited_s"] for r in rows.values()) >= 0.05
    engine.dispose()


def test_a_writer_leaves_the_gate_only_once_sqlite_has_committed(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12, fourteenth round: SQLAlchemy's "commit" event comes before the COMMIT; a writer let through the gate
    then found SQLite's lock still held. The gate is now left after the commit: the next writer finds SQLite free."""
    from db import engine as engine_module

    db = tmp_path / "c.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    gate = engine_module._write_gate(str(db))
    real_leave = gate.leave
    free_when_left: list[bool] = []

    def leave(info: dict[str, Any]) -> None:
        if info.get(gate.KEY):  # the writer is about to let the next one through: can it write at once?
            other = sqlite3.connect(db, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.rollback()
                free_when_left.append(True)
            except sqlite3.OperationalError:
                free_when_left.append(False)
            finally:
                other.close()
        real_leave(info)

    monkeypatch.setattr(gate, "leave", leave)
    for i in range(3):
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO t VALUES ({i})")
    assert free_when_left == [True, True, True]
    assert not gate.lock._held
    engine.dispose()
