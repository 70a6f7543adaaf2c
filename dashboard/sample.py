"""The Check page's sample records as a table: a reconcile record with every compared field
on both sides, the differing ones marked (a "differs in" column, and the cells shaded, so
colour is never the only signal); other checks' samples as flat columns."""

from __future__ import annotations

from typing import Any

import pandas as pd

MISSING = "—"  # the record is not in that system
EMPTY = "(empty)"  # the record is there, the field holds no value (NULL)
SHADE = "background-color: rgba(255, 75, 75, 0.18)"


def problem_words(kind: object, source: str, target: str) -> str:
    """A reconcile difference in plain words, with the systems' names."""
    return {
        "missing_in_target": f"missing in {target} (only in {source})",
        "missing_in_source": f"missing in {source} (only in {target})",
        "changed": "values differ",
    }.get(str(kind), str(kind).replace("_", " "))


def sample_table(sample: list[Any], source: str, target: str) -> pd.DataFrame:
    """One row per sampled record: key columns, the problem, what differs, then each field's
    value in `source` and in `target`."""
    # Results stored before samples kept every field lack some columns: blank, never "None".
    return pd.DataFrame([_row(item, source, target) for item in sample]).fillna("")


def differing_cells(table: pd.DataFrame, source: str, target: str) -> pd.DataFrame:
    """True for each value cell of a field named in its row's "differs in" column."""
    marks = pd.DataFrame(False, index=table.index, columns=table.columns)
    if "differs in" not in table.columns:
        return marks
    for index, names in table["differs in"].items():
        for name in str(names).split(", ") if names else ():
            for column in (f"{name} · {source}", f"{name} · {target}"):
                if column in marks.columns:
                    marks.loc[index, column] = True
    return marks


def styled(table: pd.DataFrame, source: str, target: str) -> Any:
    """The table with the differing cells shaded (a pandas Styler st.dataframe draws)."""
    marks = differing_cells(table, source, target)
    return table.style.apply(lambda _: marks.map(lambda on: SHADE if on else ""), axis=None)


def _row(item: object, source: str, target: str) -> dict[str, object]:
    if not isinstance(item, dict):
        return {"value": _text(item)}
    row: dict[str, object] = {}
    key = item.get("key")
    if isinstance(key, dict):
        row.update({f"key {k}": _text(v) for k, v in key.items()})
    if "kind" not in item:  # a one-sided check's record: its key and value(s)
        row.update({k: _text(v) for k, v in item.items() if k != "key"})
        return row
    kind = item.get("kind")
    fields, stored = item.get("fields"), item.get("values")
    differing: dict[str, Any] = fields if isinstance(fields, dict) else {}
    values: dict[str, Any] = stored if isinstance(stored, dict) else differing
    row["problem"] = problem_words(kind, source, target)
    row["differs in"] = ", ".join(differing) if kind == "changed" else ""
    for name, pair in values.items():
        s, t = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (pair, pair)
        row[f"{name} · {source}"] = MISSING if kind == "missing_in_source" else _text(s)
        row[f"{name} · {target}"] = MISSING if kind == "missing_in_target" else _text(t)
    return row


def _text(value: object) -> str:
    """A sampled value as text: numbers and words as stored, NULL as "(empty)"."""
    return EMPTY if value is None else str(value)
