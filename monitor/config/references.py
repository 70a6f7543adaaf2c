"""Cross-references between the sections of the monitor file: systems, owners, receivers and
suite files named where they are used must exist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from monitor.config.document import Loc


def find_reference_problems(data: dict[str, Any], base_dir: Path) -> Iterator[tuple[Loc, str]]:
    """Cross-references between sections, checked on the raw data so that every one is
    reported even when other parts of the file are invalid."""
    systems = _mapping(data.get("systems"))
    owners = sorted(_mapping(data.get("owners")))
    for name, system in systems.items():
        owner = _mapping(system).get("owner")
        if isinstance(owner, str) and owner not in owners:
            yield ("systems", name, "owner"), _unknown("owner", owner, owners)
    for name, raw in _mapping(data.get("integrations")).items():
        integration = _mapping(raw)
        loc: Loc = ("integrations", name)
        for side in ("source", "target"):
            yield from _check_dataset(integration.get(side), (*loc, side), systems)
        yield from _check_targets(integration, loc, systems)
        yield from _check_latency_sides(integration, loc, systems)
        for index, ref in enumerate(_list(integration.get("references"))):
            target = _mapping(ref).get("references")
            system = target.split(".")[0] if isinstance(target, str) else None
            ref_loc = (*loc, "references", index, "references")
            if system is not None and system not in systems:
                yield ref_loc, _unknown("system", system, sorted(systems))
            elif system is not None and "files" in _mapping(systems[system]):
                yield ref_loc, f"'{system}' is a files system; references must name a SQL table"
            elif system is not None and isinstance(target, str):
                table = target.split(".", 1)[1].rsplit(".", 1)[0] if target.count(".") > 1 else ""
                yield from _check_api_dataset(table, ref_loc, system, systems)
        owner_list = integration.get("owners")
        for index, owner in enumerate(
            [owner_list] if isinstance(owner_list, str) else _list(owner_list)
        ):
            if isinstance(owner, str) and owner not in owners:
                yield (*loc, "owners", index), _unknown("owner", owner, owners)
        for index, entry in enumerate(_list(integration.get("suites"))):
            suite = _mapping(entry).get("suite") if isinstance(entry, dict) else entry
            if isinstance(suite, str) and not (base_dir / suite).is_file():
                where = (base_dir / suite).resolve()
                yield (*loc, "suites", index), f"suite file not found: {suite} (looked for {where})"
    yield from _check_route(data.get("routes"), ("routes",), owners)
    if not data.get("smtp"):
        for name, owner in _mapping(data.get("owners")).items():
            if _mapping(owner).get("email") not in (None, "", []):
                yield (
                    ("owners", name, "email"),
                    "this owner is reached by e-mail, but the monitor file has no 'smtp:' "
                    "section; add one (smtp: {host: mail.example.com, port: 587, starttls: "
                    "true, sender: dxq@example.com}) or remove the e-mail address",
                )


def _check_latency_sides(
    integration: dict[str, Any], loc: Loc, systems: dict[str, Any]
) -> Iterator[tuple[Loc, str]]:
    """latency reads each side with a WHERE inside a database: neither may be files."""
    if "latency" not in integration:
        return
    for side in ("source", "target"):
        ref = integration.get(side)
        system = ref.split(".")[0] if isinstance(ref, str) else _mapping(ref).get("system")
        if isinstance(system, str) and "files" in _mapping(systems.get(system)):
            yield (
                (*loc, "latency"),
                (
                    f"the {side} '{system}' is a files system; latency needs SQL systems or API "
                    "datasets on both sides"
                ),
            )


def _check_dataset(ref: object, loc: Loc, systems: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    system: object
    table: object
    query: object = None
    if isinstance(ref, str):
        system, _, table = ref.partition(".")
    elif isinstance(ref, dict):
        system, table, query = ref.get("system"), ref.get("table"), ref.get("query")
        loc = (*loc, "system")
    else:
        return
    if not isinstance(system, str):
        return
    if system not in systems:
        yield loc, _unknown("system", system, sorted(systems))
        return
    raw = _mapping(systems[system])
    if "api" in raw and "url" not in raw and "files" not in raw:
        if query:
            yield loc, f"'{system}' is an API system: name one of its datasets, not a query"
        else:
            yield from _check_api_dataset(table, loc, system, systems)
    elif "files" in raw and "url" not in raw:
        if table:
            yield loc, f"'{system}' is a files system: name it alone ('{system}'), without a table"
        if query:
            yield loc, f"'{system}' is a files system: it cannot run a query"
    elif "url" in raw and not table and not query:
        yield (
            loc,
            (
                f"'{system}' is a SQL system: name a table ({system}.<table>) "
                f"or give {{system: {system}, query: ...}}"
            ),
        )


def _check_targets(
    integration: dict[str, Any], loc: Loc, systems: dict[str, Any]
) -> Iterator[tuple[Loc, str]]:
    """`targets` (several targets compared with the golden source) and a key's `crosswalk`."""
    if "targets" in integration:
        targets = integration.get("targets")
        where: Loc = (*loc, "targets")
        if "target" in integration:
            yield where, "give either 'target' (one dataset) or 'targets' (a list), not both"
        if targets == []:
            yield where, "targets needs at least one dataset, e.g. [shop.customers, erp.customers]"
        labels = [str(t) for t in _list(targets) if isinstance(t, str)]
        for label in sorted({x for x in labels if labels.count(x) > 1}):
            yield where, f"'{label}' is listed twice; each target is compared once"
        for index, ref in enumerate(_list(targets)):
            yield from _check_dataset(ref, (*where, index), systems)
        if integration.get("golden") == "target":
            yield (
                (*loc, "golden"),
                "with 'targets', the source holds the golden record each target is compared "
                "with; write golden: source (or leave it out)",
            )
    crosswalk = _mapping(_mapping(integration.get("key")).get("crosswalk"))
    dataset = crosswalk.get("dataset")
    where = (*loc, "key", "crosswalk", "dataset")
    yield from _check_dataset(dataset, where, systems)
    system = dataset.partition(".")[0] if isinstance(dataset, str) else None
    if system in systems and "files" in _mapping(systems[system]):
        yield where, f"'{system}' is a files system; a crosswalk must be a SQL table or query"


