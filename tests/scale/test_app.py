"""The Celery app of a monitor file: late acknowledgement, re-delivery of a lost worker's
task, and a visibility timeout longer than any integration's run (no broker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config.loading import load_config
from monitor.errors import MonitorError
from monitor.executor.app import celery_app, visibility_timeout
from tests.scale.world import REDIS, monitor_file
from tests.scale.world import slow_integration as slow


def test_the_app_acks_late_and_outwaits_the_longest_run(tmp_path: Path) -> None:
    short, long_ = slow(0, "dxq"), {**slow(0, "dxq"), "timeout": "45m"}
    config = load_config(
        monitor_file(tmp_path / "dxq.yml", "sqlite:///r.db", REDIS, {"a": short, "b": long_}), {}
    )
    app = celery_app(config)
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    options = app.conf.broker_transport_options
    assert options["visibility_timeout"] == visibility_timeout(config) > 45 * 60
    assert options["unacked_restore_throttle"] == 1
    assert app.conf.broker_url == REDIS


def test_an_app_needs_an_executor(tmp_path: Path) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(MonitorError, match="executor"):
        celery_app(load_config(path, {}))


def test_a_worker_that_celery_stops_by_itself_starts_again_until_an_operator_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Celery ends a worker on an "unrecoverable error" (exit 1; e.g. kombu's race when Redis
    goes away while a thread acknowledges); `serve` starts it again on a fresh app, and ends
    when the shutdown is an operator's (SIGTERM: Celery's worker_shutting_down)."""
    from celery import signals

    from monitor.executor import service

    config = load_config(
        monitor_file(tmp_path / "dxq.yml", "sqlite:///r.db", REDIS, {"a": slow(0, "dxq")}), {}
    )
    calls: list[tuple[object, list[str]]] = []

    class FakeApp:
        def __init__(self) -> None:
            self.conf = celery_app(config).conf

        def task(self, **_: object) -> object:
            return lambda fn: fn

        def worker_main(self, argv: list[str]) -> None:
            calls.append((self, argv))
            if len(calls) < 3:
                raise SystemExit(1)  # Celery's "Unrecoverable error"
            signals.worker_shutting_down.send(sender="w", sig="SIGTERM", how="Warm", exitcode=0)

    class Host:
        abort = __import__("threading").Event()

    monkeypatch.setattr(service, "celery_app", lambda _config: FakeApp())
    monkeypatch.setattr(service, "RESTART_AFTER_S", 0.01)
    service.serve(config, Host(), ["worker", "--pool=threads"])  # type: ignore[arg-type]
    assert [argv for _, argv in calls] == [["worker", "--pool=threads"]] * 3
    assert len({id(app) for app, _ in calls}) == 3, "each start on a fresh app"
