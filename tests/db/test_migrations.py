"""The migrations build exactly the schema of db/models.py (SQLite, and PostgreSQL with FLOW168_TEST_DATABASE_URL),
and the newest ones go down and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import db.models  # noqa: F401  (the tables)
from db.engine import alembic_config, make_engine
from tests.conftest import _new_database

pytestmark = pytest.mark.pg


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))
    finally:
        engine.dispose()


def test_head_matches_the_models_and_the_last_steps_reverse(tmp_path: Path) -> None:
    url, drop = _new_database(tmp_path)
    try:
        assert _differences(url) == []
        command.downgrade(alembic_config(url), "0005_task_due_fixed")
        command.upgrade(alembic_config(url), "head")
        assert _differences(url) == []
    finally:
        drop()
