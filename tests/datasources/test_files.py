"""CSV, Parquet and JSON-lines feeds: typing, NULL vs empty, ordering, streaming, errors."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasources.dataset import Dataset, FileSystem
from datasources.errors import ColumnNotFound, DatasetNotFound, QueryFailed
from datasources.files import iter_batches, matching_files, read_frame
from datasources.introspection import columns, count_rows, max_value, require_columns

CSV_A = (
    "\ufeffsku,qty,price,active,updated_at,note,shipped_at\n"
    '00123,1,9.90,true,2024-01-02 10:00:00,"",2024-01-02T10:00:00Z\n'
    "A-2,,1e3,FALSE,2024-01-03,,2024-01-02T11:00:00+02:00\n"
)
CSV_B = "sku,qty,extra\nB-3,7,x\n"


@pytest.fixture
def csv_feed(tmp_path: Path) -> FileSystem:
    (tmp_path / "stock_2.csv").write_text(CSV_B, encoding="utf-8")
    (tmp_path / "stock_1.csv").write_text(CSV_A, encoding="utf-8")
    (tmp_path / "other.csv").write_text("x\n1\n", encoding="utf-8")
    return FileSystem("wms", str(tmp_path / "stock_*.csv"), "csv")


def test_csv_types_keep_keys_as_written(csv_feed: FileSystem) -> None:
    frame = read_frame(csv_feed)
    assert list(frame.columns) == [
        "sku", "qty", "price", "active", "updated_at", "note", "shipped_at"
    ]  # fmt: skip
    assert frame["sku"].tolist() == ["00123", "A-2", "B-3"]  # file-name order, zeros kept
    assert frame["qty"].dtype == "Int64" and frame["qty"].tolist()[::2] == [1, 7]
    assert frame["price"].tolist()[:2] == [9.9, 1000.0]
    assert frame["active"].tolist()[:2] == [True, False]
    assert frame["updated_at"].tolist()[:2] == [
        pd.Timestamp(2024, 1, 2, 10),
        pd.Timestamp(2024, 1, 3),
    ]
    assert frame["shipped_at"].tolist()[1] == pd.Timestamp("2024-01-02 09:00", tz="UTC")
    assert columns(Dataset(csv_feed)) == {
        "sku": "text", "qty": "bigint", "price": "double", "active": "boolean",
        "updated_at": "timestamp", "note": "text", "shipped_at": "timestamptz",
    }  # fmt: skip


def test_csv_null_is_distinct_from_empty_string(csv_feed: FileSystem) -> None:
    notes = read_frame(csv_feed, ["note"])["note"]
    assert notes[0] == ""  # quoted empty field
    assert pd.isna(notes[1]) and pd.isna(notes[2])  # unquoted empty, and a file without it
    assert pd.isna(read_frame(csv_feed)["qty"][1])


def test_csv_leading_zero_in_any_file_keeps_column_as_text(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id\n1\n2\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("id\n007\n", encoding="utf-8")
    feed = FileSystem("crm", str(tmp_path / "*.csv"), "csv")
    assert read_frame(feed)["id"].tolist() == ["1", "2", "007"]
    assert max_value(Dataset(feed), "id") == "2"


def test_counts_max_and_batches(csv_feed: FileSystem) -> None:
    dataset = Dataset(csv_feed)
    assert count_rows(dataset) == 3
    assert max_value(dataset, "qty") == 7
    assert max_value(dataset, "updated_at") == dt.datetime(2024, 1, 3)
    with pytest.raises(ColumnNotFound, match="'extra'"):  # the first file names the columns
        max_value(dataset, "extra")
    batches = list(iter_batches(csv_feed, ["sku", "qty"], batch_size=2))
    assert [len(b) for b in batches] == [2, 1]
    assert all(b["qty"].dtype == "Int64" for b in batches)
    assert pd.concat(batches)["sku"].tolist() == ["00123", "A-2", "B-3"]


def _parquet_feed(tmp_path: Path) -> FileSystem:
    schema = pa.schema(
        [
            ("sku", pa.string()),
            ("price", pa.decimal128(10, 2)),
            ("qty", pa.int32()),
            ("updated_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    when = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
    parts: list[list[tuple[str, str | None, int | None]]] = [
        [("b", "2.50", 1), ("", None, None)],
        [("c", "10.00", 9)],
    ]
    for part, rows in enumerate(parts):
        table = pa.table(
            {
                "sku": [r[0] for r in rows],
                "price": [Decimal(r[1]) if r[1] else None for r in rows],
                "qty": [r[2] for r in rows],
                "updated_at": [when + dt.timedelta(days=part)] * len(rows),
            },
            schema=schema,
        )
        pq.write_table(table, tmp_path / f"part-{part}.parquet")
    return FileSystem("lake", str(tmp_path / "part-*.parquet"), "parquet")


def test_parquet_feed(tmp_path: Path) -> None:
    feed = _parquet_feed(tmp_path)
    dataset = Dataset(feed)
    assert columns(dataset) == {
        "sku": "text", "price": "numeric(10,2)", "qty": "integer", "updated_at": "timestamptz"
    }  # fmt: skip
    frame = read_frame(feed)
    assert frame["sku"].tolist()[:2] == ["b", ""] and frame["sku"][2] == "c"
    assert pd.isna(frame["qty"][1]) and frame["qty"].dtype == "Int64"
    assert count_rows(dataset) == 3
    assert max_value(dataset, "price") == Decimal("10.00")
    assert max_value(dataset, "updated_at") == dt.datetime(2024, 6, 2, 12, tzinfo=dt.UTC)
    assert [len(b) for b in iter_batches(feed, ["qty"], batch_size=1)] == [1, 1, 1]


def test_jsonl_feed(tmp_path: Path) -> None:
    rows = [{"sku": "0042", "name": "", "qty": 3}, {"sku": "0043", "name": None, "qty": 5}]
    (tmp_path / "orders.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    feed = FileSystem("shop", str(tmp_path / "*.jsonl"), "jsonl")
    frame = read_frame(feed, ["sku", "name"])
    assert frame["sku"].tolist() == ["0042", "0043"]
    assert frame["name"][0] == "" and pd.isna(frame["name"][1])
    assert columns(Dataset(feed))["qty"] == "bigint"
    assert max_value(Dataset(feed), "qty") == 5


def test_no_matching_files(tmp_path: Path) -> None:
    feed = FileSystem("wms", str(tmp_path / "none_*.csv"), "csv")
    assert matching_files(feed) == []
    with pytest.raises(DatasetNotFound, match=r"wms.*none_\*\.csv"):
        read_frame(feed)
    with pytest.raises(DatasetNotFound):
        count_rows(Dataset(feed))


def test_missing_column_lists_existing(csv_feed: FileSystem, tmp_path: Path) -> None:
    with pytest.raises(ColumnNotFound, match=r"'colour'.*sku, qty, price"):
        read_frame(csv_feed, ["sku", "colour"])
    with pytest.raises(ColumnNotFound, match=r"wms: no column 'colour'.*shipped_at"):
        require_columns(Dataset(csv_feed), ["sku", "colour"])
    with pytest.raises(ColumnNotFound, match="'size'"):
        list(iter_batches(_parquet_feed(tmp_path), ["size"]))


def test_unreadable_file_is_query_failed(tmp_path: Path) -> None:
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    feed = FileSystem("lake", str(tmp_path / "*.parquet"), "parquet")
    with pytest.raises(QueryFailed, match="lake"):
        read_frame(feed)
