"""Backoff: exponential with full jitter, capped, Retry-After as a floor, then dead letter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from alerts.delivery import BackoffPolicy, next_attempt

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
POLICY = BackoffPolicy(base_s=10, cap_s=100, max_attempts=5)


@pytest.mark.parametrize(("attempts", "ceiling"), [(1, 10), (2, 20), (3, 40), (4, 80)])
def test_delay_stays_under_exponential_ceiling(attempts: int, ceiling: float) -> None:
    rng = random.Random(7)
    delays = [
        (next_attempt(attempts, NOW, None, rng, POLICY) - NOW).total_seconds()  # type: ignore[operator]
        for _ in range(200)
    ]
    assert all(0 <= d <= ceiling for d in delays)
    assert max(delays) > ceiling * 0.8  # full jitter spreads over the whole range


def test_cap() -> None:
    policy = BackoffPolicy(base_s=10, cap_s=100, max_attempts=50)
    rng = random.Random(1)
    later = next_attempt(20, NOW, None, rng, policy)
    assert later is not None and later - NOW <= timedelta(seconds=100)


def test_deterministic_with_injected_rng() -> None:
    a = next_attempt(3, NOW, None, random.Random(42), POLICY)
    b = next_attempt(3, NOW, None, random.Random(42), POLICY)
    assert a == b


def test_retry_after_is_a_floor() -> None:
    later = next_attempt(1, NOW, 7.0, random.Random(3), POLICY)
    assert later is not None and later - NOW >= timedelta(seconds=7)


def test_max_attempts_means_dead_letter() -> None:
    assert next_attempt(5, NOW, None, random.Random(0), POLICY) is None
    assert next_attempt(4, NOW, None, random.Random(0), POLICY) is not None
