"""The production shape (issue 11): how the worker, the launcher and the app reach Temporal (TLS, mTLS, API key), the
SMTP channel's TLS, and what the image and docker-compose publish. Pure: no server, no database."""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from temporalio.client import Client, TLSConfig

import launcher
import worker
from activities.channels import SmtpMailer
from settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def settings(**kw: Any) -> Settings:
    return Settings(secret_key="test-secret-key-0123456789abcdef", **kw)


class TestTemporalConnection:
    def test_plain_by_default(self) -> None:
        opts = worker.connect_options(settings())
        assert "tls" not in opts and "api_key" not in opts
        assert opts["namespace"] == "default"

    def test_an_api_key_turns_tls_on(self) -> None:
        opts = worker.connect_options(settings(temporal_api_key="key-123", temporal_namespace="flow168.a1b2c"))
        assert opts["api_key"] == "key-123" and opts["tls"] is True and opts["namespace"] == "flow168.a1b2c"

    def test_tls_with_the_system_roots(self) -> None:
        assert worker.connect_options(settings(temporal_tls=True))["tls"] is True

    def test_mutual_tls_reads_the_pem_files(self, tmp_path: Path) -> None:
        for name in ("ca", "cert", "key"):
            (tmp_path / f"{name}.pem").write_bytes(f"-----{name}-----".encode())
        opts = worker.connect_options(settings(
            temporal_tls_ca=str(tmp_path / "ca.pem"), temporal_tls_cert=str(tmp_path / "cert.pem"),
            temporal_tls_key=str(tmp_path / "key.pem"), temporal_tls_server_name="temporal.internal",
            temporal_api_key="k"))
        tls = opts["tls"]
        assert isinstance(tls, TLSConfig)
        assert (tls.server_root_ca_cert, tls.client_cert, tls.client_private_key) == (b"-----ca-----", b"-----cert-----",
                                                                                      b"-----key-----")
        assert tls.domain == "temporal.internal" and opts["api_key"] == "k"

    def test_a_certificate_needs_its_key(self, tmp_path: Path) -> None:
        (tmp_path / "cert.pem").write_bytes(b"x")
        with pytest.raises(ValueError, match="TEMPORAL_TLS_KEY"):
            worker.connect_options(settings(temporal_tls_cert=str(tmp_path / "cert.pem")))

    async def test_connect_uses_them_and_the_launcher_uses_connect(self, monkeypatch: pytest.MonkeyPatch) -> None:
        seen: dict[str, Any] = {}

        async def fake_connect(target: str, **kw: Any) -> str:
            seen.update(kw, target=target)
            return "client"

        monkeypatch.setattr(Client, "connect", fake_connect)
        client = await worker.connect(settings(temporal_address="tc.example:7233", temporal_api_key="secret-key"))
        assert client == "client" and seen["target"] == "tc.example:7233"
        assert seen["api_key"] == "secret-key" and seen["tls"] is True
        assert launcher.connect is worker.connect  # the web app's client comes from the launcher's connect


class FakeSmtp:
    offers_starttls = True
    log: ClassVar[list[str]] = []

    def __init__(self, host: str, port: int, **kw: Any) -> None:
        self.log.append(f"connect {host}:{port} {type(self).__name__}")

    def __enter__(self) -> FakeSmtp:
        return self

    def __exit__(self, *a: Any) -> None:
        pass

    def ehlo(self) -> None:
        self.log.append("ehlo")

    def has_extn(self, name: str) -> bool:
        return name == "starttls" and self.offers_starttls

    def starttls(self, **kw: Any) -> None:
        self.log.append("starttls")

    def login(self, user: str, password: str) -> None:
        self.log.append(f"login {user}")

    def send_message(self, msg: Any) -> None:
        self.log.append("send")


class FakeSmtpSsl(FakeSmtp):
    pass


class TestSmtp:
    @pytest.fixture(autouse=True)
    def fake(self, monkeypatch: pytest.MonkeyPatch) -> None:
        FakeSmtp.log = []
        FakeSmtp.offers_starttls = True
        monkeypatch.setattr(smtplib, "SMTP", FakeSmtp)
        monkeypatch.setattr(smtplib, "SMTP_SSL", FakeSmtpSsl)

    def test_smtp_upgrades_with_starttls_before_the_login(self) -> None:
        SmtpMailer("smtp://u%40x:pw@mail.example:587", "a@b").send(to="c@d", subject="s", body="b")
        assert FakeSmtp.log == ["connect mail.example:587 FakeSmtp", "ehlo", "starttls", "ehlo", "login u@x", "send"]

    def test_no_password_in_clear(self) -> None:
        FakeSmtp.offers_starttls = False
        with pytest.raises(smtplib.SMTPNotSupportedError):
            SmtpMailer("smtp://u:pw@mail.example:25", "a@b").send(to="c@d", subject="s", body="b")
        assert not any(line.startswith("login") for line in FakeSmtp.log)
        FakeSmtp.log = []
        SmtpMailer("smtp://relay.internal", "a@b").send(to="c@d", subject="s", body="b")  # no login: a local relay
        assert FakeSmtp.log[-1] == "send"

    def test_smtps_speaks_tls_from_the_start(self) -> None:
        SmtpMailer("smtps://u:pw@mail.example", "a@b").send(to="c@d", subject="s", body="b")
        assert FakeSmtp.log == ["connect mail.example:465 FakeSmtpSsl", "login u", "send"]


