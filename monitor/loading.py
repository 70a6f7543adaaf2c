"""Read the monitor file: YAML with line numbers, `${VAR}` substitution, validation, and every
problem reported at once as `file:line: path.to.key: message`."""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from monitor.config import Config
from monitor.errors import ConfigError, Problem
from monitor.suite_files import check_suite_file

Loc = tuple[str | int, ...]
DEFAULT_FILE = "dxq.yml"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def resolve_config_path(arg: str | None, env: Mapping[str, str] | None = None) -> Path:
    """The monitor file to use: `-c FILE`, else $DXQ_CONFIG, else ./dxq.yml."""
    env = os.environ if env is None else env
    return Path(arg or env.get("DXQ_CONFIG") or DEFAULT_FILE)


def load_config(
    path: Path, env: Mapping[str, str] | None = None, *, check_suites: bool = True
) -> Config:
    """The validated monitor file at `path`; raises ConfigError listing every problem.

    With `check_suites` (the default) the GX suite files it names are validated too.
    """
    env = os.environ if env is None else env
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [_whole(file, "monitor file not found; pass -c FILE or set $DXQ_CONFIG")]
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            [_whole(file, "is a directory, not a monitor file; pass -c FILE")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([_whole(file, f"cannot read the monitor file: {exc}")]) from None
    document = Document(file)
    data = document.parse(text)
    if data is None:
        raise ConfigError(document.problems)
    data = document.substitute(data, env)
    base_dir = path.resolve().parent
    config: Config | None = None
    try:
        config = Config.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        for error in exc.errors():
            document.add_validation_error(error)
    for loc, message in find_reference_problems(data, base_dir):
        document.add(loc, message)
    if check_suites:
        for suite_path in sorted(set(suite_files(data, base_dir))):
            document.problems.extend(check_suite_file(suite_path))
    if document.problems or config is None:
        raise ConfigError(document.sorted_problems())
    return config


def _whole(file: str, message: str) -> Problem:
    return Problem(file=file, line=None, path="", message=message)


def format_loc(loc: Loc) -> str:
    """ "integrations.product-catalog.compare[1].tolerance" from a location tuple."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class Document:
    """One monitor file being read: its line numbers and the problems found so far."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[Loc, int] = {(): 1}
        self.problems: list[Problem] = []
        self.muted: set[Loc] = set()  # values already reported (unset variables)

    def sorted_problems(self) -> list[Problem]:
        """The problems of this file by line, then those of other files (suites) as found."""
        own = [p for p in self.problems if p.file == self.file]
        own.sort(key=lambda p: p.line or 0)
        return own + [p for p in self.problems if p.file != self.file]

    def add(self, loc: Loc, message: str, line_loc: Loc | None = None) -> None:
        """Record a problem at `loc`, on the line of `line_loc` (default `loc`) or its parent."""
        if any(loc[: len(m)] == m for m in self.muted):
            return
        where = loc if line_loc is None else line_loc
        while where not in self.lines:
            where = where[:-1]
        self.problems.append(Problem(self.file, self.lines[where], format_loc(loc), message))

    def parse(self, text: str) -> Any:
        """The YAML document as plain data, remembering the line of every key and item."""
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                self.problems.append(
                    Problem(self.file, 1, "", "the file is empty; start it with version: 1")
                )
                return None
            if not isinstance(node, yaml.MappingNode):
                self.problems.append(
                    Problem(self.file, node.start_mark.line + 1, "", "expected a mapping of keys")
                )
                return None
            return self._build(node, (), loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = None if mark is None else mark.line + 1
            detail = ", ".join(str(p) for p in (exc.context, exc.problem) if p)
            if "block" in detail:
                detail += " (check the indentation)"
            self.problems.append(Problem(self.file, line, "", f"YAML syntax error: {detail}"))
            return None
        except yaml.YAMLError as exc:
            self.problems.append(Problem(self.file, None, "", f"YAML error: {exc}"))
            return None
        finally:
            loader.dispose()

    def _build(self, node: yaml.Node, loc: Loc, loader: yaml.SafeLoader) -> Any:
        if isinstance(node, yaml.MappingNode):
            own: set[str] = set()
            for key_node, _ in node.value:
                key = str(key_node.value)
                self.lines.setdefault((*loc, key), key_node.start_mark.line + 1)
                if key in own and key != "<<":
                    self.lines[(*loc, key)] = key_node.start_mark.line + 1
                    self.add((*loc, key), f"duplicate key '{key}'")
                own.add(key)
            loader.flatten_mapping(node)  # merge keys (<<): merged entries first, own ones win
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                result[key] = self._build(value_node, (*loc, key), loader)
            return result
        if isinstance(node, yaml.SequenceNode):
            items: list[Any] = []
            for index, item in enumerate(node.value):
                self.lines[(*loc, index)] = item.start_mark.line + 1
                items.append(self._build(item, (*loc, index), loader))
            return items
        return loader.construct_object(node, deep=True)

    def substitute(self, data: Any, env: Mapping[str, str], loc: Loc = ()) -> Any:
        """`data` with `${VAR}` and `${VAR:-default}` in string values read from `env`."""
        if isinstance(data, dict):
            return {k: self.substitute(v, env, (*loc, k)) for k, v in data.items()}
        if isinstance(data, list):
            return [self.substitute(v, env, (*loc, i)) for i, v in enumerate(data)]
        if not isinstance(data, str) or "${" not in data:
            return data
        missing: list[str] = []

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            value = env.get(name)
            if value:
                return value
            if default is not None:
                return default
            if value is None:
                missing.append(name)
            return ""

        result = _VARIABLE.sub(replace, data)
        for name in missing:
            self.add(
                loc,
                f"environment variable {name} is not set; export it or write ${{{name}:-default}}",
            )
        if missing:
            self.muted.add(loc)
        return result

    def add_validation_error(self, error: ErrorDetails) -> None:
        """Record one pydantic error in words, on the line of the offending key."""
        loc: Loc = tuple(p for p in error["loc"] if p != "[key]")
        kind = error["type"]
        if kind == "missing":
            self.add(loc[:-1], f"missing required key '{loc[-1]}'")
        elif loc == ("version",):
            got = error.get("input")
            self.add(loc, f"unsupported version {got!r}; this dxq reads version: 1")
        elif kind == "extra_forbidden":
            self.add(loc, describe_unknown_key(loc))
        else:
            self.add(loc, describe(error))


_MESSAGES = {
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "dict_type": "expected a mapping of keys",
    "model_type": "expected a mapping of keys",
    "model_attributes_type": "expected a mapping of keys",
    "list_type": "expected a list",
}


def describe(error: ErrorDetails) -> str:
    """A pydantic error in the words of the monitor file."""
    kind, ctx = error["type"], error.get("ctx") or {}
    got = error.get("input")
    shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"expected one of {expected}{shown}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in _MESSAGES:
        return _MESSAGES[kind] + shown
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}{shown}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}{shown}"
    return str(error["msg"])


