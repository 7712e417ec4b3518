"""The engine, sessions and migrations."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary, WeakValueDictionary

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


# The INSERT construct with ON CONFLICT … DO NOTHING of each database flow168 runs on, by dialect name (the keyed writes:
# audit events, outbox rows, task rows).
CONFLICT_INSERTS: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def make_engine(url: str, **kw: Any) -> Engine:
    """An engine; SQLite gets WAL, foreign keys and a busy timeout so the API and worker can share it."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kw)

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        gate = _write_gate(_database_file(url))
        _leave_after_commit(engine, gate)

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            # Take the write lock at BEGIN: read-then-write transactions would otherwise deadlock. A session bound
            # to `reader(engine)` (the GET requests) only reads: a plain BEGIN takes no write lock (WAL readers
            # never wait for the writer).
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
                return
            gate.enter(conn.info)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                gate.leave(conn.info)
                raise

        # The writer leaves the gate when its transaction ends, however it ends (a connection returned to the pool
        # with its transaction still open is rolled back there without a "rollback" event: checkin covers it).
        # A commit leaves it once SQLite has committed (issue 12, fourteenth round): SQLAlchemy's "commit" event comes
        # before the commit itself, and a writer let through then found SQLite's lock still held and slept in SQLite's
        # busy handler (1, 2, 5 … ms), holding the gate meanwhile.
        event.listen(engine, "rollback", lambda conn: gate.leave(conn.info))
        event.listen(engine.pool, "checkin", lambda _dbapi, record: gate.leave(record.info) if record else None)
        event.listen(engine.pool, "invalidate", lambda _dbapi, record, _exc: gate.leave(record.info))

        engine.dialect._json_serializer = _json_dumps  # type: ignore[attr-defined]
        return engine
    if "poolclass" not in kw:
        kw.update(pool_size=10, max_overflow=20)
    return create_engine(url, pool_pre_ping=True, json_serializer=_json_dumps, **kw)


def _leave_after_commit(engine: Engine, gate: _WriteGate) -> None:
    """Wrap this engine's dialect's commit so that a writer leaves the gate right after SQLite's COMMIT returns (or
    fails). SQLAlchemy hands the commit the pooled connection, whose `info` is the one the writer entered with (a
    reader's commit finds no mark there and leaves nothing). A transaction that ends otherwise leaves by the rollback,
    checkin and invalidate events; leaving twice is harmless (the first one takes the marks off the info)."""
    dialect = engine.dialect
    commit = dialect.do_commit

    def do_commit(connection: Any) -> None:
        try:
            commit(connection)
        finally:
            info = getattr(connection, "info", None)
            if isinstance(info, dict):
                gate.leave(info)

    dialect.do_commit = do_commit  # type: ignore[method-assign]


