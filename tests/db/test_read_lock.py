"""Issue 12: on SQLite a read-only session (GET requests) takes no write lock; a writing one still does at BEGIN."""

from __future__ import annotations

import sqlite3
from pathlib import Path

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
