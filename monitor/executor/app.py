"""The Celery application of a monitor file: its broker, the one task's settings and the
visibility timeout (longer than any integration's timeout, so Redis does not hand a run that
is still going to a second worker)."""

from __future__ import annotations

from typing import Any

from monitor.config.model import Config
from monitor.errors import MonitorError

TASK = "dxq.run"
VISIBILITY_MARGIN_S = 30.0  # the visibility timeout exceeds the longest run's lease by this
RESTORE_EVERY_S = 5  # how often a live worker gives back what a dead one left unacknowledged
CONNECT_TIMEOUT_S = 3.0


class BrokerUnreachable(MonitorError):
    """The broker does not answer (one line for the terminal)."""


class CeleryMissing(BrokerUnreachable):
    """Celery is not installed (it is the optional `celery` extra): dxq has no client to reach
    the broker with. A kind of BrokerUnreachable, so `dxq workers` and the Runs page say it in
    the same one line."""


INSTALL_HINT = "executor: celery needs Celery, which is not installed: pip install 'dxq[celery]'"


def visibility_timeout(config: Config) -> float:
    """Longer than any integration's timeout plus the run lease's margin."""
    from monitor.run.guarded import LEASE_MARGIN_S

    longest = max((i.timeout for i in config.integrations.values()), default=600.0)
    return longest + LEASE_MARGIN_S + VISIBILITY_MARGIN_S


def celery_app(config: Config) -> Any:
    """The Celery app for `config` (which must name a celery executor); `CeleryMissing` when
    Celery is not installed."""
    try:
        from celery import Celery
    except ImportError:
        raise CeleryMissing(INSTALL_HINT) from None

    if config.executor is None:
        raise MonitorError("the monitor file has no 'executor: {kind: celery, broker: ...}'")
    app = Celery("dxq", broker=config.executor.broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_default_queue="dxq",
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_timeout=CONNECT_TIMEOUT_S,
        broker_connection_retry_on_startup=False,
        broker_transport_options={
            "visibility_timeout": visibility_timeout(config),
            # kombu's default sweep runs every 10 x 10 s: a dead worker's run would wait
            # more than a minute beyond the visibility timeout
            "unacked_restore_interval": RESTORE_EVERY_S,
            "unacked_restore_throttle": 1,
        },
        worker_send_task_events=False,
    )
    return app


def check_broker(app: Any, broker: str) -> None:
    """Raise `BrokerUnreachable` (one line) unless the broker answers now."""
    from datasources.credentials import mask_url

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT_S)
    except Exception as exc:  # kombu raises several unrelated kinds for one outage
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise BrokerUnreachable(
            f"the broker {mask_url(broker)} cannot be reached: {detail}"
        ) from None
