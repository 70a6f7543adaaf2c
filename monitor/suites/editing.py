"""Editing GX suite files safely: list them, validate through GX, dry run, save with history.

Validation and dry runs import GX (through checks.gx) only when they are called, so the
dashboard starts without it. A save keeps the file's own key order, indent and final newline
(so a diff shows only the change), writes it atomically and records a version in the results
store in one step: if the file cannot be written nothing is recorded, and if the version
cannot be recorded the old file is put back.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from checks.expectation_types import EXPECTATION_TYPES
from checks.result import CheckResult
from checks.spec import SuiteSpec
from checks.suite_file import expectation_problems, load_suite, own_severity, suite_problems
from monitor.config.model import Config
from monitor.errors import SuiteEditError
from monitor.run.plan import plan_integrations
from monitor.suites import save_guard
from store.errors import StoreError
from store.store import ResultStore
from store.suite_versions import (
    SuiteVersion,
    add_version,
    latest_version,
    latest_versions,
    list_versions,
)
from store.transaction import Transaction

ON_DISK_AUTHOR = "(file on disk)"
CHANGED_OUTSIDE = "(changed outside dxq)"
_dry_run_lock = threading.Lock()


@dataclass(frozen=True)
class SuiteUse:
    """One integration side a suite runs on, with the spec to run it there."""

    integration: str
    side: str
    spec: SuiteSpec


@dataclass(frozen=True)
class SuiteEntry:
    """A suite file named by the monitor file, who uses it and its last recorded edit."""

    key: str  # the path relative to the monitor file: "suites/catalog.json"
    path: Path
    uses: tuple[SuiteUse, ...]
    expectations: int
    problems: tuple[str, ...]
    last_version: SuiteVersion | None


def list_suites(config: Config, store: ResultStore | None = None) -> list[SuiteEntry]:
    """Every suite file of the monitor file, in file order, with the integrations using it."""
    uses: dict[Path, list[SuiteUse]] = {}
    for plan in plan_integrations(config):
        for spec in plan.specs:
            if isinstance(spec, SuiteSpec):
                uses.setdefault(spec.path, []).append(SuiteUse(plan.name, spec.side, spec))
    keys = {path: suite_key(config, path) for path in uses}
    latest = latest_versions(store, list(keys.values())) if store is not None else {}
    if store is not None:
        changed = [record_unrecorded(store, k, p, (latest.get(k),)) for p, k in keys.items()]
        if any(version is not None for version in changed):
            latest = latest_versions(store, list(keys.values()))
    entries = []
    for path, found in uses.items():
        document = load_suite(path)
        entries.append(
            SuiteEntry(
                key=keys[path],
                path=path,
                uses=tuple(found),
                expectations=len(document.expectations),
                problems=document.problems,
                last_version=latest.get(keys[path]),
            )
        )
    return entries


def suite_key(config: Config, path: Path) -> str:
    """How the store names a suite file: its path relative to the monitor file's directory."""
    try:
        return path.resolve().relative_to(config.base_dir.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def read_suite(path: Path) -> dict[str, Any]:
    """The JSON document of a suite file, for editing."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuiteEditError(f"cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise SuiteEditError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise SuiteEditError(f"{path} is not a GX suite (a JSON object)")
    return doc


def dump_suite(doc: dict[str, Any], like: str | None = None) -> str:
    """A suite as JSON in its own key order, formatted like the text `like` (its indent, final
    newline and non-ASCII characters) or with indent 2."""
    indent: int | str = 2
    if like:
        lines = like.splitlines()
        found = next((ln for ln in lines[1:] if ln.strip()), "") if len(lines) > 1 else ""
        step = found[: len(found) - len(found.lstrip())]
        if step:
            indent = len(step) if step.strip(" ") == "" else step
    text = json.dumps(doc, indent=indent, ensure_ascii=like is not None and like.isascii())
    return text + "\n" if like and like.endswith("\n") else text


def form_kwargs(fields: dict[str, str]) -> dict[str, Any]:
    """The kwargs of the simple form: empty fields left out, numbers and lists parsed."""
    kwargs: dict[str, Any] = {}
    for name, raw in fields.items():
        text = raw.strip()
        if not text:
            continue
        if name == "value_set":
            kwargs[name] = _value_set(text)
        elif name in ("min_value", "max_value"):
            kwargs[name] = _number_or_text(text)
        elif name == "mostly":
            try:
                kwargs[name] = float(text)
            except ValueError:
                raise ValueError(f"mostly: {text!r} is not a number between 0 and 1") from None
        else:
            kwargs[name] = text
    return kwargs


def _value_set(text: str) -> list[Any]:
    if text.startswith("["):
        values = json.loads(text)
        if not isinstance(values, list):
            raise ValueError("value_set: must be a JSON list")
        return values
    return [_number_or_text(part.strip()) for part in text.split(",") if part.strip()]


def _number_or_text(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def severity_shown(item: Any, entry: SuiteEntry) -> str:
    """The severity an expectation's results get, as the Suites page shows it: its own
    ("warning", from meta.severity or GX's field), else the integration's ("critical
    (integration)")."""
    own = own_severity(item)
    if own is not None:
        return own.value
    used = sorted({use.spec.severity.value for use in entry.uses})
    return f"{' / '.join(used) or '—'} (integration)"


def expectation_types() -> list[str]:
    """The expectation types a suite may use, sorted."""
    return sorted(EXPECTATION_TYPES)


def validate_expectation_item(item: dict[str, Any]) -> list[str]:
    """Problems in one whole expectation ({"type", "kwargs", "meta", ...}): the suite
    validator's (the rule `dxq validate` and the run apply), then what GX's model says of the
    argument values (imports GX)."""
    problems = [str(p) for p in expectation_problems(item)]
    return problems + _gx_value_problems(item)


def validate_suite(doc: dict[str, Any]) -> list[str]:
    """Problems in a whole suite document: the suite validator's, then GX's (imports GX)."""
    problems = [str(p) for p in suite_problems(doc)]
    items = doc.get("expectations") if isinstance(doc, dict) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        where = f"expectations[{index}] ({item.get('type', '?')})" if isinstance(item, dict) else ""
        problems.extend(f"{where}: {p}" for p in _gx_value_problems(item))
    return problems


def _gx_value_problems(item: Any) -> list[str]:
    """What GX's model says of the argument values of an expectation whose type and kwargs
    the suite validator can read; what it already reports (missing or unknown arguments, the
    other fields) is left out."""
    if not isinstance(item, dict) or not isinstance(item.get("kwargs"), dict):
        return []
    if item.get("type") not in EXPECTATION_TYPES or "expectation_type" in item:
        return []
    from checks.gx.words import validate_expectation_document

    said = ("field required", "not an argument of this expectation")
    named = tuple(f"{p.loc[1]}:" for p in expectation_problems(item) if len(p.loc) == 2)
    values = {"type": item["type"], "kwargs": item["kwargs"]}  # the rest is the validator's
    return [
        p
        for p in validate_expectation_document(values)
        if not p.endswith(said) and not p.startswith(named)
    ]


def dry_run(spec: SuiteSpec, doc: dict[str, Any]) -> list[CheckResult]:
    """Each expectation of an edited suite evaluated on the current data, nothing stored."""
    from checks.suite_run import run_suite  # the same engines as the scheduled run
    from monitor.run.api_sources import api_datasets

    digest = hashlib.sha256(str(spec.path).encode()).hexdigest()[:16]
    # One stable file per suite, so GX's cached validation is rebuilt, not piled up.
    draft = Path(tempfile.gettempdir()) / f"dxq-dry-run-{os.getpid()}" / digest / spec.path.name
    with _dry_run_lock:
        draft.parent.mkdir(parents=True, exist_ok=True)
        draft.write_text(dump_suite(doc), encoding="utf-8")
        with api_datasets((replace(spec, path=draft),)) as (ready,):  # an API dataset, as a run
            return ready if isinstance(ready, list) else run_suite(cast(SuiteSpec, ready))


def save_suite(
    store: ResultStore,
    config: Config,
    path: Path,
    doc: dict[str, Any],
    author: str,
    comment: str,
    *,
    now: datetime | None = None,
) -> int:
    """Write the suite file and record the version (author and comment required); its id.

    A file nobody recorded yet (first edit, a change by hand, a save that died) is recorded
    first, so history has the base the diff starts from."""
    author, comment = author.strip(), comment.strip()
    if not author:
        raise SuiteEditError("say who is saving: an author is required")
    if not comment:
        raise SuiteEditError("say why: a comment is required")
    problems = validate_suite(doc)
    if problems:
        raise SuiteEditError("the suite is not valid: " + "; ".join(problems))
    at = now or datetime.now(UTC)
    key = suite_key(config, path)
    with save_guard.locked(path) as lock:
        assert lock is not None  # waited for it
        previous = _read_text(path)
        text = dump_suite(doc, like=previous)
        if text == previous:
            raise SuiteEditError("nothing to save: the suite is unchanged")
        left = lock.left_behind()
        lock.remove_stale_temp_files()
        first = previous if not suite_history(store, config, path) else None
        lock.intend(save_guard.intent_for(text, author, comment, at, first))
        written = False
        try:
            with store.transaction() as tx:
                _record_file(tx, key, path, (previous, left), first_edit_at=at)
                version = add_version(tx, key, text, author, comment, at)
                save_guard.write_atomically(path, text)
                written = True
        except OSError as exc:
            lock.intend(left)
            raise SuiteEditError(
                f"cannot write {path}: {exc.strerror or exc}; nothing saved"
            ) from exc
        except StoreError as exc:
            if written:
                _restore(path, previous)
            lock.intend(left)
            raise SuiteEditError(f"cannot record the version: {exc}; {path} is unchanged") from exc
        lock.intend(None)
    return version


def record_unrecorded(
    store: ResultStore, key: str, path: Path, read: tuple[SuiteVersion | None] | None = None
) -> int | None:
    """Make a suite's history agree with its file, unless a save is under way: remove the temp
    files of saves that died, and record a content nobody recorded (with the author of the
    save that wrote it, else as changed outside dxq). The id recorded, if any. `read` holds
    the last version as just read: when the file agrees with it, no transaction is opened."""
    with save_guard.locked(path, wait=False) as lock:
        if lock is None:
            return None
        lock.remove_stale_temp_files()
        try:
            text = _read_text(path)
        except SuiteEditError:
            return None  # an unreadable file: its problems are shown with the suite
        intent = lock.left_behind()
        if read is not None and intent is None and (read[0] is None or read[0].content == text):
            return None
        with store.transaction() as tx:
            version = _record_file(tx, key, path, (text, intent), None)
        lock.intend(None)
        return version


def _record_file(
    tx: Transaction,
    key: str,
    path: Path,
    found: tuple[str | None, save_guard.Intent | None],
    first_edit_at: datetime | None,
) -> int | None:
    """Record the file's content if the history does not end with it: as the save that wrote
    it (its intent), as changed outside dxq, or (before a first edit) as on disk."""
    text, intent = found
    latest = latest_version(tx, key)
    if text is None or (latest is not None and latest.content == text):
        return None
    if intent is not None and intent.digest == save_guard.digest(text):
        if latest is None and intent.base is not None:
            base = ON_DISK_AUTHOR, "before the first edit", intent.at
            add_version(tx, key, intent.base, *base)
        comment = f"{intent.comment} (the save was interrupted; recorded afterwards)"
        return add_version(tx, key, text, intent.author, comment, intent.at)
    if latest is not None:
        at = max(_mtime(path), latest.created_at)
        comment = "the file was changed outside dxq"
        return add_version(tx, key, text, CHANGED_OUTSIDE, comment, at)
    if first_edit_at is not None:
        at = min(first_edit_at, _mtime(path))
        return add_version(tx, key, text, ON_DISK_AUTHOR, "before the first edit", at)
    return None


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def suite_history(store: ResultStore, config: Config, path: Path) -> list[SuiteVersion]:
    """The recorded versions of a suite file, newest first."""
    return list_versions(store, suite_key(config, path))


def diff_versions(old: SuiteVersion, new: SuiteVersion) -> str:
    """A unified diff from `old` to `new`; empty when their contents are equal."""
    return diff_texts(old.content, new.content, _version_label(old), _version_label(new))


def diff_texts(old: str, new: str, old_label: str, new_label: str) -> str:
    """A unified diff of two texts."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteEditError(f"cannot read {path}: {exc}") from exc


def _restore(path: Path, previous: str | None) -> None:
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        save_guard.write_atomically(path, previous)


def _version_label(version: SuiteVersion) -> str:
    return f"{version.path} #{version.id} {version.author} {version.created_at:%Y-%m-%d %H:%M}"
