"""The garbage collector's settings a started process takes (worker.tune_gc, issue 12, thirteenth round)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import worker
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def gc_as_it_was() -> Iterator[None]:
    before = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def settings(**kw: object) -> Settings:
    return Settings(secret_key="test-secret-key-0123456789abcdef", **kw)  # type: ignore[arg-type]


def test_a_started_process_freezes_what_it_built_and_collects_young_objects_less_often(gc_as_it_was: None) -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    built = [object() for _ in range(10)] + [{"n": i} for i in range(100)]
    worker.tune_gc(settings())
    assert gc.get_threshold() == (20_000, 10, 10)
    assert gc.get_freeze_count() >= len(built)  # everything alive at start-up is out of the collector's way
    assert not any(gc.is_tracked(b) and b in gc.get_objects(generation=2) for b in built[10:12])


def test_zero_keeps_pythons_own_settings(gc_as_it_was: None) -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    worker.tune_gc(settings(gc_threshold0=0))
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0


def test_the_production_shape_sets_it_for_the_web_app_and_the_workers() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service in ("api", "worker"):
        assert str(compose["services"][service]["environment"]["GC_THRESHOLD0"]).endswith("20000}")


def test_a_process_runs_on_the_event_loop_its_settings_name() -> None:
    import asyncio

    import uvloop

    async def loop_type() -> type:
        return type(asyncio.get_running_loop())

    assert worker.run_process(loop_type(), settings()) is uvloop.Loop  # the default
    assert worker.run_process(loop_type(), settings(event_loop="asyncio")) is not uvloop.Loop
    assert issubclass(worker.run_process(loop_type(), settings(event_loop="asyncio")), asyncio.BaseEventLoop)


def test_the_production_shape_names_the_event_loop() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service in ("api", "worker"):
        assert str(compose["services"][service]["environment"]["EVENT_LOOP"]).endswith("uvloop}")
