"""Roles by owner e-mail, and when an integration counts as not reporting."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from dashboard.access import MAINTAINER, ONCALL, RESPONDER, roles_for
from dashboard.staleness import is_stale, stale_at
from demo.command import DEMO_CONFIG
from monitor.config.loading import load_config

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def config():  # type: ignore[no-untyped-def]
    return load_config(DEMO_CONFIG, {**os.environ, "DXQ_DEMO_DIR": "/nonexistent"})


@pytest.mark.parametrize(
    ("email", "roles", "may_ack_catalog"),
    [
        ("oncall@example.com", {RESPONDER, ONCALL}, True),
        ("DATA-TEAM@example.com", {RESPONDER, MAINTAINER}, True),
        ("shop-owner@example.com", {RESPONDER}, True),  # owns product-catalog
        ("finance@example.com", {RESPONDER}, False),  # owns orders, not the catalogue
        ("stranger@example.com", set(), False),
        ("", set(), False),
    ],
)
def test_roles_come_from_owner_emails(config, email, roles, may_ack_catalog) -> None:  # type: ignore[no-untyped-def]
    viewer = roles_for(config, email)
    assert viewer.roles - {"viewer"} == roles
    owners = list(config.integrations["product-catalog"].owners)
    assert viewer.may_respond(owners) is may_ack_catalog


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