class _FifoLock:
    """A lock its waiters get in the order they asked for it (`threading.Lock` promises no order: under a queue of
    dozens of writers, an unlucky one waited many times longer than the rest)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False
        self.holder: int | None = None  # the thread that took it (a hand-over names the thread it went to)

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                self.holder = threading.get_ident()
                return True
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append(waiter)
        if waiter.acquire(timeout=timeout):
            self.holder = threading.get_ident()
            return True  # handed over by `release`
        with self._mutex:
            try:
                self._waiters.remove(waiter)
            except ValueError:
                self.holder = threading.get_ident()
                return True  # handed over just as the wait ran out
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()  # the next waiter holds it now
            else:
                self._held = False


class _WriteGate:
    """One writer at a time, in this process and across the processes sharing the file, before SQLite's write lock.

    SQLite lets a writer that finds the lock taken sleep and retry (1, 2, 5, … up to 100 ms between tries), so with
    dozens of threads writing, the lock sits free while they sleep and a waiter can lose every race for seconds
    (issue 12). Threads of one process queue on a lock here, and the next goes the moment the previous commits.
    Processes (the web app and the workers) then queue on an advisory lock of a file beside the database
    (`<db>-writegate`, `flock`, tried every 0.2–2 ms): its holder lets go when its transaction ends, and the kernel
    lets go for a holder that dies (kill -9 included), so only one writer at a time ever meets SQLite's lock. A writer that waits
    longer than `timeout` in all goes on to SQLite's lock (whose own timeout then answers "database is locked", 503
    `database_busy`), so no wait here is unbounded."""

    KEY = "flow168_write_gate"
    FILE_KEY = "flow168_write_gate_file"

    def __init__(self, path: str | None = None, timeout: float = 15.0) -> None:
        self.lock = _FifoLock()
        self.timeout = timeout
        self.path = path
        self.fd = self.wait_fd = -1
        self.left_at = 0.0
        self._open()

    def _open(self) -> None:
        if self.path is None:
            return
        try:
            self.fd = os.open(self.path + "-writegate", os.O_RDWR | os.O_CREAT, 0o644)
            self.wait_fd = os.open(self.path + "-writegate-waiting", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            self._close()  # a read-only directory: SQLite's own lock still serialises the writers

    def _after_fork(self) -> None:
        """A forked child gets its own lock and its own open file (a shared one would share the held lock)."""
        self.lock = _FifoLock()
        self._close()
        self._open()

    def _close(self) -> None:
        for fd in (self.fd, self.wait_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.fd = self.wait_fd = -1

    def __del__(self) -> None:
        self._close()

    def enter(self, info: dict[str, Any]) -> None:
        if info.get(self.KEY):
            return
        end = time.monotonic() + self.timeout
        asked = time.perf_counter() if _STATS is not None else 0.0
        if not self.lock.acquire(timeout=self.timeout):
            _log_stuck_holder(self.lock.holder, self.timeout)
            return
        info[self.KEY] = True
        if self.fd >= 0 and self._take_file(end):
            info[self.FILE_KEY] = True
        if _STATS is not None:
            now = time.perf_counter()
            info[_STATS.KEY] = (now, time.thread_time(), now - asked)

    def _take_file(self, end: float) -> bool:
        """The file lock, taken in turn with the other processes: a process whose writer let go of it a moment ago
        waits (up to 10 ms) while another process's writer is waiting, so one busy process cannot keep it from the
        others (with plain tries, its next writer always won, and the others' writers waited for seconds)."""
        waiting = False
        try:
            if time.monotonic() - self.left_at < 0.002:
                deferred = 0
                while deferred < 10 and self._others_waiting():  # (not announced itself: it would see its own)
                    time.sleep(0.001)
                    deferred += 1
            pause = 0.0002
            while True:
                try:
                    fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= end:
                        return False
                    if not waiting:
                        waiting = self._announce()
                    time.sleep(pause)
                    pause = min(pause * 1.5, 0.001)
        except OSError:
            return False
        finally:
            if waiting:
                with contextlib.suppress(OSError):
                    fcntl.flock(self.wait_fd, fcntl.LOCK_UN)

    def _announce(self) -> bool:
        """Say this process is waiting: a shared lock on the second file, held while it waits."""
        if self.wait_fd < 0:
            return False
        fcntl.flock(self.wait_fd, fcntl.LOCK_SH)  # blocks only for the instant another process looks (below)
        return True

    def _others_waiting(self) -> bool:
        """Whether another process is waiting for the file lock (holds the second file shared)."""
        if self.wait_fd < 0:
            return False
        try:
            fcntl.flock(self.wait_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self.wait_fd, fcntl.LOCK_UN)
        return False

    def leave(self, info: dict[str, Any]) -> None:
        if _STATS is not None and _STATS.KEY in info:
            _STATS.add(*info.pop(_STATS.KEY))
        if info.pop(self.FILE_KEY, False):
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            self.left_at = time.monotonic()
        if info.pop(self.KEY, False):
            self.lock.release()


class _GateStats:
    """How long this process's writers held the gate, by activity (or thread, outside activities): wall time, the
    holder thread's CPU time, and how long they waited for it. Opt-in for the benchmarks (FLOW168_GATE_STATS=<folder>):
    written to `<folder>/gate-<pid>.json` every second while they change and when the process exits;
    `bench.voucher_life` prints them."""

    KEY = "flow168_gate_stats"
    WRITTEN_EVERY_S = 1.0

    def __init__(self, folder: str) -> None:
        self.path = Path(folder) / f"gate-{os.getpid()}.json"
        self.by: dict[str, list[float]] = {}
        self.mutex = threading.Lock()
        self.count = 0

    def add(self, started: float, cpu_started: float, waited: float = 0.0) -> None:
        held, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
        try:
            from temporalio import activity

            name = activity.info().activity_type
        except RuntimeError:  # not in an activity
            name = threading.current_thread().name.split("_")[0].split("-")[0].strip()
        with self.mutex:
            row = self.by.setdefault(name, [0, 0.0, 0.0, 0.0])
            row[0] += 1
            row[1] += held
            row[2] += cpu
            row[3] += waited
            self.count += 1

    def keep_written(self) -> None:
        """Write the figures every WRITTEN_EVERY_S while they change (a daemon thread: the writers holding the gate
        never write the file themselves; until the tenth round every 50th did, inside its turn at the lock). Every
        0.25 s until the fourteenth round: the writes were 2 % of a benchmarked worker's CPU, which the bare engine does
        not pay."""
        written = -1
        while True:
            time.sleep(self.WRITTEN_EVERY_S)
            if self.count != written:
                written = self.count
                self.write()

    def write(self) -> None:
        import json

        with self.mutex:
            by = {k: list(v) for k, v in self.by.items()}
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({k: {"n": v[0], "held_s": v[1], "cpu_s": v[2], "waited_s": v[3]}
                                       for k, v in by.items()}))
            tmp.replace(self.path)


