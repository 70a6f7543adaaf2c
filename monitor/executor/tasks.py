"""The one Celery task: execute a firing by its key (monitor/executor/runs.py)."""

from __future__ import annotations

from typing import Any

from monitor.executor.app import TASK
from monitor.executor.runs import RETRY_BUSY_S, Busy, NotRecorded, WorkerHost
from store.errors import StoreError

STORE_BACKOFF_MAX_S = 60.0


def register(app: Any, host: WorkerHost) -> Any:
    """Register the task on `app`, executing on `host`. A busy firing is delivered again after
    a pause; a store outage (before, during or after the run) is retried with backoff (1, 2,
    4 … 60 s), so no firing is lost."""

    @app.task(name=TASK, bind=True, max_retries=None)  # type: ignore[untyped-decorator]
    def run_firing(task: Any, key: str) -> dict[str, object]:
        try:
            return host.execute(key)
        except Busy as exc:
            raise task.retry(countdown=RETRY_BUSY_S, exc=exc) from None
        except (StoreError, NotRecorded) as exc:
            wait = min(STORE_BACKOFF_MAX_S, 2.0 ** min(task.request.retries, 6))
            raise task.retry(countdown=wait, exc=exc) from None

    return run_firing
