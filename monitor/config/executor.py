"""The `executor` section of the monitor file and the `queue` of systems and integrations.

Without `executor`, `dxq schedule` runs every integration on its own thread pool (the
embedded default). With `executor: {kind: celery, broker: ...}` it enqueues one Celery task
per firing and `dxq worker` processes execute them (docs/monitor-file.md#executor)."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, field_validator

from monitor.config.values import Model

DEFAULT_QUEUE = "dxq"
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")
_QUEUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_queue(name: str) -> str:
    """A queue name: letters, digits, '.', '_' and '-', at most 64 characters."""
    if not _QUEUE.fullmatch(name):
        raise ValueError(
            f"invalid queue name '{name}': use letters, digits, '.', '_' or '-' "
            "(at most 64 characters, starting with a letter or digit), e.g. queue: erp-eu"
        )
    return name


Queue = Annotated[str, AfterValidator(check_queue)]


class Executor(Model):
    """Where runs execute: a Celery broker (Redis or RabbitMQ)."""

    kind: Literal["celery"]
    broker: str

    @field_validator("broker")
    @classmethod
    def _check_broker(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in BROKER_SCHEMES:
            got = f"'{parts.scheme}://'" if parts.scheme else "no scheme"
            raise ValueError(
                f"expected a redis:// or amqp:// broker URL (got {got}), "
                'e.g. broker: "redis://127.0.0.1:6379/0"'
            )
        if not parts.hostname:
            raise ValueError("the broker URL has no host, e.g. redis://127.0.0.1:6379/0")
        return url
