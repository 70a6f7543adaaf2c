"""The landscape map as a Plotly figure: Landscape in, figure out (no Streamlit, no queries).

Systems are square markers (external partners' diamonds, in another colour, marked "external
partner" in words); integrations are curves from source to target with an arrowhead at the
target (at both ends when two-way), coloured by the last run's status with the dashboard's
outcome colours and dashed when not reporting. Each curve has a marker in its middle: the
markers are what a click selects (Plotly reports clicks on points, not on lines), and their
`customdata` names what was clicked ("integration" or "system", name). Labels are
annotations on a white ground, so a curve passing behind them never hides their words; what
the monitor file says is escaped, as Plotly reads a few HTML tags in text.
"""

from __future__ import annotations

import html
import textwrap

import plotly.graph_objects as go

from dashboard.charts import NO_RESULT_COLOUR, OUTCOME_COLOURS, OUTCOME_SYMBOLS
from dashboard.format import duration, percent, status_word
from dashboard.landscape import FlowEdge, Landscape, SystemNode

SYSTEM_COLOUR = "#37474f"
PARTNER_COLOUR = "#8d6e63"
CHOSEN_COLOUR = "#1565c0"
NODE_SIZE = 24
ROW_HEIGHT = 160  # px per system in the fullest column: room for a node's lines
WRAP = 24  # characters per line of a node's text: narrow, so edge labels pass beside it
CURVE_STEPS = 16  # points per drawn curve
SYSTEM, INTEGRATION = "system", "integration"  # what a click picked (customdata[0])
PARTNER_MARK = "external partner"


def plotly_text(value: object) -> str:
    """Text from the monitor file or the systems, shown as typed in a Plotly label."""
    return html.escape(str(value), quote=False)


def _wrapped(text: str, lines: int) -> list[str]:
    return textwrap.wrap(
        text,
        WRAP,
        max_lines=lines,
        placeholder=" …",
        break_long_words=False,
        break_on_hyphens=False,
    )  # an e-mail address stays on one line


def node_lines(node: SystemNode) -> list[str]:
    """A system's label, line by line (plain text): name, the external partner's mark and
    name, description, owner (the partner's contact is below the map)."""
    found = [node.name]
    if node.partner:
        found += [f"{PARTNER_MARK}:", *_wrapped(node.partner, 2)]
    found += _wrapped(node.description, 2)
    if node.owner:
        found += _wrapped(f"owner: {node.owner}", 2)
    return found


def edge_lines(edge: FlowEdge) -> list[str]:
    """An integration's label, line by line (plain text): name (and target, when it has
    several), status (with "two-way" and "not reporting" where so), mismatch rate and data age
    at the last run."""
    status = status_word(edge.status)
    if edge.stale and edge.status is not None:
        status += ", not reporting"
    name = f"{edge.integration} → {edge.target}" if edge.several else edge.integration
    head = f"{name} · {'two-way · ' if edge.two_way else ''}{status}"
    figures = f"mismatch {percent(edge.mismatch_rate)} · age {duration(edge.data_age_s)}"
    return [head, figures]


def edge_colour(edge: FlowEdge) -> str:
    return OUTCOME_COLOURS.get(edge.status or "", NO_RESULT_COLOUR)


def _label(lines: list[str]) -> str:
    first, *rest = (plotly_text(line) for line in lines)
    return "<br>".join([f"<b>{first}</b>", *rest])


def _point(graph: Landscape, name: str) -> tuple[float, float]:
    node = graph.node(name)
    return float(node.column), -node.row


