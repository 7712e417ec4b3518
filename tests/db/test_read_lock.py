"""Issue 12: on SQLite a read-only session (GET requests) takes no write lock; a writing one still does at BEGIN."""

from __future__ import annotations

import sqlite3
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
