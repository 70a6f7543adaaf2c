"""Benchmark: the latency check on N rows in PostgreSQL (source) against N rows in MariaDB
(target), C of them changed within the 24-hour window, composite key (region, id), updated
column indexed on both sides.

Each measurement is a whole process (interpreter start, imports, connections, queries): the
lower bound is a process that streams the window's keys and times from both sides with the
same WHERE and nothing else; dxq is a process that runs `check_latency`. Both run --repeat
times, alternated; the printed figures are the medians and the peak RSS (VmHWM) of each.
Memory should follow C (the window), not N (the tables).

    .venv/bin/python benchmarks/latency.py --rows 500000,2000000 --changed 20000,200000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PROJECT)

from benchmarks.dxq_process import create_databases, drop_databases  # noqa: E402

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WINDOW = timedelta(hours=24)
REGIONS = ("eu", "us", "ap", "sa")

# The child processes: both print {"rows": n, "rss_mb": peak} as their last line.
_RSS = """
def _rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
"""
FLOOR = (
    _RSS
    + """
import json, sys
import sqlalchemy as sa
from datasources.connection import read_only
from datasources.dataset import SqlSystem
start = sys.argv[3]
rows = 0
for url in sys.argv[1:3]:
    with read_only(SqlSystem("s", url)) as conn:
        query = sa.text("SELECT region, id, updated_at FROM items WHERE updated_at >= :s")
        result = conn.execution_options(stream_results=True, yield_per=10000).execute(
            query, {"s": start}
        )
        for _ in result:
            rows += 1
print(json.dumps({"rows": rows, "rss_mb": _rss()}))
"""
)
DXQ = (
    _RSS
    + """
import json, sys
from datetime import datetime
from checks.latency import check_latency
from checks.result import Severity
from checks.spec import LatencySpec
from datasources.dataset import Dataset, SqlSystem
spec = LatencySpec(
    Dataset(SqlSystem("pg", sys.argv[1]), "items"),
    Dataset(SqlSystem("maria", sys.argv[2]), "items"),
    ("region", "id"), ("region", "id"), "updated_at", "updated_at", 86400, 900, Severity.ERROR,
)
result = check_latency(spec, datetime.fromisoformat(sys.argv[4]))
m = result.metrics
print(result.outcome, result.observed, result.reason or "", file=sys.stderr)
print(json.dumps({"rows": m.get("changed"), "waiting": m.get("waiting"), "rss_mb": _rss()}))
"""
)


def _write(path: str, rows: int, changed: int, target: bool) -> int:
    """TSV rows; the first `changed` ids changed within the window. Returns how many of
    those the target has not received (2%: missing)."""
    r = random.Random(7)
    waiting = 0
    with open(path, "w") as out:
        for i in range(rows):
            recent = i < changed
            offset = r.randrange(60, 86_000) if recent else r.randrange(90_000, 60 * 86_400)
            at = NOW - timedelta(seconds=offset)
            delay = r.randrange(0, 1_800)
            missing = recent and r.random() < 0.02
            if target:
                if missing:
                    waiting += 1
                    continue
                at = min(at + timedelta(seconds=delay), NOW) if recent else at
            stamp = at.strftime("%Y-%m-%d %H:%M:%S")
            out.write(f"{REGIONS[i % 4]}\t{i}\t{stamp}\tpayload {i:09d} of the record\n")
    return waiting


def setup(rows: int, changed: int, tmp: str) -> tuple[str, str, str, int]:
    name = f"dxq_bench_{uuid.uuid4().hex[:8]}"
    src, tgt = os.path.join(tmp, "src.tsv"), os.path.join(tmp, "tgt.tsv")
    _write(src, rows, changed, False)
    waiting = _write(tgt, rows, changed, True)
    ddl = (
        "CREATE TABLE items (region CHAR(2) NOT NULL, id INT NOT NULL, updated_at {ts} NOT NULL,"
        " payload VARCHAR(60), PRIMARY KEY (region, id))"
    )
    pg_url, my_url = create_databases(name)
    with sa.create_engine(pg_url).begin() as conn:
        conn.exec_driver_sql(ddl.format(ts="TIMESTAMP"))
        raw = conn.connection.dbapi_connection
        with (
            raw.cursor() as cur,  # type: ignore[union-attr]
            open(src, "rb") as data,
            cur.copy("COPY items FROM STDIN") as copy,
        ):
            while chunk := data.read(1 << 20):
                copy.write(chunk)
        conn.exec_driver_sql("CREATE INDEX items_updated ON items (updated_at)")
        conn.exec_driver_sql("ANALYZE items")
    loader = sa.create_engine(my_url, connect_args={"local_infile": True})
    with loader.begin() as conn:
        conn.exec_driver_sql(ddl.format(ts="DATETIME"))
        conn.exec_driver_sql(f"LOAD DATA LOCAL INFILE '{tgt}' INTO TABLE items")
        conn.exec_driver_sql("CREATE INDEX items_updated ON items (updated_at)")
    return name, pg_url, my_url, waiting


def _process(code: str, pg_url: str, my_url: str) -> tuple[float, dict[str, float]]:
    start = (NOW - WINDOW).replace(tzinfo=None).isoformat(sep=" ")
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code, pg_url, my_url, start, NOW.isoformat()],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.monotonic() - began, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="500000,2000000", help="table sizes, comma-separated")
    parser.add_argument("--changed", default="20000,200000", help="changes in the window")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = ["| rows | changed | floor s | dxq s | ratio | floor RSS MB | dxq RSS MB | waiting |"]
    table.append("|---|---|---|---|---|---|---|---|")
    for rows in (int(n) for n in args.rows.split(",")):
        for changed in (int(n) for n in args.changed.split(",")):
            if changed > rows:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                name, pg_url, my_url, waiting = setup(rows, changed, tmp)
            try:
                floors, dxqs = [], []
                for _ in range(args.repeat):
                    floors.append(_process(FLOOR, pg_url, my_url))
                    dxqs.append(_process(DXQ, pg_url, my_url))
                got = dxqs[-1][1]
                assert got["rows"] == changed and got["waiting"] == waiting, (got, waiting)
                floor_s = statistics.median(t for t, _ in floors)
                dxq_s = statistics.median(t for t, _ in dxqs)
                table.append(
                    f"| {rows:,} | {changed:,} | {floor_s:.2f} | {dxq_s:.2f} | "
                    f"{dxq_s / floor_s:.2f}x | {max(f['rss_mb'] for _, f in floors):.0f} | "
                    f"{max(d['rss_mb'] for _, d in dxqs):.0f} | {waiting:,} |"
                )
                print(table[-1], flush=True)
            finally:
                drop_databases(name)
    print("\n".join(table))


if __name__ == "__main__":
    main()
