"""The HTTP API against a live `dxq api` (uvicorn) on loopback, called with httpx like a CI
gate or a bot would: reads, the two actions with their roles, and every refusal."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.scheduler.world import ROOT, make_source, migrated, running, stop, wait_for
from tests.support.ports import free_port

ONCALL_TOKEN = "oncall-" + "o" * 24
PO_TOKEN = "po-" + "p" * 24
READER_TOKEN = "reader-" + "r" * 24


def _monitor_file(tmp_path: Path, store_url: str, tokens: dict[str, str] | None) -> Path:
    source = make_source(tmp_path)
    with sqlite3.connect(source.removeprefix("sqlite:///")) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS mirror (sku TEXT PRIMARY KEY, qty INTEGER)")
        conn.execute("INSERT OR REPLACE INTO mirror VALUES ('A-1', 1)")  # one row short
    doc: dict[str, Any] = {
        "version": 1,
        "store": store_url,
        "owners": {
            "oncall": {"role": "oncall", "webhook": "http://127.0.0.1:9/hook"},
            "po": {"role": "business", "webhook": "http://127.0.0.1:9/hook"},
        },
        "systems": {"shop": {"url": source}},
        "integrations": {
            "stock": {
                "description": "stock to the mirror",
                "source": "shop.products",
                "target": "shop.mirror",
                "volume": {"tolerance": "0%"},
                "owners": ["oncall"],
            },
            "catalog": {
                "source": "shop.products",
                "target": "shop.products",
                "volume": {"tolerance": "0%"},
                "owners": ["po"],
            },
            "never-ran": {"source": "shop.products", "target": "shop.products", "owners": ["po"]},
        },
    }
    if tokens is not None:
        doc["api"] = {"tokens": tokens}
    path = tmp_path / "dxq.yml"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _dxq(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ,
    )


class Api:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, f"{self.base}{path}", headers=headers, timeout=10, **kw)


@contextmanager
def serving_api(config: Path, log_path: Path) -> Iterator[Api]:
    """`dxq api -c CONFIG` on a free loopback port until the block ends (stopped with
    SIGTERM); yields a client once its health endpoint answers."""
    port = free_port()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "api", "-c", str(config), "--port", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = Api(f"http://127.0.0.1:{port}")

        def healthy() -> bool:
            try:
                return client.call("GET", "/api/v1/health").status_code == 200
            except httpx.TransportError:
                return False

        with running(proc):
            wait_for(healthy, 60, "the API to answer")
            yield client
            stop(proc)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[Api, Path]]:
    store_url = migrated(f"sqlite:///{tmp_path}/results.db")
    config = _monitor_file(
        tmp_path, store_url, {"oncall": ONCALL_TOKEN, "po": PO_TOKEN, "reader": READER_TOKEN}
    )
    ran = _dxq("run", "-c", str(config), "stock", "catalog")
    assert ran.returncode == 1, ran.stderr  # stock fails, catalog passes
    with serving_api(config, tmp_path / "api.log") as client:
        yield client, tmp_path


def test_reads(api: tuple[Api, Path]) -> None:
    client, _ = api
    listed = client.call("GET", "/api/v1/integrations", READER_TOKEN)
    assert listed.status_code == 200
    by_name = {i["name"]: i for i in listed.json()}
    assert by_name["stock"]["status"] == "failed"
    assert by_name["stock"]["open_alerts"] == 1
    assert by_name["catalog"]["status"] == "passed"
    assert by_name["never-ran"]["status"] is None and by_name["never-ran"]["last_run_at"] is None

    one = client.call("GET", "/api/v1/integrations/stock", READER_TOKEN).json()
    assert [c["kind"] for c in one["checks"]] == ["volume"]
    assert one["checks"][0]["outcome"] == "failed"

    runs = client.call("GET", "/api/v1/integrations/stock/runs?limit=5", READER_TOKEN).json()
    assert len(runs) == 1 and runs[0]["status"] == "failed" and runs[0]["trigger"] == "manual"

    firing = client.call("GET", "/api/v1/alerts?state=firing", READER_TOKEN).json()
    assert [(a["integration"], a["kind"], a["state"]) for a in firing] == [
        ("stock", "data_quality", "firing")
    ]
    assert client.call("GET", "/api/v1/alerts?state=resolved", READER_TOKEN).json() == []


def test_refusals(api: tuple[Api, Path]) -> None:
    client, _ = api
    assert client.call("GET", "/api/v1/integrations").status_code == 401
    bad = client.call("GET", "/api/v1/integrations", "not-a-token-at-all-xxxxxxxx")
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    assert client.call("GET", "/api/v1/integrations/nope", READER_TOKEN).status_code == 404
    assert client.call("GET", "/api/v1/alerts?state=open", READER_TOKEN).status_code == 422
    assert (
        client.call("GET", "/api/v1/integrations/stock/runs?limit=0", READER_TOKEN).status_code
        == 422
    )
    # a reader (no owner) may not act; the catalogue's owner may not acknowledge stock's alert
    assert client.call("POST", "/api/v1/integrations/stock/runs", READER_TOKEN).status_code == 403
    alert_id = client.call("GET", "/api/v1/alerts", READER_TOKEN).json()[0]["id"]
    path = f"/api/v1/alerts/{alert_id}/acknowledge"
    assert client.call("POST", path, PO_TOKEN, json={}).status_code == 403
    malformed = client.call("POST", path, ONCALL_TOKEN, json={"comment": 5, "x": 1})
    assert malformed.status_code == 422
    assert (
        client.call("POST", "/api/v1/alerts/999999/acknowledge", ONCALL_TOKEN, json={}).status_code
        == 404
    )


def test_actions_with_audit(api: tuple[Api, Path]) -> None:
    client, tmp_path = api
    alert_id = client.call("GET", "/api/v1/alerts", READER_TOKEN).json()[0]["id"]
    path = f"/api/v1/alerts/{alert_id}/acknowledge"
    done = client.call("POST", path, ONCALL_TOKEN, json={"comment": "looking"})
    assert done.status_code == 200, done.text
    again = client.call("POST", path, ONCALL_TOKEN, json={})
    assert again.status_code == 409
    acked = client.call("GET", "/api/v1/alerts?state=acknowledged", READER_TOKEN).json()
    assert [(a["id"], a["acknowledged_by"]) for a in acked] == [(alert_id, "oncall")]
    with sqlite3.connect(tmp_path / "results.db") as conn:
        events = conn.execute(
            "SELECT actor, event, detail FROM alert_events WHERE alert_id = ? AND actor = 'oncall'",
            (alert_id,),
        ).fetchall()
    assert [(actor, event) for actor, event, _ in events] == [("oncall", "acknowledged")]
    assert "looking" in events[0][2]

    queued = client.call("POST", "/api/v1/integrations/stock/runs", ONCALL_TOKEN)
    assert queued.status_code == 202
    with sqlite3.connect(tmp_path / "results.db") as conn:
        row = conn.execute(
            "SELECT integration, requested_by, status FROM run_requests WHERE id = ?",
            (queued.json()["request_id"],),
        ).fetchone()
    assert row == ("stock", "oncall", "queued")


def test_store_down_is_503_without_traceback(tmp_path: Path) -> None:
    """The results database is dropped under a running API: 503 and one log line each."""
    import uuid

    import sqlalchemy as sa

    from tests.conftest import PG_ADMIN_URL

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"dxq_api_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    store_url = migrated(
        sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    )
    config = _monitor_file(tmp_path, store_url, {"oncall": ONCALL_TOKEN})
    log_path = tmp_path / "api.log"
    try:
        with serving_api(config, log_path) as client:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            health = client.call("GET", "/api/v1/health")
            listed = client.call("GET", "/api/v1/integrations", ONCALL_TOKEN)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    assert health.status_code == 503 and listed.status_code == 503
    assert listed.json()["detail"].startswith("results database unavailable")
    logged = log_path.read_text()
    assert "Traceback" not in logged
    assert "api: GET /api/v1/integrations: results store:" in logged


def test_no_tokens_reads_only_and_stays_on_loopback(tmp_path: Path) -> None:
    store_url = migrated(f"sqlite:///{tmp_path}/results.db")
    config = _monitor_file(tmp_path, store_url, None)
    refused = _dxq("api", "-c", str(config), "--host", "0.0.0.0", "--port", str(free_port()))
    assert refused.returncode == 2
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith("dxq: --host 0.0.0.0 would serve the API beyond this machine without tokens")
    )
    short = _monitor_file(tmp_path, store_url, {"ci-gate": "short"})
    bad = _dxq("validate", "-c", str(short))
    assert bad.returncode == 2
    assert "api.tokens: " in bad.stderr and "too short to be secret" in bad.stderr
