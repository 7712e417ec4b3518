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
    pages,
    routes_admin,
    routes_auth,
    routes_cases,
    routes_datacentre,
    routes_files,
    routes_operations,
    routes_public,
    routes_tasks,
)
from api.guard import RequestGuard
from api.metrics import MetricsMiddleware
from clock import Clock
from processes.registry import specs
from processes.spec import resolve
from settings import Settings


def create_app(*, settings: Settings, engine: Engine, clock: Clock, temporal: Client) -> FastAPI:
    """The app with its state: settings, engine, clock, Temporal client, storage folders."""
    app = FastAPI(title="flow168", version="0.1.0",
                  description="宁夏中小企业公共服务平台（168平台）审批流程 — JSON API")
    st: Any = app.state
    st.settings, st.engine, st.clock, st.temporal = settings, engine, clock, temporal
    st.secret = settings.resolved_secret()
    st.uploads_dir = Path(settings.data_dir) / "uploads"
    errors.install(app)
    for module in (routes_auth, routes_cases, routes_tasks, routes_files, routes_admin, routes_public,
                   routes_operations, routes_datacentre):
        app.include_router(module.router)
    for spec in specs().values():  # each process's own endpoints
        for ref in spec.api_routers:
            app.include_router(resolve(ref))
    pages.install(app)
    app.add_middleware(SessionMiddleware, secret_key=st.secret, session_cookie="flow168_session",
                       same_site="lax", https_only=settings.behind_https, max_age=settings.token_max_age_seconds)
    app.add_middleware(MetricsMiddleware)  # requests by route and status; the case/task ids of the JSON logs
    # Outermost: body limits and NUL refusal before anything parses the request; security headers on every answer.
    app.add_middleware(RequestGuard, max_body=settings.request_max_bytes, max_multipart=settings.multipart_max_bytes,
                       hsts=settings.behind_https)
    return app
