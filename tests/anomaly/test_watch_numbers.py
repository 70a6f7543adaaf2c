"""One rule for measured numbers (datasources/numbers.py): the anomaly check's words, the
Overview's findings and the band chart's hover write a watched value the same way, never in
scientific notation."""

from __future__ import annotations

import math

from dashboard.band_chart import value_text
from dashboard.findings import finding
from datasources.numbers import number


def test_measured_numbers_read_as_people_write_them() -> None:
    cases = {
        1234567.0: "1,234,567",
        98765.0: "98,765",
        250000.0: "250,000",
        667.0: "667",
        2000.4: "2,000",
        42.5: "42.5",
        0.125: "0.125",
        -3.0: "-3",
        math.nan: "—",
        math.inf: "—",
    }
    assert {v: number(v) for v in cases} == cases
    assert value_text(1234567.0) == "1,234,567"


def test_an_anomaly_finding_writes_its_band_by_the_same_rule() -> None:
    metrics = {"series": "rows", "value": 667.0, "expected_low": 1960.0, "expected_high": 2040.0}
    found = finding("anomaly", metrics, None, "wms", "shop")
    assert found.words == "rows is 667, usually 1,960 to 2,040"
