"""A dispatcher that dies mid-delivery: it claims (and, with `send`, delivers) every due
notification, says so on stdout, then sleeps until the crash tests kill it with SIGKILL.

    python -m tests.alerts.outbox_worker CONFIG claim|send NOW_ISO LEASE_S
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

from monitor.config.loading import load_config
from monitor.daemon.dispatcher import attempt
from monitor.run.alert_context import alert_context
from store.outbox import claim_due
from store.store import ResultStore


def main(config_path: str, mode: str, now_iso: str, lease_s: str) -> None:
    config = load_config(Path(config_path), {})
    context = alert_context(config)
    store = ResultStore.open(config.store)
    now = datetime.fromisoformat(now_iso)
    with store.transaction() as tx:
        claimed = claim_due(tx.connection, "doomed-worker", now, float(lease_s), 50)
    if mode == "send":
        results = [attempt(context, c, now, 5.0) for c in claimed]
        assert all(r.delivered for r in results), results
    print(f"{mode} {len(claimed)}", flush=True)
    time.sleep(120)


if __name__ == "__main__":
    main(*sys.argv[1:])