class TestImageAndCompose:
    def test_the_image_keeps_secrets_and_data_out_and_has_no_demo_users(self) -> None:
        ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
        assert {".env", "var/", ".venv/", ".git/"} <= ignored
        assert "DEMO=false" in (ROOT / "Dockerfile").read_text()

    def test_compose_publishes_only_the_web_port(self) -> None:
        compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        published = {name for name, svc in compose["services"].items() if svc.get("ports")}
        assert published == {"api"}
        env = compose["services"]["api"]["environment"]
        for name in ("TEMPORAL_TLS_CA", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_API_KEY", "METRICS_TOKEN"):
            assert name in env
        assert compose["services"]["api"]["environment"]["DEMO"].endswith("false}")


class TestWorkflowRunner:
    """Issue 12: the workers of `make run` run workflow code without Temporal's sandbox (its per-payload cost was ~12 %
    of a worker's CPU); the tests' workers and the replay of every recorded history keep it."""

    def test_workers_run_without_the_sandbox_by_default(self) -> None:
        from temporalio.worker import UnsandboxedWorkflowRunner

        assert isinstance(worker.workflow_runner(settings()), UnsandboxedWorkflowRunner)

    def test_worker_sandbox_turns_it_on(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

        monkeypatch.setenv("WORKER_SANDBOX", "true")
        assert isinstance(worker.workflow_runner(Settings(secret_key="test-secret-key-0123456789abcdef")),
                          SandboxedWorkflowRunner)


class TestTaskQueuePartitions:
    """Issue 12: under CLOCK=simulated the time-skipping server gave every new case to the worker that polled last, so
    one worker process ran every case. The launcher then spreads the cases over partition queues, one set per worker;
    against a real Temporal server (which balances by itself) every case stays on TASK_QUEUE."""

    def test_off_by_default(self) -> None:
        s = settings()
        assert s.task_queue_partitions == 0
        assert s.case_queue("VC-2026-1") == "flow168"
        assert s.worker_partitions(0, 2) == []

    def test_cases_spread_over_the_partitions_and_every_partition_has_a_worker(self) -> None:
        s = settings(task_queue_partitions=3)
        queues = [s.case_queue(f"VC-2026-{i:04x}") for i in range(300)]
        assert set(queues) == {"flow168.0", "flow168.1", "flow168.2"}
        assert min(queues.count(q) for q in set(queues)) > 60  # crc32 spreads them
        assert queues == [s.case_queue(f"VC-2026-{i:04x}") for i in range(300)]  # the same in every process
        polled = [s.worker_partitions(i, 2) for i in range(2)]
        assert polled == [["flow168.0", "flow168.2"], ["flow168.1"]]

    def test_the_web_app_starts_a_case_where_the_settings_say(self) -> None:
        from api.services.cases import Engine

        s = settings(task_queue_partitions=2)
        engine = Engine(client=None, task_queue=s.task_queue, partitions=s.task_queue_partitions)  # type: ignore[arg-type]
        assert all(engine.case_queue(f"PA-{i}") == s.case_queue(f"PA-{i}") for i in range(50))

    def test_a_worker_knows_its_number(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("FLOW168_WORKER", "worker-1")
        assert worker.worker_index(settings(workers=2)) == (1, 2)
        monkeypatch.delenv("FLOW168_WORKER")
        assert worker.worker_index(settings(workers=0)) == (0, 1)

    @pytest.mark.parametrize(("clock", "partitions"), [("simulated", "2"), ("real", None)])
    def test_the_launcher_partitions_only_under_the_simulated_clock(
            self, clock: str, partitions: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("TASK_QUEUE_PARTITIONS", raising=False)
        seen: dict[str, dict[str, str]] = {}

        class Proc:
            pid = 1

        def popen(cmd: list[str], *, env: dict[str, str], **_: Any) -> Proc:
            seen[env.get("FLOW168_WORKER", "web")] = env
            return Proc()

        monkeypatch.setattr(launcher.subprocess, "Popen", popen)
        children = launcher.Children(settings(clock=clock, data_dir=tmp_path), "127.0.0.1:7233", 2, web=True)
        children.start()
        assert set(seen) == {"web", "worker-0", "worker-1"}
        assert {env.get("TASK_QUEUE_PARTITIONS") for env in seen.values()} == {partitions}
        assert {env["WORKERS"] for env in seen.values()} == {"2"}
