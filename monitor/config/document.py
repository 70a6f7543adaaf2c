"""The monitor file as a YAML document: the line of every key, `${VAR}` substitution, and
pydantic errors turned into `file:line: path.to.key: message` problems."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from monitor.config.aliases import alias_problem
from monitor.config.model import Config
from monitor.errors import Problem

# libyaml when installed (it is, with PyYAML wheels): the same nodes and marks, much faster
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Loc = tuple[str | int, ...]
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


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
        loader = LOADER(text)
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
            aliases = alias_problem(node)
            if aliases is not None:
                where = format_loc(aliases.loc)
                self.problems.append(Problem(self.file, aliases.line, where, aliases.message))
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

    def _build(self, node: yaml.Node, loc: Loc, loader: Any) -> Any:
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
    import difflib  # for a misspelt key only

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
