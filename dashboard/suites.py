"""Render the Suites page: maintainers edit GX suites with validation, a dry run and history.

The edited suite is a draft in the session until it is saved. GX is imported only when the
user validates, dry runs or saves (through monitor.suites.editing), never when the page opens.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.access import sign_in_bar
from dashboard.context import AppContext, app_context
from dashboard.format import ago
from monitor.access import MAINTAINER, Viewer
from monitor.errors import MonitorError
from monitor.suites import editing
from store.errors import StoreError

FORM_FIELDS = ("column", "value_set", "min_value", "max_value", "regex", "mostly")
# Words, not emoji: Debian's Chromium has no colour-emoji font and shows empty squares.
OUTCOME_WORDS = {
    "passed": "passed",
    "warned": "failed (warning)",
    "failed": "failed",
    "error": "could not run",
}


def render_suites() -> None:
    ctx = app_context()
    viewer = sign_in_bar(ctx.config)
    st.title("Suites")
    st.caption(
        "Change a check safely: edit a GX suite, validate it, dry run it against the current "
        "data, then save it with your name and why. Every save is kept with its diff."
    )
    try:
        entries = editing.list_suites(ctx.config, ctx.store)
    except (MonitorError, StoreError) as exc:
        st.error(f"Cannot list the suites: {exc}")
        return
    if not entries:
        st.info(
            "No integration runs a GX suite yet. Add `suites: [suites/<name>.json]` to an "
            "integration in the monitor file to edit it here."
        )
        return
    st.dataframe(_suite_table(entries), hide_index=True, width="stretch")
    keys = [e.key for e in entries]
    chosen = st.selectbox("Suite", keys, key="suite_pick")
    entry = entries[keys.index(chosen or keys[0])]
    flash = st.session_state.pop("suite_flash", None)
    if flash:
        st.success(flash)
    editor, history = st.tabs(["Expectations", "History"])
    with editor:
        _editor(ctx, entry, viewer)
    with history:
        _history(ctx, entry)


def _suite_table(entries: list[editing.SuiteEntry]) -> pd.DataFrame:
    rows = []
    for e in entries:
        last = e.last_version
        rows.append(
            {
                "suite": e.key,
                "used by": ", ".join(f"{u.integration} ({u.side})" for u in e.uses),
                "expectations": e.expectations,
                "last edited by": last.author if last else "—",
                "last edited": ago(last.created_at) if last else "never in dxq",
                "status": "invalid file" if e.problems else "readable",
            }
        )
    return pd.DataFrame(rows)


def _editor(ctx: AppContext, entry: editing.SuiteEntry, viewer: Viewer) -> None:
    if entry.problems:
        st.error("This suite file cannot be read as a GX suite:\n\n" + _bullets(entry.problems))
        return
    draft = _draft(entry)
    expectations = draft.get("expectations", [])
    st.dataframe(_expectation_table(entry, expectations), hide_index=True, width="stretch")
    if MAINTAINER not in viewer.roles:
        st.info("Only maintainers edit suites. Sign in with a maintenance owner's e-mail.")
        return
    message = st.session_state.pop(f"suite_problems:{entry.key}", None)
    if message:
        st.error(message)
    gen = st.session_state.get(f"suite_gen:{entry.key}", 0)
    for index, item in enumerate(expectations):
        with st.expander(f"{index + 1}. {item.get('type')} {_columns(item)}"):
            st.text_area(
                "Expectation (JSON)",
                json.dumps(item, indent=2),
                height=200,
                key=f"suite_json:{entry.key}:{gen}:{index}",
            )
            a, b = st.columns(2)
            a.button(
                "Apply", key=f"suite_apply:{gen}:{index}", on_click=_apply, args=(entry, index)
            )
            b.button(
                "Remove", key=f"suite_remove:{gen}:{index}", on_click=_remove, args=(entry, index)
            )
    _add_form(entry, gen)
    _actions(ctx, entry, draft, viewer.actor)


def _add_form(entry: editing.SuiteEntry, gen: int) -> None:
    st.subheader("Add an expectation")
    types = editing.expectation_types()
    st.selectbox(
        "Type",
        types,
        index=types.index("expect_column_values_to_not_be_null"),
        key="suite_add_type",
    )
    left, right = st.columns(2)
    left.text_input("column", key="suite_add_column")
    right.text_input("value_set (JSON list or a, b, c)", key="suite_add_value_set")
    left.text_input("min_value", key="suite_add_min_value")
    right.text_input("max_value", key="suite_add_max_value")
    left.text_input("regex", key="suite_add_regex")
    right.text_input("mostly (0 to 1)", key="suite_add_mostly")
    st.text_area("Other kwargs (JSON object)", "{}", key="suite_add_kwargs")
    st.button("Add expectation", key="suite_add", on_click=_add, args=(entry,))


def _actions(
    ctx: AppContext, entry: editing.SuiteEntry, draft: dict[str, Any], author: str
) -> None:
    st.subheader("Check and save")
    on_disk = _disk_doc(entry)
    changed = draft != on_disk
    if changed:
        before = _disk_text(entry)
        after = editing.dump_suite(draft, like=before)
        st.code(editing.diff_texts(before, after, "saved", "edited"), language="diff")
    else:
        st.caption("No unsaved changes.")
    uses = {f"{u.integration} ({u.side}: {u.spec.dataset.label})": u for u in entry.uses}
    target = st.selectbox("Dry run against", list(uses), key="suite_dry_target")
    validate, dry, discard = st.columns(3)
    if validate.button("Validate", key="suite_validate"):
        _show_validation(editing.validate_suite(draft))
    if dry.button("Dry run", key="suite_dry_run"):
        _dry_run(entry, draft, uses[target or next(iter(uses))])
    discard.button("Discard changes", key="suite_discard", on_click=_reset, args=(entry,))
    cleared = _dry_run_verdict(entry, draft) if changed else None
    if author:
        st.caption(f"Saving as {author}")
    else:
        st.caption("Type your name in the sidebar (or sign in) to save.")
    comment = st.text_input("Why this change? (required)", key="suite_comment")
    if st.button("Save", key="suite_save", type="primary", disabled=not (changed and cleared)):
        try:
            version = editing.save_suite(ctx.store, ctx.config, entry.path, draft, author, comment)
        except MonitorError as exc:
            st.error(f"Not saved: {exc}")
            return
        _reset(entry)
        st.session_state["suite_flash"] = f"Saved {entry.key} as version {version}."
        st.rerun()


def _dry_run(entry: editing.SuiteEntry, draft: dict[str, Any], use: editing.SuiteUse) -> None:
    """Validate and run the draft; remember what it found for this exact draft."""
    problems = editing.validate_suite(draft)
    table = None
    if not problems:
        with st.spinner("Running the edited suite on the current data…"):
            results = editing.dry_run(use.spec, draft)
        table = _dry_run_table(results)
        problems = [
            f"{r.check}: could not run ({r.reason or 'no reason given'})"
            for r in results
            if str(r.outcome) == "error"
        ]
    st.session_state[f"suite_dry:{entry.key}"] = (editing.dump_suite(draft), problems, table)


def _dry_run_verdict(entry: editing.SuiteEntry, draft: dict[str, Any]) -> bool:
    """Show the dry run of this draft; whether Save may go ahead (clean, or "save anyway")."""
    record = st.session_state.get(f"suite_dry:{entry.key}")
    if record is None or record[0] != editing.dump_suite(draft):
        st.info("Dry run this draft before saving: Save unlocks once its dry run is clean.")
        return False
    _, problems, table = record
    if table is not None:
        st.dataframe(table, hide_index=True, width="stretch")
    if not problems:
        st.success("The dry run of this draft is clean: every expectation ran.")
        return True
    st.error("The dry run of this draft found problems:\n\n" + _bullets(problems))
    return bool(st.checkbox("Save anyway, despite these problems", key="suite_save_anyway"))


def _history(ctx: AppContext, entry: editing.SuiteEntry) -> None:
    versions = editing.suite_history(ctx.store, ctx.config, entry.path)
    if not versions:
        st.info("No saved version yet: the first save records the file as it is now, too.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {"version": v.id, "saved": v.created_at, "author": v.author, "comment": v.comment}
                for v in versions
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    if len(versions) < 2:
        return
    labels = {f"#{v.id} · {v.author} · {v.created_at:%Y-%m-%d %H:%M}": v for v in versions}
    names = list(labels)
    left, right = st.columns(2)
    old = left.selectbox("From", names, index=1, key="suite_diff_from")
    new = right.selectbox("To", names, index=0, key="suite_diff_to")
    diff = editing.diff_versions(labels[old or names[1]], labels[new or names[0]])
    if diff:
        st.code(diff, language="diff")
    else:
        st.caption("These two versions are identical.")


def _draft(entry: editing.SuiteEntry) -> dict[str, Any]:
    """The session's edited copy; reloaded when the file changed on disk and it was untouched."""
    name, base = f"suite_draft:{entry.key}", f"suite_base:{entry.key}"
    on_disk = _disk_doc(entry)
    if name in st.session_state and st.session_state.get(base) != on_disk:
        if st.session_state[name] == st.session_state.get(base):
            _reset(entry)
        else:
            st.warning("Someone saved this suite since you started editing: saving overwrites it.")
    if name not in st.session_state:
        st.session_state[name], st.session_state[base] = on_disk, copy.deepcopy(on_disk)
    draft: dict[str, Any] = st.session_state[name]
    return draft