def _gate_stats() -> _GateStats | None:
    folder = os.environ.get("FLOW168_GATE_STATS")
    if not folder:
        return None
    import atexit

    stats = _GateStats(folder)
    atexit.register(lambda: stats.write())
    threading.Thread(target=stats.keep_written, name="gate-stats", daemon=True).start()
    return stats


_STATS = _gate_stats()


def _log_stuck_holder(holder: int | None, waited: float) -> None:
    """A writer waited the whole timeout for this process's gate: say which thread took it last and what that thread
    is doing now. A thread that is idle, or gone, means the gate was never given back: a transaction left open, or a
    thread interrupted between taking and recording it (activities/definition.py says how activities avoid that)."""
    import logging
    import sys
    import traceback

    frame = sys._current_frames().get(holder) if holder is not None else None
    names = {t.ident: t.name for t in threading.enumerate()}
    where = "".join(traceback.format_stack(frame, limit=25)) if frame is not None else "(the thread has ended)\n"
    logging.getLogger("flow168").warning(
        "write gate: waited %.0f s; held by thread %s (%s), which is now at:\n%s", waited, holder,
        names.get(holder or 0, "?"), where)


_GATES: WeakValueDictionary[str, _WriteGate] = WeakValueDictionary()
_GATES_LOCK = threading.Lock()


def _write_gate(path: str | None) -> _WriteGate:
    """The gate of one database file, shared by every engine of this process on that file (an in-memory database
    gets its own, with no file)."""
    if path is None:
        return _WriteGate()
    with _GATES_LOCK:
        gate = _GATES.get(path)
        if gate is None:
            gate = _GATES[path] = _WriteGate(path)
        return gate


def _reopen_gates() -> None:
    for gate in list(_GATES.values()):
        gate._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reopen_gates)


def _database_file(url: str) -> str | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        return None
    return str(Path(name).resolve())


READ_ONLY = "flow168_read_only"
_READERS: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def reader(engine: Engine) -> Engine:
    """The engine for read-only work: on SQLite its transactions begin without the write lock (elsewhere the same)."""
    found = _READERS.get(engine)
    if found is None:
        found = _READERS[engine] = engine.execution_options(**{READ_ONLY: True})
    return found


def _json_dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the schema to the newest migration."""
    command.upgrade(alembic_config(url), "head")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One short transaction: commit on success, roll back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
