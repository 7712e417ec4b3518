"""Issue 12: SQLite's write lock busy past its timeout answers 503 `database_busy` (retry-safe), not a 500."""

from __future__ import annotations

import sqlite3

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from api import errors


async def test_a_locked_database_answers_503_database_busy() -> None:
    app = FastAPI()
    errors.install(app)

    @app.post("/locked")
    async def locked() -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/locked")
    assert r.status_code == 503 and r.json()["code"] == "database_busy" and r.headers["retry-after"] == "1"
