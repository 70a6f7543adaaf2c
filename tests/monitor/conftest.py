"""Fixtures for the monitor tests: loopback receivers for alert delivery."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.receivers import HttpReceiver, Mailbox, http_receiver, smtp_server


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    """An HTTP receiver that records every POST (scripted answers, 200 by default)."""
    yield from http_receiver()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on loopback."""
    yield from smtp_server()
