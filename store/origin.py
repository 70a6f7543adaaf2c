"""Where a run came from when the celery executor handed it out: the worker that executed it,
its cron slot and the key of the firing it serves (columns of `runs`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.types import require_utc


@dataclass(frozen=True)
class RunOrigin:
    worker: str
    firing: str
    scheduled_for: datetime | None = None

    def columns(self) -> dict[str, Any]:
        at = self.scheduled_for
        return {
            "worker": self.worker,
            "firing": self.firing,
            "scheduled_for": None if at is None else require_utc(at, "scheduled_for"),
        }
