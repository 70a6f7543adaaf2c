"""API datasets in a run: before the checks, every dataset of an API system that a check reads
is read into a temporary SQLite file (`datasources.http_api.materialise`), and the checks get
that file as an ordinary SQL dataset. The file is removed when the run's checks are done.

When an API system cannot be read, each check that reads one of its datasets becomes an `error`
result carrying the reader's message (system, URL path, what happened) and its cause; the other
checks of the integration still run. No check knows about APIs: the datasets a check reads are
found by walking its declaration's fields.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from checks.result import CheckResult, error_result
from checks.spec import CheckSpec
from datasources.api_dataset import ApiSystem
from datasources.connection import forget_engine
from datasources.dataset import Dataset, SqlSystem
from datasources.errors import DatasourceError
from monitor.run.registry import check_type

log = logging.getLogger("dxq.run")


# What a run's checks read once the API datasets are in SQLite: per spec, either the spec with
# its datasets replaced, or the error results it gets instead.
Prepared = list[CheckSpec | list[CheckResult]]


@contextmanager
def api_datasets(specs: tuple[CheckSpec, ...]) -> Iterator[Prepared]:
    """The checks to evaluate, with their API datasets read into a temporary SQLite file for
    the duration of the block."""
    wanted: dict[str, tuple[ApiSystem, list[str]]] = {}
    for spec in specs:
        for dataset in datasets_of(spec):
            if isinstance(dataset.system, ApiSystem) and dataset.table is not None:
                wanted.setdefault(dataset.system.name, (dataset.system, []))[1].append(
                    dataset.table
                )
    if not wanted:
        yield list(specs)
        return
    from datasources.http_api import materialise  # httpx loads only for runs that read APIs

    with tempfile.TemporaryDirectory(prefix="dxq-api-") as directory:
        read: dict[str, SqlSystem | DatasourceError] = {}
        for name, (system, tables) in wanted.items():
            try:
                read[name] = materialise(system, tables, Path(directory))
            except DatasourceError as exc:
                log.warning("%s", exc)
                read[name] = exc
            except Exception as exc:  # a defect must not stop the run: each check reports it
                log.exception("API system %r could not be read", name)
                read[name] = DatasourceError(
                    f"API system {name!r}: internal error: {type(exc).__name__}: {exc}"
                )
        try:
            yield [_prepared(spec, read) for spec in specs]
        finally:
            for found in read.values():
                if isinstance(found, SqlSystem):
                    forget_engine(found)


def datasets_of(spec: CheckSpec) -> list[Dataset]:
    """The datasets a check's declaration names, whatever its kind."""
    return [
        value
        for field in dataclasses.fields(spec)
        if isinstance(value := getattr(spec, field.name), Dataset)
    ]


def _prepared(
    spec: CheckSpec, read: dict[str, SqlSystem | DatasourceError]
) -> CheckSpec | list[CheckResult]:
    changes: dict[str, Dataset] = {}
    for field in dataclasses.fields(spec):
        value = getattr(spec, field.name)
        if not isinstance(value, Dataset) or not isinstance(value.system, ApiSystem):
            continue
        found = read.get(value.system.name)
        if isinstance(found, DatasourceError):
            kind = check_type(spec)
            return [
                error_result(
                    kind.name(spec),
                    kind.kind,
                    spec.severity,
                    str(found),
                    cause=found.cause,
                    side=side if isinstance(side := getattr(spec, "side", None), str) else None,
                )
            ]
        if found is not None:
            changes[field.name] = dataclasses.replace(value, system=found)
    if not changes:
        return spec
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]
