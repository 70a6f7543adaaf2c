"""Runs a GX suite file (or some of its expectations) against one dataset through GX.

SQL datasets go through GX's SQL data sources, so the database computes every metric; files
go through GX's pandas data source. One ephemeral GX context per process holds the data
sources, assets and validation definitions, reused while the system, dataset and suite file
stay the same. A process-wide lock guards only that bookkeeping (registration); validating
holds a lock per data source (GX's execution engine of a source is not thread-safe), so a
suite waiting on its database never blocks the suites of other systems.

On SQL, GX's BASIC result format gives the counts, 20 unexpected values and the query that
selects the failing rows without fetching any row list; the keys of the failing rows are then
read with that query, limited to 20 rows, for failing expectations only. SUMMARY would read a
sample for every column-map expectation, passing ones included (a table scan each).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import great_expectations as gx
import sqlalchemy as sa
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.data_context.data_context.abstract_data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from checks.gx.words import description
from checks.result import CheckKind, CheckResult, error_result
from checks.spec import SuiteSpec
from checks.suite_file import SuiteDocument, load_suite
from checks.suite_result import (
    SAMPLE_SIZE,
    check_names,
    condense,
    exception_message,
    sample_row,
    to_check_result,
)
from checks.suite_source import (
    dataset_error,
    engine_kwargs,
    failing_rows_select,
    guard_engine,
    prepared_query_arguments,
    probe_select,
    system_error,
    where,
)
from datasources.connection import translate_error
from datasources.dataset import Dataset, FileSystem, SqlSystem
from datasources.errors import Cause, ColumnNotFound, DatasourceError, QueryRefused
from datasources.statement import literal_colons, single_statement

_lock = threading.RLock()
_context: AbstractDataContext | None = None
_sources: dict[tuple[Any, ...], SQLDatasource] = {}
_batches: dict[tuple[Any, ...], BatchDefinition[Any]] = {}
_validations: dict[tuple[Any, ...], tuple[str, gx.ValidationDefinition, list[str]]] = {}
_source_locks: dict[tuple[Any, ...], threading.Lock] = {}
_names = itertools.count(1)


def run_suite(spec: SuiteSpec, only: Sequence[int] | None = None) -> list[CheckResult]:
    """One result per expectation of the suite (of the expectations at positions `only`, when
    given), or one `error` result for the whole suite."""
    started = time.perf_counter()
    document = load_suite(spec.path)
    if document.problems:
        problems = "; ".join(document.problems)
        return [_suite_error(spec, "invalid suite file: " + problems, Cause.BAD_QUERY)]
    names = check_names(spec, document.expectations)
    if only is not None:
        picked = tuple(document.expectations[i] for i in only)
        digest = f"{document.digest}:{','.join(str(i) for i in only)}"
        document = replace(document, expectations=picked, digest=digest)
        names = [names[i] for i in only]
    try:
        results = _run(spec, document, names)
    except DatasourceError as exc:
        return [_suite_error(spec, str(exc), exc.cause)]
    except Exception as exc:  # GX failing in a way we did not foresee is still data
        reason = f"GX failed on {where(spec.dataset)}: {condense(str(exc))}"
        return [_suite_error(spec, reason, Cause.INTERNAL)]
    share = round((time.perf_counter() - started) / max(1, len(results)), 4)
    return [_with_duration(r, share) for r in results]


def _run(spec: SuiteSpec, document: SuiteDocument, names: list[str]) -> list[CheckResult]:
    frame = None
    if isinstance(spec.dataset.system, FileSystem):
        from datasources.files import read_frame

        frame = read_frame(spec.dataset.system)
        _require_columns(spec, list(frame.columns))
        source_key: tuple[Any, ...] = ("files",)
    else:
        _require_columns(spec, _probe_columns(spec.dataset))
        source_key = _source_key(spec.dataset.system)
    with _lock:
        batch = _batch_definition(spec.dataset)
        if not isinstance(spec.dataset.system, FileSystem):
            _guard_execution_engine(spec.dataset.system)
        built = _validation(spec, document, batch)
    if isinstance(built, CheckResult):
        return [built]
    validation, ids = built
    with _source_lock(source_key):
        return _validate(spec, document, names, validation, ids, frame)


def _source_lock(key: tuple[Any, ...]) -> threading.Lock:
    with _lock:
        return _source_locks.setdefault(key, threading.Lock())


def _validate(
    spec: SuiteSpec,
    document: SuiteDocument,
    names: list[str],
    validation: gx.ValidationDefinition,
    ids: list[str],
    frame: Any,
) -> list[CheckResult]:
    result_format: dict[str, Any] = {
        "result_format": "SUMMARY" if frame is not None else "BASIC",
        "partial_unexpected_count": SAMPLE_SIZE,
        "return_unexpected_index_query": frame is None,
    }
    if spec.key_columns:
        result_format["unexpected_index_column_names"] = list(spec.key_columns)
    try:
        outcome = validation.run(
            batch_parameters={"dataframe": frame} if frame is not None else None,
            result_format=result_format,
        )
    except Exception as exc:
        raise dataset_error(spec.dataset, exc) from exc
    finally:
        _forget_stored_results()
    # Plain attributes, not to_json_dict(): GX converts each Decimal with an inspect.stack() call.
    by_id = {
        str(r.expectation_config.id): {
            "success": r.success,
            "result": r.result,
            "exception_info": r.exception_info,
            "description": description(r.expectation_config),
        }
        for r in outcome.results
        if r.expectation_config is not None
    }
    gx_results = [by_id.get(i) or {"success": False} for i in ids]
    collapsed = _common_failure(spec, gx_results)
    if collapsed is not None:
        return [collapsed]
    return _check_results(spec, document, names, gx_results)


def _check_results(
    spec: SuiteSpec, document: SuiteDocument, names: list[str], gx_results: list[dict[str, Any]]
) -> list[CheckResult]:
    results: list[CheckResult] = []
    for expectation, name, gx_result in zip(document.expectations, names, gx_results, strict=True):
        query = (gx_result.get("result") or {}).get("unexpected_index_query")
        sample = None
        if query and not gx_result.get("success"):
            sample = _failing_rows(spec, query, expectation.columns)
            query = query if sample is not None else None  # only a query that ran is shown
        result = to_check_result(spec, expectation, name, gx_result, sample, query)
        details = {**result.metrics, "engine": "gx"}
        if gx_result.get("description"):  # GX's own words, for the dashboard
            details["description"] = gx_result["description"]
        result = replace(result, metrics=details)
        results.append(result)
    return results


def _common_failure(spec: SuiteSpec, gx_results: list[dict[str, Any]]) -> CheckResult | None:
    """One error for the suite when every expectation failed to evaluate for the same reason."""
    messages = {exception_message(r.get("exception_info")) for r in gx_results}
    if len(gx_results) < 2 or len(messages) != 1 or None in messages:
        return None
    reason = f"GX could not read {where(spec.dataset)}: {messages.pop()}"
    return _suite_error(spec, reason, Cause.BAD_QUERY)


def _context_now() -> AbstractDataContext:
    global _context
    if _context is None:
        context = gx.get_context(mode="ephemeral")
        context.enable_analytics(False)
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        _context = context
    return _context


def _batch_definition(dataset: Dataset) -> BatchDefinition[Any]:
    """The whole-table (or whole-frame) batch definition of a dataset, created once."""
    system = dataset.system
    if isinstance(system, FileSystem):
        key: tuple[Any, ...] = ("files", system.name, system.pattern, system.format)
    else:
        key = (*_source_key(system), dataset.table, dataset.query)
    batch = _batches.get(key)
    if batch is not None:
        return batch
    name = f"dxq-{next(_names)}"
    context = _context_now()
    if isinstance(system, FileSystem):
        source = context.data_sources.add_or_update_pandas("dxq-files")
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
    else:
        sql_source = _sql_source(system)
        try:
            if dataset.query is not None:
                # One read statement; GX parses it with sa.text() twice (asset, then batch).
                query = literal_colons(single_statement(dataset.query), parses=2)
                asset: Any = sql_source.add_query_asset(name, query=query)
            else:
                schema, _, table = (dataset.table or "").rpartition(".")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    asset = sql_source.add_table_asset(
                        name, table_name=table, schema_name=schema or None
                    )
        except Exception as exc:
            raise dataset_error(dataset, exc) from exc
        batch = asset.add_batch_definition_whole_table("all")
    _batches[key] = batch
    return batch


def _source_key(system: SqlSystem) -> tuple[Any, ...]:
    return ("sql", system.name, system.url, system.connect_timeout_s, system.query_timeout_s)


def _sql_source(system: SqlSystem) -> SQLDatasource:
    """GX's SQL data source for a system, created (and its connection tested) once."""
    key = _source_key(system)
    cached = _sources.get(key)
    if cached is not None:
        return cached
    try:
        url = sa.make_url(system.url)
    except sa.exc.ArgumentError as exc:
        raise translate_error(system, exc) from exc
    name = f"{system.name}-{hashlib.sha256(repr(key).encode()).hexdigest()[:12]}"
    options: dict[str, Any] = {
        "connection_string": system.url,
        "kwargs": engine_kwargs(url, system),
    }
    sources = _context_now().data_sources
    try:
        if url.get_backend_name() == "postgresql":
            source: Any = sources.add_or_update_postgres(name, **options)
        elif url.get_backend_name() == "sqlite":
            source = sources.add_or_update_sqlite(name, **options)
        else:
            source = sources.add_or_update_sql(name, **options)
        assert isinstance(source, SQLDatasource)
    except Exception as exc:
        raise system_error(system, exc) from exc
    _sources[key] = source
    return source


