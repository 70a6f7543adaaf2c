"""The Overview's map of the landscape, and what a click on it does: an integration opens its
page, a system becomes the Overview's system filter.

Why Plotly and not `st.graphviz_chart`: Graphviz would lay the graph out by itself, but
Streamlit draws it as a static picture: `st.graphviz_chart` takes no `key` and no `on_select`,
so a click never reaches Python. `st.plotly_chart(on_select="rerun", selection_mode="points")`
returns the clicked point with its `customdata`, which is how the map knows what was clicked
(dashboard/landscape_chart.py puts a marker on every system and in the middle of every
integration for that). It is the one Plotly figure of the Overview (its sparklines are SVG
pictures, dashboard/sparkline.py). The layout is ours (dashboard/landscape.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from dashboard.context import AppContext
from dashboard.format import literal
from dashboard.landscape import landscape
from dashboard.landscape_chart import INTEGRATION, SYSTEM, figure_height, landscape_figure
from dashboard.navigation import page_file

SYSTEM_FILTER = "system"  # the key of the Overview's system filter (bound to ?system=)
MAP_KEY = "landscape"
_PENDING = "dxq_map_system"  # a system clicked on the map, applied before the filters draw
_HANDLED = "dxq_map_handled"  # the click already followed (a rerun keeps the selection)
MAX_EDGES = 60  # more integrations than this are no map a person can read (nor draw fast)


def apply_map_filter() -> None:
    """Call before the Overview's filters are drawn: a system clicked on the map becomes the
    system filter (Streamlit refuses to change a widget's value once it is drawn)."""
    picked = st.session_state.pop(_PENDING, None)
    if picked is not None:
        st.session_state[SYSTEM_FILTER] = [picked]


def render_map(ctx: AppContext, rows: Sequence[Mapping[str, Any]]) -> None:
    """The map of the integrations in `rows` (the Overview's cards, as filtered) and their
    systems; follows a click."""
    chosen = st.session_state.get(SYSTEM_FILTER) or []
    graph = landscape(ctx.config, rows, chosen)
    if not graph.nodes:
        return
    if len(graph.edges) > MAX_EDGES:
        st.info(
            f"The map shows at most {MAX_EDGES} integrations at once ({len(graph.edges)} match "
            "now): choose an owner or a system above to see that part of the landscape."
        )
        return
    event = st.plotly_chart(
        landscape_figure(graph),
        key=MAP_KEY,
        on_select="rerun",
        selection_mode="points",
        config={"displayModeBar": False},
        height=figure_height(graph),
        alt="Map of the systems and the integrations between them",
    )
    st.caption(
        "Systems and the data flowing between them: arrows point where data flows, each "
        "labelled with the last run's status, mismatch rate and data age (dashed: not "
        "reporting; diamonds: systems run by external partners). Click an integration's dot "
        "to open it, a system to show only its integrations."
    )
    partners = [f"**{literal(n.name)}**: {literal(n.contact)}" for n in graph.nodes if n.contact]
    if partners:
        st.caption("External partners · " + " · ".join(partners))
    follow(clicked(event))


def clicked(event: Any) -> tuple[str, str] | None:
    """What the map's selection names: (INTEGRATION or SYSTEM, name), or None."""
    selection = event.get("selection") if isinstance(event, Mapping) else None
    points = selection.get("points", []) if isinstance(selection, Mapping) else []
    for point in points:
        data = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(data, list | tuple) and len(data) == 2 and data[0] in (SYSTEM, INTEGRATION):
            return str(data[0]), str(data[1])
    return None


def follow(picked: tuple[str, str] | None) -> None:
    """Open the clicked integration, or filter the Overview to the clicked system (once per
    click: the selection stays until the figure changes)."""
    if picked is None:
        st.session_state.pop(_HANDLED, None)
        return
    if st.session_state.get(_HANDLED) == picked:
        return
    st.session_state[_HANDLED] = picked
    kind, name = picked
    if kind == INTEGRATION:
        st.switch_page(page_file("integration"), query_params={"integration": name})
    st.session_state[_PENDING] = name
    st.rerun(scope="app")