def _check_api_dataset(
    table: object, loc: Loc, system: str, systems: dict[str, Any]
) -> Iterator[tuple[Loc, str]]:
    """`<system>.<dataset>` of an API system names one of its `datasets`."""
    raw = _mapping(systems[system])
    if "api" not in raw or "url" in raw or "files" in raw:
        return
    known = sorted(_mapping(_mapping(raw.get("api")).get("datasets")))
    if not table:
        yield (
            loc,
            f"'{system}' is an API system: name a dataset ({system}.<dataset>)"
            + (f"; known datasets: {', '.join(known)}" if known else ""),
        )
    elif isinstance(table, str) and known and table not in known:
        yield (
            loc,
            (f"API system '{system}' has no dataset '{table}'; known datasets: {', '.join(known)}"),
        )


def _check_route(route: object, loc: Loc, owners: list[str]) -> Iterator[tuple[Loc, str]]:
    node = _mapping(route)
    receiver = node.get("receiver")
    if isinstance(receiver, str) and receiver not in owners:
        yield (*loc, "receiver"), _unknown("receiver", receiver, owners)
    for index, step in enumerate(_list(node.get("escalate"))):
        receiver = _mapping(step).get("receiver")
        if isinstance(receiver, str) and receiver not in owners:
            yield (*loc, "escalate", index, "receiver"), _unknown("receiver", receiver, owners)
    for index, child in enumerate(_list(node.get("routes"))):
        yield from _check_route(child, (*loc, "routes", index), owners)


def _unknown(what: str, name: str, known: list[str]) -> str:
    group = "owners" if what == "receiver" else f"{what}s"
    if not known:
        return f"unknown {what} '{name}'; no {group} are defined"
    return f"unknown {what} '{name}'; known {group}: {', '.join(known)}"


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