def _engine(system: SqlSystem) -> sa.Engine:
    """The data source's own engine (probes, failing rows), read-only and time-limited."""
    with _lock:
        return guard_engine(_sql_source(system).get_engine(), system)


def _guard_execution_engine(system: SqlSystem) -> None:
    """Guard the engine GX validates with; GX may build a new one, so check before each run."""
    try:
        engine = _sql_source(system).get_execution_engine().engine
    except Exception as exc:
        raise system_error(system, exc) from exc
    guard_engine(engine, system)


def _probe_columns(dataset: Dataset) -> list[str]:
    """The dataset's columns, read with a query that returns no rows: reachable and present."""
    assert isinstance(dataset.system, SqlSystem)
    try:
        with _engine(dataset.system).connect() as conn:
            return list(conn.execute(probe_select(dataset)).keys())
    except sa.exc.SQLAlchemyError as exc:
        raise dataset_error(dataset, exc) from exc


def _require_columns(spec: SuiteSpec, columns: list[str]) -> None:
    missing = [c for c in spec.key_columns if c not in columns]
    if missing:
        raise ColumnNotFound(
            f"{where(spec.dataset)}: key column(s) {', '.join(missing)} not found "
            f"(columns: {', '.join(columns[:30])})"
        )


def _validation(
    spec: SuiteSpec, document: SuiteDocument, batch: BatchDefinition[Any]
) -> tuple[gx.ValidationDefinition, list[str]] | CheckResult:
    """The validation definition of a suite file on a batch; rebuilt when the file changes."""
    key = (str(spec.path), id(batch))
    cached = _validations.get(key)
    if cached is not None and cached[0] == document.digest:
        return cached[1], cached[2]
    context = _context_now()
    if cached is not None:
        context.validation_definitions.delete(cached[1].name)
        context.suites.delete(cached[1].suite.name)
        del _validations[key]
    expectations = []
    for index, expectation in enumerate(document.expectations):
        try:
            config = ExpectationConfiguration(**prepared_query_arguments(expectation.to_gx()))
            expectations.append(config.to_domain_obj())
        except Exception as exc:
            problem = f"expectations[{index}] ({expectation.type}): {condense(str(exc))}"
            return _suite_error(spec, f"invalid suite file {spec.path}: {problem}", Cause.BAD_QUERY)
    name = f"{spec.label}-{next(_names)}"
    suite = ExpectationSuite(name=name, expectations=expectations, meta=document.meta)
    suite = context.suites.add(suite)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    ids = [str(e.id) for e in suite.expectations]
    _validations[key] = (document.digest, validation, ids)
    return validation, ids


def _failing_rows(
    spec: SuiteSpec, query: str, columns: tuple[str, ...]
) -> list[dict[str, Any]] | None:
    """Up to 20 failing rows read with GX's failing-rows query; None when it does not run."""
    assert isinstance(spec.dataset.system, SqlSystem)
    try:
        with _engine(spec.dataset.system).connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(failing_rows_select(query))]
    except (sa.exc.SQLAlchemyError, QueryRefused):
        return None  # keep GX's unexpected values as the sample
    return [sample_row(row, spec.key_columns, columns) for row in rows]


def _forget_stored_results() -> None:
    """The ephemeral context keeps every validation result in memory: drop them."""
    store = _context_now().validation_results_store
    for key in store.list_keys():
        with contextlib.suppress(KeyError):  # another thread's suite removed it first
            store.remove_key(key)  # type: ignore[no-untyped-call]


def _suite_error(spec: SuiteSpec, reason: str, cause: Cause) -> CheckResult:
    return error_result(
        spec.label, CheckKind.EXPECTATION, spec.severity, reason, cause=cause, side=spec.side
    )


def _with_duration(result: CheckResult, seconds: float) -> CheckResult:
    return replace(result, duration_s=seconds)
