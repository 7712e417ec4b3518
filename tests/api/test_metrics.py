"""Metrics scraped as Prometheus would (the app's /metrics; the worker's Temporal SDK runtime metrics) and the JSON
logs' case id and task id."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import uuid
from contextlib import closing

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api import logs
from settings import Settings
from tests.conftest import Stack
from tests.helpers import complete, login, org_body, task_of
from worker import build_worker, connect, temporal_runtime

pytestmark = pytest.mark.pg


def _samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


class TestAppMetrics:
    async def test_requests_completions_overdue_and_fund_are_scraped(self, stack: Stack) -> None:
        r = await stack.http.post("/api/register", json=org_body("enterprise"))
        case_id = r.json()["case_id"]
        op = await login(stack.http, "operator1")
        task = await task_of(stack.http, op, "registration.review", case_id)
        assert (await complete(stack.http, op, task)).status_code == 200
        assert (await stack.http.get(f"/api/cases/{case_id}", headers=op)).status_code == 200
        assert (await stack.http.get("/api/cases/nope-nope", headers=op)).status_code == 404
        assert (await stack.http.get("/metrics")).status_code == 401  # not public (issue 11): a token or an admin
        m = await stack.http.get("/metrics", headers=await login(stack.http, "admin"))
        assert m.status_code == 200
        samples = _samples(m.text)
        req = {(lb["route"], lb["method"], lb["status"]): v for n, lb, v in samples if n == "flow168_http_requests_total"}
        assert req[("/api/cases/{case_id}", "GET", "200")] >= 1 and req[("/api/cases/{case_id}", "GET", "404")] >= 1
        assert not any(case_id in k[0] for k in req)  # route templates, never raw ids
        done = {lb["type"]: v for n, lb, v in samples if n == "flow168_task_completions_total"}
        assert done["registration.review"] >= 1
        assert any(n == "flow168_overdue_tasks" for n, _, _ in samples)
        fund = {(lb["year"], lb["state"]): v for n, lb, v in samples if n == "flow168_fund_fen"}
        year = str((await stack.clock.now()).year)
        assert fund[(year, "remaining")] == fund[(year, "total")] - fund[(year, "reserved")] - fund[(year, "settled")]
        assert any(n == "flow168_http_request_duration_seconds_count" for n, _, _ in samples)


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TestWorkerMetrics:
    async def test_the_worker_serves_the_temporal_sdk_metrics(self, stack: Stack) -> None:
        port = _free_port()
        settings = Settings(data_dir=stack.settings.data_dir, database_url=stack.settings.database_url,
                            worker_metrics_port=port, task_queue=f"metrics-{uuid.uuid4()}", demo=False,
                            secret_key="test-secret-key-0123456789abcdef")
        assert Settings(port=9000).worker_metrics_bind == "127.0.0.1:9004"
        assert Settings(worker_metrics_port=0).worker_metrics_bind is None
        runtime = temporal_runtime(settings)
        assert runtime is not None
        client = await connect(settings, stack.client.service_client.config.target_host, runtime=runtime)
        async with build_worker(client, engine=stack.engine, settings=settings):
            text = ""
            for _ in range(50):
                await asyncio.sleep(0.2)
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                if "temporal_" in text:
                    break
        names = {f.name for f in text_string_to_metric_families(text)}
        assert any(n.startswith("temporal_") for n in names), names


class TestJsonLogs:
    def test_records_carry_the_case_and_task_ids(self) -> None:
        assert logs.ids_from_path("/api/tasks/REG-2026-1.review.1/complete") == ("REG-2026-1", "REG-2026-1.review.1")
        assert logs.ids_from_path("/cases/VC-9/") == ("VC-9", None)
        assert logs.ids_from_path("/api/me") == (None, None)
        buf = io.StringIO()
        handler = logging.StreamHandler(buf)
        handler.addFilter(logs.ContextFilter())
        handler.setFormatter(logs.formatter())
        log = logging.getLogger("flow168.test.json")
        log.addHandler(handler)
        log.propagate = False
        try:
            tokens = logs.bind("VC-9", "VC-9.review.1")
            log.warning("审核超期")
            logs.unbind(tokens)
            log.warning("outside")
        finally:
            log.removeHandler(handler)
        first, second = (json.loads(line) for line in buf.getvalue().splitlines())
        assert first["message"] == "审核超期" and first["case_id"] == "VC-9" and first["task_id"] == "VC-9.review.1"
        assert first["level"] == "WARNING" and "time" in first and second["case_id"] is None


class TestGrafanaDashboard:
    async def test_every_flow168_series_it_charts_is_served(self, stack: Stack) -> None:
        import re
        from pathlib import Path

        dash = json.loads((Path(__file__).resolve().parents[2] / "docs" / "grafana-flow168.json").read_text("utf-8"))
        exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
        wanted = {m for e in exprs for m in re.findall(r"\b(flow168_[a-z_]+)", e)}
        r = await stack.http.post("/api/register", json=org_body("enterprise"))  # a case, a request, a completion
        op = await login(stack.http, "operator1")
        assert (await complete(stack.http, op, await task_of(stack.http, op, "registration.review",
                                                             r.json()["case_id"]))).status_code == 200
        admin = await login(stack.http, "admin")
        await stack.http.get("/metrics", headers=admin)
        served = {name for name, _, _ in _samples((await stack.http.get("/metrics", headers=admin)).text)}
        assert wanted and wanted <= served, wanted - served
        assert any("temporal_" in e for e in exprs)

    async def test_an_activity_logs_with_its_case_and_task(self) -> None:
        from dataclasses import dataclass, replace

        from temporalio.testing import ActivityEnvironment
        from temporalio.worker import ExecuteActivityInput

        from activities.log_context import _Inbound

        @dataclass
        class Inp:
            task_id: str

        class Next:
            async def execute_activity(self, input: ExecuteActivityInput) -> tuple[str | None, str | None]:
                return logs.case_id_var.get(), logs.task_id_var.get()

        env = ActivityEnvironment()
        env.info = replace(env.info, workflow_id="VC-7")

        async def run() -> tuple[str | None, str | None]:
            inp = ExecuteActivityInput(fn=run, args=[Inp(task_id="VC-7.review.1")], executor=None, headers={})
            return await _Inbound(Next()).execute_activity(inp)  # type: ignore[arg-type]

        assert await env.run(run) == ("VC-7", "VC-7.review.1")
        assert logs.case_id_var.get() is None