def _curve(graph: Landscape, edge: FlowEdge) -> list[tuple[float, float]]:
    """The edge as a quadratic curve through its bent middle (a loop for a self-flow)."""
    (x0, y0), (x2, y2) = _point(graph, edge.source), _point(graph, edge.target)
    if edge.source == edge.target:
        return [(x0 + 0.18 * s, y0 + 0.45 * (1 - s * s) ** 0.5) for s in _steps(-1.0, 1.0)]
    across = x0 == x2  # same column: bend sideways, else up or down
    cx = (x0 + x2) / 2 + (2 * edge.bend * 0.5 if across else 0.0)
    cy = (y0 + y2) / 2 - (0.0 if across else 2 * edge.bend)
    return [
        ((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x2,
         (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y2)
        for t in _steps(0.0, 1.0)
    ]  # fmt: skip


def _steps(start: float, end: float) -> list[float]:
    return [start + (end - start) * i / CURVE_STEPS for i in range(CURVE_STEPS + 1)]


def _arrow(head: tuple[float, float], tail: tuple[float, float], colour: str) -> dict[str, object]:
    return {
        "x": head[0],
        "y": head[1],
        "ax": tail[0],
        "ay": tail[1],
        "xref": "x",
        "yref": "y",
        "axref": "x",
        "ayref": "y",
        "text": "",
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": 1.4,
        "arrowwidth": 2,
        "arrowcolor": colour,
        "standoff": NODE_SIZE / 2 + 3,
    }


def _note(x: float, y: float, text: str, colour: str, shift: int) -> dict[str, object]:
    """A label `shift` px above (> 0) or below its point."""
    return {
        "x": x,
        "y": y,
        "xref": "x",
        "yref": "y",
        "text": text,
        "showarrow": False,
        "yshift": shift,
        "yanchor": "bottom" if shift > 0 else "top",
        "align": "center",
        "font": {"size": 11, "color": "#212121"},
        "bgcolor": "rgba(255,255,255,0.92)",
        "bordercolor": colour,
        "borderpad": 2,
    }


def landscape_figure(graph: Landscape) -> go.Figure:
    """The map: one trace of curves per (status, not reporting), one of integration markers,
    one of systems; labels and arrowheads as annotations."""
    fig = go.Figure()
    notes: list[dict[str, object]] = []
    arrows: list[dict[str, object]] = []  # drawn last: no label's ground hides an arrowhead
    middles: list[tuple[float, float]] = []
    lines: dict[tuple[str, bool], tuple[list[float | None], list[float | None]]] = {}
    for edge in graph.edges:
        curve = _curve(graph, edge)
        colour = edge_colour(edge)
        xs, ys = lines.setdefault((colour, edge.stale), ([], []))
        xs += [x for x, _ in curve] + [None]
        ys += [y for _, y in curve] + [None]
        arrows.append(_arrow(curve[-1], curve[-4], colour))
        if edge.two_way:
            arrows.append(_arrow(curve[0], curve[3], colour))
        middle = curve[CURVE_STEPS // 2]
        middles.append(middle)
        notes.append(_note(middle[0], middle[1], _label(edge_lines(edge)), colour, 9))
    for (colour, stale), (xs, ys) in lines.items():
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": colour, "width": 2.5, "dash": "dash" if stale else "solid"},
            hoverinfo="skip",
        )
    fig.add_scatter(
        x=[x for x, _ in middles],
        y=[y for _, y in middles],
        mode="markers",
        marker={
            "size": 13,
            "color": [edge_colour(e) for e in graph.edges],
            "symbol": [OUTCOME_SYMBOLS.get(e.status or "", "circle") for e in graph.edges],
            "line": {"color": "white", "width": 1.5},
        },
        customdata=[[INTEGRATION, e.integration] for e in graph.edges],
        hovertext=[plotly_text(f"{e.integration} (click: open it)") for e in graph.edges],
        hoverinfo="text",
        name="integrations",
    )
    nodes = graph.nodes
    fig.add_scatter(
        x=[float(n.column) for n in nodes],
        y=[-n.row for n in nodes],
        mode="markers",
        marker={
            "size": NODE_SIZE,
            "symbol": ["diamond" if n.partner else "square" for n in nodes],
            "color": [PARTNER_COLOUR if n.partner else SYSTEM_COLOUR for n in nodes],
            "line": {
                "color": [CHOSEN_COLOUR if n.chosen else "white" for n in nodes],
                "width": [4 if n.chosen else 1.5 for n in nodes],
            },
        },
        customdata=[[SYSTEM, n.name] for n in nodes],
        hovertext=[
            plotly_text(f"{n.name}: {n.description} (click: show only its integrations)")
            for n in nodes
        ],
        hoverinfo="text",
        name="systems",
    )
    for node in nodes:
        colour = PARTNER_COLOUR if node.partner else "rgba(0,0,0,0)"
        notes.append(_note(node.column, -node.row, _label(node_lines(node)), colour, -15))
    return _frame(fig, graph, notes + arrows)


def _frame(fig: go.Figure, graph: Landscape, notes: list[dict[str, object]]) -> go.Figure:
    half = (graph.rows - 1) / 2
    fig.update_layout(
        annotations=notes,
        height=figure_height(graph),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
        hovermode="closest",
        clickmode="event+select",
        dragmode=False,
        plot_bgcolor="white",
        xaxis={"visible": False, "fixedrange": True, "range": [-0.5, graph.columns - 0.5]},
        yaxis={"visible": False, "fixedrange": True, "range": [-half - 0.75, half + 0.3]},
    )
    return fig


def figure_height(graph: Landscape) -> int:
    return 60 + ROW_HEIGHT * max(graph.rows, 1)
