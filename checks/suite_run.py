"""Run a GX suite file against one dataset: the expectations the fused engine covers in one
aggregate query (checks.fused), the rest through GX (checks.gx, imported only when some
expectation needs it, since importing GX costs seconds).

A suite whose `meta` says `{"dxq_engine": "gx"}`, a files dataset, an invalid suite file or a
dataset the fused query cannot read run wholly through GX, whose results and error messages
are the reference. A result says which engine ran it only in its details (`metrics.engine`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import sqlalchemy as sa

from checks.fused.engine import FusedResult, run_fused, split
from checks.fused.words import describe
from checks.result import CheckResult
from checks.spec import SuiteSpec
from checks.suite_file import SuiteDocument, load_suite
from checks.suite_result import check_names, in_suite, to_check_result
from checks.suite_source import probe_select, selectable
from datasources.connection import read_only
from datasources.dataset import SqlSystem
from datasources.errors import DatasourceError

GX_ONLY = {"dxq_engine": "gx"}


def run_suite(spec: SuiteSpec) -> list[CheckResult]:
    """One result per expectation of the suite, or one `error` result for the whole suite."""
    started = time.perf_counter()
    document = load_suite(spec.path)
    if not _may_fuse(spec, document):
        return _through_gx(spec)
    fused = _fused(spec, document)
    if fused is None:
        return _through_gx(spec)
    names = check_names(spec, document.expectations)
    done: dict[int, CheckResult] = {
        index: _as_check(spec, document, names[index], index, result)
        for index, result in fused.items()
    }
    share = round((time.perf_counter() - started) / max(1, len(done)), 4)
    done = {i: replace(r, duration_s=share) for i, r in done.items()}
    rest = [i for i in range(len(document.expectations)) if i not in done]
    if not rest:
        return [done[i] for i in sorted(done)]
    by_gx = _through_gx(spec, rest)
    if len(by_gx) != len(rest) or not all(in_suite(r.check, spec.label) for r in by_gx):
        return _through_gx(spec)  # GX refused its part (a bad argument): GX's word on it all
    done.update(zip(rest, by_gx, strict=True))
    return [done[i] for i in sorted(done)]


def _may_fuse(spec: SuiteSpec, document: SuiteDocument) -> bool:
    if document.problems or not isinstance(spec.dataset.system, SqlSystem):
        return False
    return all(document.meta.get(k) != v for k, v in GX_ONLY.items())


def _fused(spec: SuiteSpec, document: SuiteDocument) -> dict[int, FusedResult] | None:
    """The fused results by position, or None when the dataset cannot be read this way (GX
    then runs everything and reports the problem in its established words)."""
    system = spec.dataset.system
    assert isinstance(system, SqlSystem)
    source = selectable(spec.dataset)
    try:
        with read_only(system) as connection:
            columns = set(connection.execute(probe_select(spec.dataset)).keys())
            covered, _ = split(document.expectations, columns, connection.dialect.name, source)
            if not covered:
                return None
            return run_fused(connection, source, covered, spec.key_columns)
    except (DatasourceError, sa.exc.SQLAlchemyError):
        return None


def _as_check(
    spec: SuiteSpec, document: SuiteDocument, name: str, index: int, fused: FusedResult
) -> CheckResult:
    expectation = document.expectations[index]
    result = to_check_result(spec, expectation, name, fused.gx_result, fused.sample, fused.query)
    details = {**result.metrics, "engine": "fused"}
    words = describe(expectation)
    if words:
        details["description"] = words
    return replace(result, metrics=details)


def _through_gx(spec: SuiteSpec, only: Sequence[int] | None = None) -> list[CheckResult]:
    from checks.gx.adapter import run_suite as run_with_gx  # GX costs seconds to import

    return run_with_gx(spec, only)
