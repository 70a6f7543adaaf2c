"""Every ```yaml example in docs/ and README.md loads through the real monitor-file loader with
no problems, so the reference cannot drift from the code.

How an example says what it is, on its first line:

- no marker: a whole monitor file, loaded as written;
- `# fragment: top-level`: top-level keys, put into a small complete monitor file (sections
  that are mappings, such as `owners` or `systems`, are added to; others are replaced);
- `# fragment: integration`: the keys of one integration, added to that file's `example`
  integration (pim.products -> shop.catalog_products, key sku);
- `# fragment: <name>` for YAML that is no monitor file at all (NOT_MONITOR_FILES, e.g. a
  Prometheus scrape job): it must still parse as YAML.

The environment variables the examples use are set, and the suite files they name are created
beside the monitor file, so only the file itself is judged.
"""

from __future__ import annotations

import json
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from monitor.config.loading import load_config
from monitor.config.model import Config
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
MARKDOWN = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
NOT_MONITOR_FILES = {"prometheus"}
_FENCE = re.compile(r"^```yaml[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"^#\s*fragment:\s*(\S+)")

BASE: dict[str, Any] = {
    "version": 1,
    "store": "sqlite:///results.db",
    "smtp": {"host": "127.0.0.1", "port": 2525},
    "owners": {
        name: {"role": role, "email": f"{name}@example.com"}
        for name, role in (
            ("ecommerce-po", "business"),
            ("finance", "business"),
            ("integration-oncall", "oncall"),
            ("data-maintenance", "maintenance"),
        )
    },
    "systems": {
        **{name: {"url": f"sqlite:///{name}.db"} for name in ("pim", "shop", "erp", "crm")},
        "wms": {"files": "exports/wms/stock_*.csv"},
    },
    "integrations": {
        "example": {"source": "pim.products", "target": "shop.catalog_products", "key": "sku"}
    },
}

SUITE = {
    "name": "example",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "sku"}},
    ],
}


@dataclass(frozen=True)
class Example:
    """One ```yaml block: where it is, what its first line says it is, and its text."""

    file: Path
    line: int
    kind: str  # "file", "top-level", "integration" or a NOT_MONITOR_FILES name
    text: str

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def examples(path: Path) -> list[Example]:
    """The ```yaml blocks of a markdown file, in order."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        body = match.group(1)
        marker = _MARKER.match(body)
        kind = marker.group(1) if marker else "file"
        line = text.count("\n", 0, match.start()) + 1
        found.append(Example(path, line, kind, body))
    return found


ALL = [example for path in MARKDOWN for example in examples(path)]


def environment(directory: Path, text: str) -> dict[str, str]:
    """A value for every `${VAR}` the text names: URLs for *_URL, 24 characters otherwise."""
    env: dict[str, str] = {}
    for name in set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text)):
        if name.endswith("_URL") and "HOOK" not in name:
            env[name] = f"sqlite:///{directory / name.lower()}.db"
        elif "HOOK" in name and "SECRET" not in name:
            env[name] = "http://127.0.0.1:9/hook"
        elif name.endswith("ROUTING_KEY"):  # PagerDuty's routing keys are 32 characters
            env[name] = "r" * 32
        else:
            env[name] = f"{name.lower()}-0123456789abcdef"[:24].ljust(24, "x")
    return env


def monitor_file(example: Example) -> str:
    """The text to load: the example itself, or the example put into BASE."""
    if example.kind == "file":
        return example.text
    fragment = yaml.safe_load(example.text)
    assert isinstance(fragment, dict), f"{example.where}: a fragment is a mapping of keys"
    document = json.loads(json.dumps(BASE))
    if example.kind == "integration":
        document["integrations"]["example"].update(fragment)
    elif example.kind == "top-level":
        for key, value in fragment.items():
            if isinstance(value, dict) and isinstance(document.get(key), dict):
                document[key].update(value)
            else:
                document[key] = value
    else:
        raise AssertionError(
            f"{example.where}: unknown marker '# fragment: {example.kind}'; use top-level, "
            f"integration, or one of {sorted(NOT_MONITOR_FILES)} for YAML that is no monitor file"
        )
    return yaml.safe_dump(document, sort_keys=False)


def problems_of(example: Example, directory: Path) -> list[str]:
    """The loader's problems with the example, in a fresh directory with its suite files."""
    text = monitor_file(example)
    for suite in re.findall(r"[\w./-]+\.json", text):
        path = directory / suite
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(SUITE), encoding="utf-8")
    config_path = directory / "dxq.yml"
    config_path.write_text(text, encoding="utf-8")
    try:
        load_config(config_path, environment(directory, text))
    except ConfigError as exc:
        return [str(problem) for problem in exc.problems]
    return []


@pytest.mark.parametrize("example", ALL, ids=[example.where for example in ALL])
def test_every_yaml_example_loads_without_problems(example: Example, tmp_path: Path) -> None:
    if example.kind in NOT_MONITOR_FILES:
        assert isinstance(yaml.safe_load(example.text), dict), example.where
        return
    problems = problems_of(example, tmp_path)
    assert problems == [], f"{example.where}: the example has problems:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", ["monitor-file.md", "cli.md", "architecture.md"])
def test_the_reference_pages_exist_and_the_monitor_file_page_shows_each_kind(name: str) -> None:
    page = ROOT / "docs" / name
    assert page.is_file(), f"docs/{name} is missing"
    if name == "monitor-file.md":
        kinds = {example.kind for example in examples(page)}
        assert {"file", "top-level", "integration"} <= kinds


def test_a_wrong_example_is_caught(tmp_path: Path) -> None:
    """The checker itself can fail: an unknown key, an unknown owner and a bad marker."""
    bad = Example(ROOT / "README.md", 1, "integration", "shedule: '*/5 * * * *'\nowners: [nobody]")
    found = problems_of(bad, tmp_path)
    assert any("unknown key 'shedule'; did you mean 'schedule'?" in p for p in found), found
    assert any("unknown owner 'nobody'" in p for p in found), found
    typo = Example(ROOT / "README.md", 1, "integratoin", "schedule: '*/5 * * * *'")
    with pytest.raises(AssertionError, match="unknown marker"):
        problems_of(typo, tmp_path)
    assert problems_of(Example(ROOT / "README.md", 1, "file", "version: 2\n"), tmp_path)


def _keys(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """Every key a monitor file can hold below `model` (field aliases as written)."""
    if model in seen:
        return set()
    seen.add(model)
    found: set[str] = set()
    for name, field in model.model_fields.items():
        found.add(field.alias or name)
        for inner in _models_in(field.annotation):
            found |= _keys(inner, seen)
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def test_every_key_of_the_monitor_file_is_documented() -> None:
    page = (ROOT / "docs" / "monitor-file.md").read_text(encoding="utf-8")
    keys = _keys(Config, set())
    assert len(keys) > 60, "the walk over the models found too few keys"
    missing = sorted(key for key in keys if f"`{key}`" not in page and f"{key}:" not in page)
    assert missing == [], f"docs/monitor-file.md does not mention: {missing}"
