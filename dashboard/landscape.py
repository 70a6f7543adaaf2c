"""The landscape as a graph: systems (nodes) and integrations (directed edges) from the monitor
file and the Overview's card rows (`dashboard.overview.card_row`: the store reads the cards
use), placed left to right in the direction data flows. No Streamlit and no Plotly here.

Placement: each system's column is the length of the longest flow leading to it (sources
left, the systems they feed right of them; a cycle stops after as many steps as there are
systems), and within a column systems are ordered by the mean row of the systems feeding them,
so that edges cross less. Several integrations between the same two systems bend apart."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from monitor.config.model import Config

BEND = 0.22  # how far apart parallel edges bend, in rows
CLEARANCE = 0.45  # rows between a long edge and a system it passes
DETOURS = (0.0, -0.5, 0.5, -0.8, 0.8, -1.1, 1.1)  # bends tried for a long edge, up first


@dataclass(frozen=True)
class SystemNode:
    name: str
    description: str
    owner: str  # the owner's display name, "" when the system names none
    partner: str | None  # the partner's name when the system is external
    contact: str | None  # and its contact (Partner.contact())
    chosen: bool  # picked in the Overview's system filter
    column: int
    row: float


@dataclass(frozen=True)
class FlowEdge:
    integration: str
    source: str
    target: str
    two_way: bool
    status: str | None  # the worst outcome of the last run, "running", None: no run yet
    stale: bool  # not reporting: the next run is overdue
    mismatch_rate: float | None
    data_age_s: float | None  # the data age its last run measured
    bend: float  # sideways offset of the edge's middle, in rows (0: straight)
    several: bool = False  # the integration has several targets: the label names this one


@dataclass(frozen=True)
class Landscape:
    nodes: tuple[SystemNode, ...]
    edges: tuple[FlowEdge, ...]
    rows: int = 0  # the most places in one column: systems and long edges passing it

    def node(self, name: str) -> SystemNode:
        return next(n for n in self.nodes if n.name == name)

    @property
    def columns(self) -> int:
        return max((n.column for n in self.nodes), default=0) + 1


def landscape(
    config: Config, rows: Sequence[Mapping[str, Any]], chosen: Iterable[str] = ()
) -> Landscape:
    """The graph of the integrations in `rows` (the Overview's filtered cards) and the systems
    they connect, plus the `chosen` systems; every system of the file when nothing is
    filtered (all integrations shown, no system chosen)."""
    picked = [s for s in chosen if s in config.systems]
    flows = [(row, *pair) for row in rows for pair in _ends(config, str(row["name"]))]
    pairs = [(source, target) for _, source, target in flows]
    shown = {s for pair in pairs for s in pair} | set(picked)
    if not picked and len(rows) == len(config.integrations):
        shown |= set(config.systems)
    names = [s for s in config.systems if s in shown]  # the monitor file's order
    column = _columns(names, pairs)
    chains = [_chain(i, source, target, column) for i, (source, target) in enumerate(pairs)]
    for chain in chains:
        for step, place in enumerate(chain[1:-1], start=1):
            column[place] = column[chain[0]] + step
    places = names + [place for chain in chains for place in chain[1:-1]]
    links = [link for chain in chains for link in pairwise(chain)]
    row_of = _rows(places, links, column)
    nodes = tuple(
        SystemNode(
            name=s,
            description=config.systems[s].description,
            owner=_owner(config, config.systems[s].owner),
            partner=_partner(config, s, contact=False),
            contact=_partner(config, s, contact=True),
            chosen=s in picked,
            column=column[s],
            row=row_of[s],
        )
        for s in names
    )
    counts = Counter(column[place] for place in places)
    edges = _edges(config, flows, chains, column, row_of)
    return Landscape(nodes, edges, max(counts.values(), default=0))


def _chain(i: int, source: str, target: str, column: Mapping[str, int]) -> list[str]:
    """The places a flow passes, column by column: its systems, and between them one place
    of its own in each column it crosses (so it is routed beside the systems there, as the
    Sugiyama layout does; its name starts with NUL, which no system's name holds)."""
    span = column[target] - column[source]
    return [source, *(f"\0{i}.{step}" for step in range(1, span)), target]


def _ends(config: Config, integration: str) -> list[tuple[str, str]]:
    """(source system, target system) for each target of the integration."""
    found = config.integrations[integration]
    return [(str(found.source.system), str(t.system)) for t in found.all_targets]


def _owner(config: Config, owner: str | None) -> str:
    if owner is None:
        return ""
    known = config.owners.get(owner)
    return (known.name or owner) if known is not None else owner


def _partner(config: Config, system: str, *, contact: bool) -> str | None:
    found = config.systems[system].partner
    if found is None:  # the monitor file allows a partner only on an external system
        return None
    return found.contact() if contact else found.name


def _columns(names: Sequence[str], pairs: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest path from a source, bounded by the number of systems (cycles stop there)."""
    column = dict.fromkeys(names, 0)
    for _ in range(len(names)):
        changed = False
        for source, target in pairs:
            if source != target and column[target] < column[source] + 1 < len(names):
                column[target] = column[source] + 1
                changed = True
        if not changed:
            break
    return column


def _rows(
    names: Sequence[str], pairs: Sequence[tuple[str, str]], column: Mapping[str, int]
) -> dict[str, float]:
    """Each column's systems top to bottom, centred on row 0: a sweep left to right orders
    each column by the mean row of the systems feeding it, then the first column by the mean
    row of the systems it feeds, then left to right again (the monitor file's order among
    equals)."""
    left: dict[str, list[str]] = defaultdict(list)
    right: dict[str, list[str]] = defaultdict(list)
    for source, target in pairs:
        if column[source] < column[target]:
            left[target].append(source)
            right[source].append(target)
    row = _sweep(names, column, left, {})
    first = _sweep([s for s in names if column[s] == 0], column, right, row)
    return _sweep(names, column, left, first)


def _sweep(
    names: Sequence[str],
    column: Mapping[str, int],
    neighbours: Mapping[str, list[str]],
    known: Mapping[str, float],
) -> dict[str, float]:
    """Rows for `names` column by column, each ranked by its neighbours' mean row (in
    `known` or placed earlier in this sweep); systems without placed neighbours keep their
    order of `known`, else the file's."""
    row: dict[str, float] = {}
    for col in sorted({column[s] for s in names}):
        members = [s for s in names if column[s] == col]
        weight = {}
        for i, system in enumerate(members):
            placed = [row.get(n, known.get(n)) for n in neighbours.get(system, ())]
            found = [r for r in placed if r is not None]
            own = known.get(system, 0.0)
            weight[system] = (sum(found) / len(found) if found else own, own, i)
        for i, system in enumerate(sorted(members, key=weight.__getitem__)):
            row[system] = i - (len(members) - 1) / 2
    return row


def _edges(
    config: Config,
    flows: Sequence[tuple[Mapping[str, Any], str, str]],
    chains: Sequence[list[str]],
    column: Mapping[str, int],
    row: Mapping[str, float],
) -> tuple[FlowEdge, ...]:
    """One edge per integration and target (card, source, target); one crossing columns
    bends through its own place in the middle one, those between neighbouring columns that
    share two systems (either way) bend apart, and a long one running backwards bends around
    the systems it passes."""
    groups: dict[frozenset[str], list[int]] = defaultdict(list)
    for i, (_, source, target) in enumerate(flows):
        groups[frozenset((source, target))].append(i)
    bend = {}
    for members in groups.values():
        for place, i in enumerate(members):
            bend[i] = (place - (len(members) - 1) / 2) * BEND
    for i, (_, source, target) in enumerate(flows):
        middle = chains[i][len(chains[i]) // 2]
        if len(chains[i]) > 2:
            bend[i] = _through(source, target, middle, column, row)
        else:
            bend[i] += _detour(source, target, column, row)
    return tuple(
        FlowEdge(
            integration=str(card["name"]),
            source=source,
            target=target,
            two_way=config.integrations[str(card["name"])].direction == "two-way",
            status=card.get("status"),
            stale=bool(card.get("stale")),
            mismatch_rate=_number(card.get("mismatch_rate")),
            data_age_s=_number(card.get("freshness_lag_s")),
            bend=bend[i],
            several=len(config.integrations[str(card["name"])].all_targets) > 1,
        )
        for i, (card, source, target) in enumerate(flows)
    )


def _through(
    source: str, target: str, place: str, column: Mapping[str, int], row: Mapping[str, float]
) -> float:
    """The bend that takes the edge's curve through `place` (in a column between its ends)."""
    t = (column[place] - column[source]) / (column[target] - column[source])
    straight = row[source] + (row[target] - row[source]) * t
    return (row[place] - straight) / (4 * t * (1 - t))


def _detour(source: str, target: str, column: Mapping[str, int], row: Mapping[str, float]) -> float:
    """The bend (in rows, up first) that keeps the edge CLEARANCE rows away from every system
    in the columns between its ends; 0 when the straight line already is."""
    c0, c2 = column[source], column[target]
    if abs(c2 - c0) < 2:
        return 0.0
    between = [(s, c) for s, c in column.items() if min(c0, c2) < c < max(c0, c2)]
    for bend in DETOURS:
        if all(
            abs(row[source] + (row[target] - row[source]) * t + 4 * t * (1 - t) * bend - row[s])
            >= CLEARANCE
            for s, c in between
            for t in [(c - c0) / (c2 - c0)]
        ):
            return bend
    return DETOURS[-1]


def _number(value: object) -> float | None:
    """A float, or None for None and NaN (what pandas gives for a missing measurement)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        return float(value)
    return None
