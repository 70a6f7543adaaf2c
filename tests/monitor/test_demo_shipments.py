"""The demo's shipments integration: shop orders against the courier's parcels, matched through
the courier's order_parcels crosswalk. Its stored reconcile result at the end of the history
counts exactly the defects the demo world injected (demo/shipments.py)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from demo import shipments
from demo.world import DemoWorld
from tests.conftest import DEMO_END


def _last_reconcile(store_path: str) -> dict[str, object]:
    """The metrics of shipments' reconcile in the history's last run."""
    with sqlite3.connect(store_path) as conn:
        (metrics,) = conn.execute(
            "SELECT c.metrics FROM check_results c JOIN runs r ON r.id = c.run_id "
            "WHERE r.integration = 'shipments' AND r.\"trigger\" = 'demo' "
            "AND c.\"check\" = 'reconcile' ORDER BY r.started_at DESC LIMIT 1"
        ).fetchone()
    conn.close()
    found: dict[str, object] = json.loads(metrics)
    return found


def test_the_crosswalk_counts_equal_the_injected_defects(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    end = datetime.fromisoformat(DEMO_END)
    world = DemoWorld(tmp_path, days=3, end=end)
    stated = world.defects(end)
    assert (stated.parcels_returned, stated.orders_not_in_crosswalk, stated.orders_split) == (
        shipments.RETURNED,
        shipments.UNLINKED,
        shipments.SPLIT,
    )
    world.advance_to(end)
    with sqlite3.connect(tmp_path / "shop.db") as conn:
        (shipped,) = conn.execute(
            "SELECT count(*) FROM orders WHERE status IN ('shipped', 'delivered')"
        ).fetchone()
    conn.close()
    metrics = _last_reconcile(demo_env["DXQ_STORE_URL"].removeprefix("sqlite:///"))
    unlinked, split = stated.orders_not_in_crosswalk, stated.orders_split
    expected = {
        "changed": stated.parcels_returned,
        "missing_in_target": 0,
        "missing_in_source": 0,
        "compared": shipped - unlinked - split,
        "source_keys_not_in_crosswalk": unlinked,
        "target_keys_not_in_crosswalk": unlinked,  # their parcels are unlinked too
        "source_keys_ambiguous": split,  # the split order
        "target_keys_ambiguous": 2 * split,  # its two parcels
        "crosswalk_one_to_many": split,
        "crosswalk_many_to_one": 0,
        "unmatched_keys": 2 * unlinked + 3 * split,
        "engine": "crosswalk",
    }
    assert {name: metrics.get(name) for name in expected} == expected