def describe_unknown_key(loc: Loc) -> str:
    """ "unknown key 'shedule'; did you mean 'schedule'?" """
    key = str(loc[-1])
    model = model_at(loc[:-1])
    if model is None:
        return f"unknown key '{key}'"
    known = sorted(f.alias or name for name, f in model.model_fields.items())
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    return f"unknown key '{key}'; expected one of {', '.join(known)}"


def model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class validating the mapping at `loc`, by walking the Config annotations."""
    current: Any = Config
    for step in loc:
        current = _step(current, step)
        if current is None:
            return None
    current = _strip(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _strip(annotation: Any) -> Any:
    """The model type inside Annotated[...] / X | None."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = options[0]
        else:
            return annotation


def _step(annotation: Any, step: str | int) -> Any:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            if step in (name, field.alias):
                return field.annotation
        return None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict and isinstance(step, str):
        return args[1]
    if origin is list and isinstance(step, int):
        return args[0]
    return None


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
        for index, ref in enumerate(_list(integration.get("references"))):
            target = _mapping(ref).get("references")
            system = target.split(".")[0] if isinstance(target, str) else None
            ref_loc = (*loc, "references", index, "references")
            if system is not None and system not in systems:
                yield ref_loc, _unknown("system", system, sorted(systems))
            elif system is not None and "files" in _mapping(systems[system]):
                yield ref_loc, f"'{system}' is a files system; references must name a SQL table"
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
    if "files" in raw and "url" not in raw:
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


def suite_files(data: dict[str, Any], base_dir: Path) -> Iterator[Path]:
    """The suite files named by the integrations that exist on disk."""
    integrations = data.get("integrations")
    for integration in integrations.values() if isinstance(integrations, dict) else ():
        suites = integration.get("suites") if isinstance(integration, dict) else None
        for entry in suites if isinstance(suites, list) else ():
            name = entry.get("suite") if isinstance(entry, dict) else entry
            if isinstance(name, str) and (base_dir / name).is_file():
                yield (base_dir / name).resolve()