def _changed(entry: editing.SuiteEntry, problems: list[str], draft: dict[str, Any] | None) -> None:
    """Keep a valid change in the draft, or the problems to show; new editor widgets after."""
    if problems:
        st.session_state[f"suite_problems:{entry.key}"] = "Not applied:\n\n" + _bullets(problems)
        return
    st.session_state[f"suite_draft:{entry.key}"] = draft
    gen = f"suite_gen:{entry.key}"
    st.session_state[gen] = st.session_state.get(gen, 0) + 1


def _add(entry: editing.SuiteEntry) -> None:
    state = st.session_state
    try:
        kwargs = editing.form_kwargs({f: str(state.get(f"suite_add_{f}", "")) for f in FORM_FIELDS})
        extra = json.loads(str(state.get("suite_add_kwargs") or "{}"))
        if not isinstance(extra, dict):
            raise ValueError("other kwargs: must be a JSON object")
    except ValueError as exc:
        _changed(entry, [str(exc)], None)
        return
    item = {"type": str(state["suite_add_type"]), "kwargs": {**extra, **kwargs}, "meta": {}}
    draft = copy.deepcopy(_draft(entry))
    draft.setdefault("expectations", []).append(item)
    _changed(entry, editing.validate_expectation_item(item), draft)


def _apply(entry: editing.SuiteEntry, index: int) -> None:
    gen = st.session_state.get(f"suite_gen:{entry.key}", 0)
    text = str(st.session_state.get(f"suite_json:{entry.key}:{gen}:{index}", ""))
    try:
        item = json.loads(text)
    except ValueError as exc:
        _changed(entry, [f"not valid JSON: {exc}"], None)
        return
    if not isinstance(item, dict):
        _changed(entry, ["an expectation is a JSON object with 'type' and 'kwargs'"], None)
        return
    draft = copy.deepcopy(_draft(entry))
    draft["expectations"][index] = item
    _changed(entry, editing.validate_expectation_item(item), draft)


