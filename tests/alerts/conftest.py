"""Fixtures for the alerts tests: loopback HTTP and SMTP receivers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.receivers import HttpReceiver, Mailbox, http_receiver, smtp_server


@pytest.fixture(scope="module")
def http() -> Iterator[HttpReceiver]:
    yield from http_receiver()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from smtp_server()
