"""YAML aliases in bounds: an alias bomb or a recursive alias in a monitor file (or in a suite
file, which is read as YAML to find its lines) is one `file:line: path: message` problem, never
a MemoryError or a RecursionError; ordinary anchors, aliases and merge keys keep working."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from monitor.cli import main
from monitor.config.aliases import MAX_ALIAS_VALUES, MAX_DEPTH, alias_problem
from monitor.config.document import LOADER
from monitor.config.loading import load_config
from monitor.errors import ConfigError


def _bomb() -> str:
    """A "billion laughs" monitor file of about 1.2 KB (9^9 values once expanded)."""
    lines = ["version: 1", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines.append("j: [" + ", ".join(["*i"] * 9) + "]")
    lines += ["store: sqlite:///r.db", "integrations: {}"] + ["# " + "-" * 48] * 10
    return "\n".join(lines) + "\n"


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    return [str(problem) for problem in caught.value.problems]


def test_an_alias_bomb_is_one_problem_on_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text(_bomb(), encoding="utf-8")
    assert 1000 < path.stat().st_size < 1400
    started = time.monotonic()
    assert _problems(path) == [
        f"{path}:11: j[0]: YAML aliases here expand to 435,848,050 values, more than the "
        "100,000 a monitor file may build from aliases; write the values out or use fewer aliases"
    ]
    assert main(["validate", "-c", str(path)]) == 2
    output = "".join(capsys.readouterr())
    assert f"{path}:11: j[0]: YAML aliases here expand to" in output
    assert "MemoryError" not in output and "internal error" not in output
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("version: 1\nstore: &s [*s]\n", ":2: store[0]:"),
        ("version: 1\nstore:\n  - one\n  - &x {a: [1, *x]}\n", ":4: store[1].a[1]:"),
    ],
)
def test_a_recursive_alias_is_a_problem(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text(text, encoding="utf-8")
    (problem,) = _problems(path)
    assert where in problem and "contains the alias itself" in problem


def _compose(text: str) -> yaml.Node:
    node = yaml.compose(text, Loader=LOADER)
    assert node is not None
    return node


def test_the_bound_counts_values_gained_through_aliases() -> None:
    row = "[" + ", ".join(str(n) for n in range(99)) + "]"  # 100 values with the list itself
    uses = ", ".join(["*row"] * (MAX_ALIAS_VALUES // 100))
    at_the_bound = f"version: 1\nrow: &row {row}\nmany: [{uses}]\none: &one 1\n"
    assert alias_problem(_compose(at_the_bound)) is None
    past = alias_problem(_compose(at_the_bound + "two: *one\n"))
    assert past is not None and past.line == 3 and past.loc == ("many",)
    assert "expand to 100,001 values" in past.message


def test_ordinary_anchors_aliases_and_merge_keys_still_load(tmp_path: Path) -> None:
    names = [f"feed-{n}" for n in range(300)]
    body = "\n".join(f"  {name}:\n    <<: *feed\n    description: {name}" for name in names)
    path = tmp_path / "dxq.yml"
    path.write_text(
        "version: 1\nstore: sqlite:///r.db\n"
        "systems:\n  shop: {url: 'sqlite:///shop.db'}\n"
        "x-feed: &feed\n  source: shop.products\n  target: shop.products\n  key: sku\n"
        "  volume: {tolerance: 1%}\n  schedule: '*/30 * * * *'\n"
        f"integrations:\n{body}\n",
        encoding="utf-8",
    )
    (problem,) = _problems(path)  # the x- key is unknown; everything else is read
    assert ":5: x-feed: unknown key 'x-feed'" in problem
    path.write_text(path.read_text().replace("x-feed: &feed", "dashboard_url: &feed"))
    problems = _problems(path)
    assert all("dashboard_url" in p for p in problems), problems


def test_a_suite_file_holding_an_alias_bomb_or_deep_nesting_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "bomb.json").write_text(_bomb(), encoding="utf-8")
    (suites / "loop.json").write_text("&s [*s]\n", encoding="utf-8")
    (suites / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    path = tmp_path / "dxq.yml"
    path.write_text(
        "version: 1\nstore: sqlite:///r.db\nsystems:\n  shop: {url: 'sqlite:///shop.db'}\n"
        "integrations:\n  orders:\n    source: shop.orders\n    target: shop.orders\n"
        "    key: id\n    suites: [suites/bomb.json, suites/loop.json, suites/deep.json]\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    problems = _problems(path)
    assert time.monotonic() - started < 5
    assert [p.split(": ", 1)[0].rsplit("/", 1)[-1] for p in problems] == [
        "bomb.json:1",
        "deep.json",
        "loop.json:1",
    ]
    assert all("invalid JSON" in p for p in problems)
    assert main(["validate", "-c", str(path)]) == 2
    assert "internal error" not in "".join(capsys.readouterr())


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 990])
def test_values_nested_too_deep_are_one_problem_not_a_recursion_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], depth: int
) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text(f"version: 1\nstore: {'[' * depth}{']' * depth}\n", encoding="utf-8")
    assert _problems(path) == [
        f"{path}:2: store[0][0][0]: values nested more than {MAX_DEPTH} levels deep; a monitor "
        "file needs far fewer (check the brackets and the indentation)"
    ]
    assert main(["validate", "-c", str(path)]) == 2
    assert "internal error" not in "".join(capsys.readouterr())


def test_nesting_up_to_the_bound_is_read(tmp_path: Path) -> None:
    path = tmp_path / "dxq.yml"
    nested = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    path.write_text(f"version: 1\nstore: sqlite:///r.db\nx-deep: {nested}\n", encoding="utf-8")
    (problem,) = _problems(path)
    assert ":3: x-deep: unknown key 'x-deep'" in problem
