"""Builds the FastAPI application from its dependencies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware
from temporalio.client import Client

from api import (
    errors,
    routes_admin,
    routes_auth,
    routes_cases,
    routes_certification,
    routes_files,
    routes_public,
    routes_tasks,
    routes_voucher,
)
from clock import Clock
from settings import Settings


def create_app(*, settings: Settings, engine: Engine, clock: Clock, temporal: Client) -> FastAPI:
    """The app with its state: settings, engine, clock, Temporal client, storage folders."""
    app = FastAPI(title="flow168", version="0.1.0",
                  description="宁夏中小企业公共服务平台（168平台）审批流程 — JSON API")
    st: Any = app.state
    st.settings, st.engine, st.clock, st.temporal = settings, engine, clock, temporal
    st.secret = settings.resolved_secret()
    st.uploads_dir = Path(settings.data_dir) / "uploads"
    st.documents_dir = Path(settings.data_dir) / "documents"
    errors.install(app)
    for module in (routes_auth, routes_cases, routes_tasks, routes_files, routes_admin, routes_public, routes_voucher,
                   routes_certification):
        app.include_router(module.router)
    try:
        from api import pages
    except ImportError:  # pages are optional while they are being built
        pages = None  # type: ignore[assignment]
    if pages is not None:
        pages.install(app)
    app.add_middleware(SessionMiddleware, secret_key=st.secret, session_cookie="flow168_session",
                       same_site="lax", https_only=False, max_age=settings.token_max_age_seconds)
    return app
