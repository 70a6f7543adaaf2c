"""The demo's 360 customer view: the CRM's golden record against the shop and the ERP in one
run, shown on the Integration page as counts per field and system and a record x system
matrix, each equal to the ground truth the demo injected on its last day."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.golden_view import AGREES, EXTRA, MISSING, field_counts, record_matrix
from demo.world import DemoWorld
from tests.conftest import DEMO_END
from tests.dashboard.support import open_page
from tests.dashboard.vega_read import panels, series, titles, vega_specs

CHECKS = {
    "reconcile(shop.customers)": "shop.customers",
    "reconcile(erp.customers)": "erp.customers",
}


def _truth(tmp_path: Path) -> object:
    end = datetime.fromisoformat(DEMO_END)
    return DemoWorld(tmp_path / "world", end=end).defects(end)


@pytest.mark.usefixtures("demo_dashboard")
def test_the_customers_page_shows_the_injected_disagreements(tmp_path: Path) -> None:
    truth = _truth(tmp_path)
    at = open_page("integration", integration="customers")
    assert "crm.customers → shop.customers, erp.customers" in at.caption[0].value
    heading = "360 view: crm.customers (the reference) against 2 systems"
    assert any(heading in s.value for s in at.subheader)
    counts, matrix = (f.value for f in at.dataframe if "erp.customers" in f.value.columns)
    assert list(counts.columns) == ["shop.customers", "erp.customers"]
    shop, erp = counts["shop.customers"], counts["erp.customers"]
    assert shop["email"] == truth.null_emails  # type: ignore[attr-defined]
    assert shop[EXTRA] == truth.duplicate_customers  # type: ignore[attr-defined]
    assert erp["country"] == truth.erp_old_countries  # type: ignore[attr-defined]
    assert erp["name"] == truth.erp_old_names  # type: ignore[attr-defined]
    assert erp[MISSING] == truth.erp_missing_customers  # type: ignore[attr-defined]
    assert shop["country"] == shop["name"] == erp["email"] == erp[EXTRA] == 0
    expected_rows = (
        truth.null_emails + truth.duplicate_customers  # type: ignore[attr-defined]
        + truth.erp_old_countries + truth.erp_old_names  # type: ignore[attr-defined]
        + truth.erp_missing_customers - truth.both_disagree  # type: ignore[attr-defined]
    )  # fmt: skip
    assert len(matrix) == expected_rows
    both = matrix[(matrix != AGREES).all(axis=1)]
    assert len(both) == truth.both_disagree == 1  # type: ignore[attr-defined]
    assert list(both.iloc[0]) == ["email", "country"]  # the shop lost it, the ERP kept it old
    assert matrix.index[0] == both.index[0]  # records most systems get wrong come first


def test_the_matrix_samples_records_with_most_systems_disagreeing_first() -> None:
    keys = pd.DataFrame(
        {
            "check": [*CHECKS, "reconcile(shop.customers)", "volume", "reconcile(erp.customers)"],
            "key": [{"id": 1}, {"id": 1}, {"id": 2}, {"id": 9}, {"id": 3}],
            "kind": ["changed", "missing_in_target", "missing_in_source", "changed", "changed"],
            "fields": [{"email": ["a", "b"]}, {}, {}, {"x": [1, 2]}, {"name": ["c", "d"]}],
            "first_seen": pd.to_datetime(["2026-11-03", "2026-11-05", "2026-11-01"] * 1
                                         + ["2026-11-01", "2026-11-02"]),
        }
    )  # fmt: skip
    matrix = record_matrix(keys, CHECKS, sample=2)
    assert list(matrix.index) == ["id=1", "id=2"]  # two systems first, then the oldest
    assert list(matrix.loc["id=1"]) == ["email", MISSING]
    assert list(matrix.loc["id=2"]) == [EXTRA, AGREES]
    latest = pd.DataFrame(
        {
            "check": ["reconcile(erp.customers)", "volume(erp.customers)"],
            "metrics": [{"changed_by_field": {"email": 0, "country": 4}, "missing_in_target": 2,
                         "missing_in_source": 0}, {"source_rows": 3}],
        }
    )  # fmt: skip
    counts = field_counts(latest, CHECKS)
    assert list(counts.columns) == ["erp.customers"]
    assert counts["erp.customers"].to_dict() == {"email": 0, "country": 4, MISSING: 2, EXTRA: 0}


@pytest.mark.usefixtures("demo_dashboard")
def test_the_overview_says_which_target_a_finding_is_about(tmp_path: Path) -> None:
    truth = _truth(tmp_path)
    at = open_page()
    table = next(f.value for f in at.dataframe if "found" in f.value.columns)
    found = " | ".join(str(v) for v in table["found"])
    assert f"{truth.erp_missing_customers:,} missing in erp" in found  # type: ignore[attr-defined]
    assert f"{truth.duplicate_customers:,} missing in crm" in found  # type: ignore[attr-defined]
    assert "missing in shop" not in found


def test_the_mismatch_trend_of_several_targets_is_one_value_a_day(demo_dashboard: str) -> None:
    """Each target's reconcile has its own daily rollup; the Integration page's mismatch line
    is their mean, the worst line the worst of any target (not both targets' values zigzagging
    on one line)."""
    at = open_page("integration", integration="customers")
    [spec] = [s for s in vega_specs(at) if "Mismatch rate" in titles(s)]
    drawn = series(panels(spec)[titles(spec).index("Mismatch rate")])
    mean, worst = drawn["daily mean (%)"], drawn["daily worst (%)"]
    assert len(set(mean["x"])) == len(mean["x"]), "one point a day"
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        rows = pd.read_sql(
            "SELECT day, headline_max FROM daily_rollups WHERE integration = 'customers' "
            "AND kind = 'reconcile'",
            c,
        )
    engine.dispose()
    assert rows.groupby("day").size().max() == 2, "two targets a day in the store"
    expected = sorted(rows.groupby("day")["headline_max"].max() * 100)
    assert sorted(worst["y"]) == pytest.approx(expected)