def _remove(entry: editing.SuiteEntry, index: int) -> None:
    draft = copy.deepcopy(_draft(entry))
    del draft["expectations"][index]
    _changed(entry, [], draft)


def _reset(entry: editing.SuiteEntry) -> None:
    st.session_state.pop(f"suite_draft:{entry.key}", None)
    st.session_state.pop(f"suite_base:{entry.key}", None)
    gen = f"suite_gen:{entry.key}"
    st.session_state[gen] = st.session_state.get(gen, 0) + 1


def _expectation_table(
    entry: editing.SuiteEntry, expectations: list[dict[str, Any]]
) -> pd.DataFrame:
    rows = [
        [i + 1, e.get("type"), json.dumps(e.get("kwargs", {})), editing.severity_shown(e, entry)]
        for i, e in enumerate(expectations)
    ]
    return pd.DataFrame(rows, columns=["#", "type", "kwargs", "severity"])


def _dry_run_table(results: list[Any]) -> pd.DataFrame:
    rows = [
        {
            "expectation": r.check,
            "outcome": OUTCOME_WORDS.get(str(r.outcome), str(r.outcome)),
            "unexpected": r.metrics.get("unexpected_count"),
            "of rows": r.metrics.get("element_count"),
            "observed": r.observed or r.reason or "",
            "expected": r.expected or "",
        }
        for r in results
    ]
    return pd.DataFrame(rows)


def _show_validation(problems: list[str]) -> None:
    if problems:
        st.error("GX does not accept this suite:\n\n" + _bullets(problems))
    else:
        st.success("Valid: GX accepts every expectation of this suite.")


def _disk_text(entry: editing.SuiteEntry) -> str:
    try:
        return entry.path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _disk_doc(entry: editing.SuiteEntry) -> dict[str, Any]:
    try:
        return editing.read_suite(entry.path)
    except MonitorError:
        return {}


def _columns(item: dict[str, Any]) -> str:
    column = (item.get("kwargs") or {}).get("column")
    return f"({column})" if column else ""


def _bullets(lines: Any) -> str:
    return "\n".join(f"- {line}" for line in lines)
