"""The Integration page's golden-record view, for an integration with `targets`: which
systems disagree with the golden record (the source) for which fields. The counts come from
each target's latest reconcile result; the record x system matrix from the records those
results left mismatched (store/drilldown.mismatched_keys), for a sample of keys."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.context import AppContext
from dashboard.format import record_key

SAMPLE_KEYS = 25
AGREES = "✓"
MISSING = "missing"
EXTRA = "not in the reference"
GOLDEN_HELP = (
    "Each system is compared with the reference record by record. A cell names the fields "
    f"that differ; “{MISSING}”: the record is not in that system; “{EXTRA}”: the system has a "
    f"record the reference does not; {AGREES}: the system agrees."
)


def target_checks(ctx: AppContext, name: str) -> dict[str, str]:
    """Reconcile check name -> target label, for an integration with `targets`."""
    integration = ctx.config.integrations[name]
    return {integration.per_target("reconcile", ref): ref.label for ref in integration.targets}


def field_counts(latest: pd.DataFrame, checks: dict[str, str]) -> pd.DataFrame:
    """Records disagreeing with the golden record, per field (rows) and system (columns), from
    each target's latest reconcile result."""
    columns: dict[str, dict[str, int]] = {}
    for check, metrics in zip(latest["check"], latest["metrics"], strict=True):
        if check not in checks or not isinstance(metrics, dict):
            continue
        counts = {str(f): int(n) for f, n in (metrics.get("changed_by_field") or {}).items()}
        counts[MISSING] = int(metrics.get("missing_in_target") or 0)
        counts[EXTRA] = int(metrics.get("missing_in_source") or 0)
        columns[checks[check]] = counts
    order = [label for label in checks.values() if label in columns]
    return pd.DataFrame({label: columns[label] for label in order}).fillna(0).astype(int)


def record_matrix(keys: pd.DataFrame, checks: dict[str, str], sample: int) -> pd.DataFrame:
    """Up to `sample` records (most systems disagreeing first, then longest wrong) x systems:
    what each system gets wrong about the record, or AGREES."""
    cells: dict[str, dict[str, str]] = {}
    first: dict[str, Any] = {}
    for check, key, kind, fields, seen in zip(
        keys["check"], keys["key"], keys["kind"], keys["fields"], keys["first_seen"], strict=True
    ):
        if check not in checks:
            continue
        text = record_key(key)
        cells.setdefault(text, {})[checks[check]] = _cell(str(kind), fields)
        first[text] = min(first.get(text, seen), seen)
    chosen = sorted(cells, key=lambda k: (-len(cells[k]), first[k], k))[:sample]
    labels = list(checks.values())
    rows = [{label: cells[k].get(label, AGREES) for label in labels} for k in chosen]
    return pd.DataFrame(rows, index=pd.Index(chosen, name="record"), columns=labels)


def _cell(kind: str, fields: object) -> str:
    if kind == "missing_in_target":
        return MISSING
    if kind == "missing_in_source":
        return EXTRA
    return ", ".join(sorted(fields)) if isinstance(fields, dict) and fields else kind


def _shade(value: object) -> str:
    return "" if value == AGREES else "background-color: #fde2e1; color: #8a1c1c"


def render_golden(ctx: AppContext, name: str) -> None:
    """The counts and the matrix, when the integration compares several targets."""
    checks = target_checks(ctx, name)
    if not checks:
        return
    path = str(ctx.config_path)
    golden = ctx.config.integrations[name].source.label
    st.subheader(f"360 view: {golden} (the reference) against {len(checks)} systems")
    counts = field_counts(data.latest_checks(path, name), checks)
    if counts.empty:
        st.info("No run has compared the systems with the reference yet.")
        return
    st.caption(f"Records that disagree with {golden}, per field and system (latest run).")
    st.dataframe(
        counts.rename_axis("field").style.map(lambda v: "" if v == 0 else _shade(v)),
        width="stretch",
    )
    matrix = record_matrix(data.mismatched_keys(path, name), checks, SAMPLE_KEYS)
    if matrix.empty:
        st.success(f"Every system agrees with {golden} on every record.")
        return
    st.caption(f"{len(matrix)} of the records that disagree, most systems first. {GOLDEN_HELP}")
    st.dataframe(matrix.style.map(_shade), width="stretch")
