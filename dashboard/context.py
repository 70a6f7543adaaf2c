"""What every page needs: the monitor file and the results store, opened once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from monitor.config.integration import DatasetRef
from monitor.config.loading import load_config, resolve_config_path
from monitor.config.model import Config
from monitor.daemon.cron_words import schedule_words
from monitor.errors import MonitorError
from store.errors import StoreError
from store.store import ResultStore


@dataclass(frozen=True)
class AppContext:
    config_path: Path
    config: Config
    store: ResultStore


@st.cache_resource(show_spinner=False)
def _open(config_path: str) -> AppContext:
    path = Path(config_path)
    config = load_config(path, os.environ)
    return AppContext(path, config, ResultStore.open(config.store))


def app_context() -> AppContext:
    """The loaded monitor file and store; stops the page with a clear error when it can't."""
    try:
        path = resolve_config_path(os.environ.get("DXQ_CONFIG"), os.environ)
        return _open(str(path))
    except MonitorError as exc:
        st.error(f"dxq cannot start: {exc}")
        st.stop()
        raise  # unreachable: st.stop() raises
    except StoreError as exc:
        st.error(f"dxq cannot read its results database: {exc}")
        st.stop()
        raise


def owner_names(config: Config, integration: str) -> str:
    """The display names of an integration's owners, or "nobody"."""
    owners = config.integrations[integration].owners
    names = [(config.owners[o].name or o) if o in config.owners else o for o in owners]
    return ", ".join(names) or "nobody"


def side_label(config: Config, integration: str, side: str) -> str:
    """`pim.products`, `pim (query)` or `wms` for one side of an integration."""
    ref = getattr(config.integrations[integration], side)
    if ref.table:
        return f"{ref.system}.{ref.table}"
    return f"{ref.system} (query)" if ref.query else str(ref.system)


def check_target(config: Config, integration: str, check: str) -> DatasetRef:
    """The target a check measured: with `targets`, the one a per-target check is named after
    (`reconcile(erp.customers)`); the integration's target otherwise."""
    i = config.integrations[integration]
    named = {i.per_target(kind, t): t for t in i.targets for kind in ("volume", "reconcile")}
    return named.get(check, i.target)


def check_systems(config: Config, integration: str, check: str) -> tuple[str, str]:
    """(source system, target system) of one check; ("source", "target") for an integration
    the monitor file no longer has."""
    if integration not in config.integrations:
        return "source", "target"
    source = config.integrations[integration].source.system
    return str(source), str(check_target(config, integration, check).system)


def integration_facts(config: Config, integration: str) -> str:
    """One line for people: the flow, which system holds the correct record, how often it is
    checked (in words, in its time zone) and who owns it."""
    i = config.integrations[integration]
    golden = str(getattr(i, i.golden).system)
    direction = "kept in step both ways" if i.direction == "two-way" else "flows one way"
    when = schedule_words(i.schedule)
    if i.schedule and i.timezone != "UTC":
        when = f"{when} ({i.timezone})"
    targets = ", ".join(t.label for t in i.targets) or side_label(config, integration, "target")
    return (
        f"{side_label(config, integration, 'source')} → {targets}"
        f" · {direction}; {golden} holds the correct record (the reference) · checked {when} · "
        f"owner: {owner_names(config, integration)}"
    )
