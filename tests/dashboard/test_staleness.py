"""When an integration counts as not reporting (roles are in test_access.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from dashboard.staleness import is_stale, stale_at
from demo.command import DEMO_CONFIG
from monitor.config.loading import load_config

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def config():  # type: ignore[no-untyped-def]
    return load_config(DEMO_CONFIG, {**os.environ, "DXQ_DEMO_DIR": "/nonexistent"})


def test_stale_after_the_next_firing_plus_timeout_and_half_a_gap(config) -> None:  # type: ignore[no-untyped-def]
    catalog = config.integrations["product-catalog"]  # */30, default timeout
    last = datetime(2026, 11, 20, 8, 2, tzinfo=UTC)
    limit = stale_at(catalog, last)
    assert limit == datetime(2026, 11, 20, 8, 30, tzinfo=UTC) + timedelta(
        seconds=catalog.timeout + 900
    )
    assert not is_stale(catalog, last, limit)
    assert is_stale(catalog, last, limit + timedelta(seconds=1))
    assert is_stale(catalog, None, NOW)


def test_on_demand_integration_is_never_stale(config) -> None:  # type: ignore[no-untyped-def]
    on_demand = config.integrations["product-catalog"].model_copy(update={"schedule": None})
    assert stale_at(on_demand, NOW) is None
    assert not is_stale(on_demand, None, NOW)
