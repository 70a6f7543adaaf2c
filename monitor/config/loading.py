"""Read the monitor file: YAML with line numbers, `${VAR}` substitution, validation, and every
problem reported at once as `file:line: path.to.key: message`."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.config.anomalies import anomaly_problems
from monitor.config.document import Document
from monitor.config.model import Config
from monitor.config.references import find_reference_problems
from monitor.errors import ConfigError, Problem

DEFAULT_FILE = "dxq.yml"


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
    for loc, message in anomaly_problems(data):
        document.add(loc, message)
    named = sorted(set(suite_files(data, base_dir))) if check_suites else []
    if named:  # the suites' modules load only for a file that names suites
        from monitor.config.suite_files import check_suite_file

        for suite_path in named:
            document.problems.extend(check_suite_file(suite_path))
    if document.problems or config is None:
        raise ConfigError(document.sorted_problems())
    return config


def _whole(file: str, message: str) -> Problem:
    return Problem(file=file, line=None, path="", message=message)


def suite_files(data: dict[str, Any], base_dir: Path) -> Iterator[Path]:
    """The suite files named by the integrations that exist on disk."""
    integrations = data.get("integrations")
    for integration in integrations.values() if isinstance(integrations, dict) else ():
        suites = integration.get("suites") if isinstance(integration, dict) else None
        for entry in suites if isinstance(suites, list) else ():
            name = entry.get("suite") if isinstance(entry, dict) else entry
            if isinstance(name, str) and (base_dir / name).is_file():
                yield (base_dir / name).resolve()
