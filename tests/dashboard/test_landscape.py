"""The Overview's map: systems and integrations laid out from the monitor file and the store's
latest results, the filters it follows, and what a click does (AppTest, on the demo's real
recorded history; the layout rules on small files of their own)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.format import duration, percent, status_word
from dashboard.landscape import FlowEdge, Landscape, SystemNode, landscape
from dashboard.landscape_chart import INTEGRATION, SYSTEM, edge_lines, landscape_figure, node_lines
from dashboard.landscape_view import MAP_KEY, MAX_EDGES, SYSTEM_FILTER, clicked
from monitor.config.loading import load_config
from monitor.config.model import Config
from store import health
from store.store import ResultStore
from tests.dashboard.support import open_page, text_of


def _config(
    tmp_path: Path, systems: list[str], flows: list[tuple[str, str, str]], extra: str = ""
) -> Config:
    lines = ["version: 1", f"store: sqlite:///{tmp_path}/results.db", "systems:"]
    lines += [f"  {s}: {{url: 'sqlite:///{s}.db', description: 'the {s}'}}" for s in systems]
    lines.append("integrations:")
    lines += [f"  {n}: {{source: {s}.t, target: {t}.t}}" for n, s, t in flows]
    lines += [extra] if extra else []
    path = tmp_path / "dxq.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(path, {})


def _rows(config: Config, **status: str) -> list[dict[str, Any]]:
    return [{"name": n, "status": status.get(n.replace("-", "_"))} for n in config.integrations]


def test_systems_are_placed_in_the_direction_data_flows(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        ["b", "a", "c", "lonely"],
        [("ab", "a", "b"), ("bc", "b", "c"), ("ac", "a", "c"), ("ab_again", "a", "b")],
    )
    graph = landscape(config, _rows(config))
    column = {n.name: n.column for n in graph.nodes}
    assert column == {"a": 0, "b": 1, "c": 2, "lonely": 0}  # longest flow leading to it
    bends = {e.integration: e.bend for e in graph.edges}
    assert bends["ab"] == -bends["ab_again"] != 0  # two flows between a and b bend apart
    a, b = graph.node("a"), graph.node("b")
    # a -> c passes column 1 where b is: it bends far enough around it
    straight = a.row + (graph.node("c").row - a.row) / 2
    assert abs(straight + bends["ac"] - b.row) >= 0.45


def test_a_cycle_ends_and_a_two_way_flow_stays_one_edge(tmp_path: Path) -> None:
    flows = [("ab", "a", "b"), ("bc", "b", "c"), ("ca", "c", "a")]
    config = _config(tmp_path, ["a", "b", "c"], flows)
    graph = landscape(config, _rows(config))
    assert max(n.column for n in graph.nodes) < 3
    assert len(graph.edges) == 3


def test_an_integration_with_several_targets_is_an_edge_to_each(tmp_path: Path) -> None:
    customers = "  customers: {source: crm.c, targets: [shop.c, erp.c], key: id}"
    config = _config(tmp_path, ["crm", "shop", "erp"], [], customers)
    graph = landscape(config, _rows(config, customers="failed"))
    assert [(e.source, e.target) for e in graph.edges] == [("crm", "shop"), ("crm", "erp")]
    heads = [edge_lines(e)[0] for e in graph.edges]
    assert heads == ["customers → shop · Failing", "customers → erp · Failing"]


def test_the_filters_choose_the_systems_shown(tmp_path: Path) -> None:
    config = _config(tmp_path, ["a", "b", "c", "d"], [("ab", "a", "b"), ("cd", "c", "d")])
    everything = landscape(config, _rows(config))
    assert [n.name for n in everything.nodes] == ["a", "b", "c", "d"]
    only_ab = [r for r in _rows(config) if r["name"] == "ab"]
    assert [n.name for n in landscape(config, only_ab).nodes] == ["a", "b"]
    picked = landscape(config, only_ab, chosen=["b"])
    assert [n.name for n in picked.nodes if n.chosen] == ["b"]
    nothing = landscape(config, [], chosen=["d"])  # a system whose flows are filtered out
    assert [n.name for n in nothing.nodes] == ["d"] and not nothing.edges


def test_labels_escape_what_the_monitor_file_says(tmp_path: Path) -> None:
    config = _config(tmp_path, ["a", "b"], [("ab", "a", "b")])
    hostile = config.systems["a"].model_copy(update={"description": "<a href='x'>click</a>"})
    config = config.model_copy(update={"systems": {**config.systems, "a": hostile}})
    spec = json.dumps(landscape_figure(landscape(config, _rows(config))).to_plotly_json())
    assert "&lt;a href='x'&gt;click&lt;/a&gt;" in spec and "<a href" not in spec


def _figure(at: AppTest) -> dict[str, Any]:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    maps = [c for c in charts if any(t.get("name") == "systems" for t in c["data"])]
    assert len(maps) == 1, "the Overview shows one map"
    return maps[0]


def _labels(figure: dict[str, Any]) -> list[str]:
    return [a["text"] for a in figure["layout"]["annotations"] if a.get("text")]


def _clicked(figure: dict[str, Any]) -> set[tuple[str, str]]:
    return {tuple(c) for t in figure["data"] for c in t.get("customdata") or []}


def _latest(store_url: str) -> pd.DataFrame:
    store = ResultStore.open(store_url)
    try:
        return health.overview(store).set_index("integration")
    finally:
        store.dispose()


@pytest.mark.usefixtures("demo_dashboard")
def test_the_overview_opens_with_the_map_of_the_demo(
    demo_dashboard: str, demo_env: dict[str, str]
) -> None:
    config = load_config(Path(demo_env["DXQ_CONFIG"]), demo_env)
    figure = _figure(open_page())
    labels = _labels(figure)
    for name, system in config.systems.items():
        node = [t for t in labels if t.startswith(f"<b>{name}</b>")]
        assert len(node) == 1, (name, labels)
        assert system.description.split()[0] in node[0]
        assert ("external partner:" in node[0]) == system.external, node[0]
    assert "external partner:<br>PayFast Payments Ltd<br>" in " ".join(labels)
    latest = _latest(demo_dashboard)
    for name, integration in config.integrations.items():
        row = latest.loc[name]
        several = len(integration.all_targets) > 1
        for target in integration.all_targets:
            head = f"<b>{name} → {target.system} · " if several else f"<b>{name} · "
            label = next(t for t in labels if t.startswith(head))
            assert status_word(row["worst_outcome"]) in label, label
            assert f"mismatch {percent(row['mismatch_rate'])}" in label, label
            assert f"age {duration(row['freshness_lag_s'])}" in label, label
            assert ("two-way" in label) == (integration.direction == "two-way"), label
    assert _clicked(figure) == {(SYSTEM, s) for s in config.systems} | {
        (INTEGRATION, i) for i in config.integrations
    }


@pytest.mark.usefixtures("demo_dashboard")
def test_the_map_follows_the_owner_filter() -> None:
    at = open_page()
    at.multiselect(key="owner").select("finance").run()
    assert _clicked(_figure(at)) == {
        (INTEGRATION, "orders"),
        (INTEGRATION, "payments"),
        (SYSTEM, "shop"),
        (SYSTEM, "erp"),
        (SYSTEM, "psp"),
    }


def _select(at: AppTest, kind: str, name: str) -> AppTest:
    point = {"curve_number": 0, "point_number": 0, "point_index": 0, "customdata": [kind, name]}
    at.session_state[MAP_KEY] = {"selection": {"points": [point], "point_indices": [0]}}
    return at.run()


@pytest.mark.usefixtures("demo_dashboard")
def test_clicking_a_system_filters_the_overview_to_it(demo_env: dict[str, str]) -> None:
    config = load_config(Path(demo_env["DXQ_CONFIG"]), demo_env)
    touching = {
        name: {i.source.system, *(t.system for t in i.all_targets)}
        for name, i in config.integrations.items()
    }
    touching = {name: systems for name, systems in touching.items() if "crm" in systems}
    assert "customers" in touching and "orders" not in touching
    at = _select(open_page(), SYSTEM, "crm")
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[SYSTEM_FILTER] == ["crm"]
    text = text_of(at)
    assert all(f"**{name}**" in text for name in touching) and "**orders**" not in text
    figure = _figure(at)
    assert _clicked(figure) == {(INTEGRATION, name) for name in touching} | {
        (SYSTEM, s) for systems in touching.values() for s in systems
    }
    chosen = next(t for t in figure["data"] if t.get("name") == "systems")
    names = [c[1] for c in chosen["customdata"]]
    widths = dict(zip(names, chosen["marker"]["line"]["width"], strict=True))
    assert widths["crm"] > widths["shop"]  # the chosen system is outlined


@pytest.mark.usefixtures("demo_dashboard")
def test_clicking_an_integration_opens_its_page() -> None:
    at = _select(open_page(), INTEGRATION, "payments")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "payments"
    assert at.query_params["integration"] == "payments"


def test_a_selection_names_what_was_clicked() -> None:
    assert clicked(None) is None
    assert clicked({"selection": {"points": []}}) is None
    assert clicked({"selection": {"points": [{"customdata": ["other", "x"]}]}}) is None
    event = {"selection": {"points": [{"customdata": [INTEGRATION, "orders"]}]}}
    assert clicked(event) == (INTEGRATION, "orders")


def test_edge_and_node_words() -> None:
    graph = Landscape((), (), 0)
    assert graph.columns == 1 and graph.rows == 0
    edge = FlowEdge("orders", "shop", "erp", True, "failed", True, 0.0125, 7260.0, 0.0)
    assert edge_lines(edge) == [
        "orders · two-way · Failing, not reporting",
        "mismatch 1.25% · age 2h 1m",
    ]
    node = SystemNode("psp", "Payments", "Finance", "PayFast", "PayFast (a@b.c)", False, 0, 0)
    assert node_lines(node) == ["psp", "external partner:", "PayFast", "Payments", "owner: Finance"]


def test_a_landscape_too_large_to_read_asks_for_a_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = MAX_EDGES + 1
    systems = "".join(f"  s{i}: {{url: 'sqlite:///s.db'}}\n" for i in range(count + 1))
    flows = "".join(f"  f{i}: {{source: s{i}.t, target: s{i + 1}.t}}\n" for i in range(count))
    config = tmp_path / "dxq.yml"
    config.write_text(
        f"version: 1\nstore: sqlite:///{tmp_path}/results.db\nsystems:\n{systems}"
        f"integrations:\n{flows}",
        encoding="utf-8",
    )
    monkeypatch.setenv("DXQ_CONFIG", str(config))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page()
    assert any(f"at most {MAX_EDGES} integrations" in i.value for i in at.info)
    assert not [c for c in at.get("plotly_chart") if '"systems"' in c.proto.spec]
    at.multiselect(key=SYSTEM_FILTER).select("s3").run()
    assert _clicked(_figure(at)) == {
        (SYSTEM, "s2"),
        (SYSTEM, "s3"),
        (SYSTEM, "s4"),
        (INTEGRATION, "f2"),
        (INTEGRATION, "f3"),
    }
