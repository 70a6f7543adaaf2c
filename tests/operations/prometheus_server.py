"""A real Prometheus server for tests: Debian's binary with its own config and data directory on
a free loopback port, scraping the targets it is given every second."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.ports import free_port

PROMETHEUS = "/usr/bin/prometheus"


def require_prometheus() -> str:
    """The binary, or fail under CI / skip locally when Debian's package is missing."""
    if shutil.which(PROMETHEUS) is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus is missing: `make test` installs it (apt-get prometheus)")
        pytest.skip("prometheus is missing; run `make browser`")
    return PROMETHEUS


@contextmanager
def prometheus_scraping(target: str, workdir: Path) -> Iterator[str]:
    """Start Prometheus scraping `target` (host:port) every second; yields its base URL."""
    binary = require_prometheus()
    port = free_port()
    config = workdir / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: dxq\n    static_configs: [{{targets: ['{target}']}}]\n",
        encoding="utf-8",
    )
    log = (workdir / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def query(base: str, promql: str) -> list[dict[str, Any]]:
    """The instant-query result vector (empty until the series has been scraped)."""
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    except OSError:
        return []  # not listening yet
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def value_of(base: str, promql: str, timeout: float = 60.0) -> float:
    """The single value of `promql`, waiting until Prometheus has scraped it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = query(base, promql)
        if result:
            assert len(result) == 1, result
            return float(result[0]["value"][1])
        time.sleep(0.5)
    raise AssertionError(f"Prometheus never returned {promql}")
