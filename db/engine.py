"""The engine, sessions and migrations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


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

        gate = _WriteGate()

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
        event.listen(engine, "commit", lambda conn: gate.leave(conn.info))
        event.listen(engine, "rollback", lambda conn: gate.leave(conn.info))
        event.listen(engine.pool, "checkin", lambda _dbapi, record: gate.leave(record.info) if record else None)
        event.listen(engine.pool, "invalidate", lambda _dbapi, record, _exc: gate.leave(record.info))

        engine.dialect._json_serializer = _json_dumps  # type: ignore[attr-defined]
        return engine
    if "poolclass" not in kw:
        kw.update(pool_size=10, max_overflow=20)
    return create_engine(url, pool_pre_ping=True, json_serializer=_json_dumps, **kw)


class _WriteGate:
    """One writer at a time within this process, in arrival order, before SQLite's own write lock (issue 12).

    SQLite lets a writer that finds the lock taken sleep and retry (1, 2, 5, … up to 100 ms between tries), so with
    dozens of threads of one process writing, the lock sits free while they sleep and a waiter can lose every race
    for seconds. Threads of one process queue here instead and the next goes the moment the previous commits; only
    one writer per process meets SQLite's lock. A writer that waits longer than `timeout` goes on to SQLite's lock
    (whose own timeout then answers "database is locked", 503 `database_busy`), so no wait here is unbounded."""

    KEY = "flow168_write_gate"

    def __init__(self, timeout: float = 15.0) -> None:
        self.lock = threading.Lock()
        self.timeout = timeout

    def enter(self, info: dict[str, Any]) -> None:
        if not info.get(self.KEY) and self.lock.acquire(timeout=self.timeout):
            info[self.KEY] = True

    def leave(self, info: dict[str, Any]) -> None:
        if info.pop(self.KEY, False):
            self.lock.release()


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
