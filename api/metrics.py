"""The app's own Prometheus metrics: requests by route template, method and status, and their duration (an ASGI
middleware that also binds the request's case id and task id for the JSON logs). /metrics (api/routes_public.py)
serves them with the figures read from the database."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from api import logs

REGISTRY = CollectorRegistry()
REQUESTS = Counter("flow168_http_requests", "HTTP requests by route template, method and status",
                   ["route", "method", "status"], registry=REGISTRY)
LATENCY = Histogram("flow168_http_request_duration_seconds", "HTTP request duration by route template", ["route"],
                    registry=REGISTRY, buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


class MetricsMiddleware:
    """Counts every HTTP request under its route template (/api/cases/{case_id}), never the raw path (no id explosion);
    unmatched paths count as "unmatched"."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"value": 500}
        start = time.perf_counter()
        tokens = logs.bind(*logs.ids_from_path(scope.get("path", "")))

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["value"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or ("/static" if scope.get("path", "").startswith("/static") else "unmatched")
            REQUESTS.labels(name, scope.get("method", ""), str(status["value"])).inc()
            LATENCY.labels(name).observe(time.perf_counter() - start)
            logs.unbind(tokens)
