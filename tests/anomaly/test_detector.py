"""The anomaly detector on synthetic hourly series: seasonal spikes, directions, level shifts,
marked-expected points, robustness to anomalies in its own training data, missing runs, too
little history, flat-lines, and `stream` giving exactly `judge`'s verdicts."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest

from checks.anomaly.detector import Point, Verdict, judge, lookback, stream
from checks.anomaly.errors import BadSeries, BadSettings
from checks.anomaly.settings import AnomalySettings, Direction, Seasonality
from tests.anomaly.series import HOUR, START, at_hour, expected_value, hourly

DEFAULT = AnomalySettings()
DAILY = AnomalySettings(seasonality=Seasonality.DAILY)


def _verdict(points: list[Point], i: int, settings: AnomalySettings = DEFAULT) -> Verdict:
    verdict = judge(points[:i], points[i], settings)
    assert verdict is not None, f"no verdict for hour {i}"
    return verdict


def test_a_night_value_at_the_daytime_level_is_caught_but_not_at_noon() -> None:
    points = hourly(40)
    night, noon = 35 * 24 + 0, 35 * 24 + 12  # the wave's trough is at 00:00, its peak at 12:00
    peak = expected_value(noon)
    at_night = _verdict(at_hour(points, night, peak), night)
    assert at_night.anomalous and at_night.value > at_night.high
    assert at_night.score > DEFAULT.sensitivity
    assert at_night.low < expected_value(night) < at_night.high
    at_noon = _verdict(at_hour(points, noon, peak), noon)
    assert not at_noon.anomalous and at_noon.low < peak < at_noon.high
    # a plain mean +- 3 sd of the past 14 days would not have flagged the night value
    past = [p.value for p in points[night - 14 * 24 : night]]
    mean = sum(past) / len(past)
    sd = (sum((v - mean) ** 2 for v in past) / len(past)) ** 0.5
    assert abs(peak - mean) < 3 * sd


@pytest.mark.parametrize(
    ("direction", "flagged"),
    [(Direction.BOTH, True), (Direction.DROP, True), (Direction.SPIKE, False)],
)
def test_a_drop_is_flagged_unless_only_spikes_are_watched(
    direction: Direction, flagged: bool
) -> None:
    points = hourly(40)
    i = 36 * 24 + 10
    dropped = at_hour(points, i, expected_value(i) * 0.4)
    verdict = _verdict(dropped, i, AnomalySettings(direction=direction))
    assert verdict.anomalous is flagged
    assert verdict.score < -DEFAULT.sensitivity  # the score says how far below, either way
    spiked = _verdict(
        at_hour(points, i, expected_value(i) * 2), i, AnomalySettings(direction=direction)
    )
    assert spiked.anomalous is (direction is not Direction.DROP)


def test_a_persistent_level_shift_is_flagged_then_relearned() -> None:
    base = hourly(50)
    shift = 35 * 24 + 3
    points = [p if i < shift else Point(p.at, p.value * 1.6) for i, p in enumerate(base)]
    verdicts = stream(points, DEFAULT)
    first = verdicts[shift]
    assert first is not None and first.anomalous and first.score > 0
    after_a_day = [v for v in verdicts[shift + 24 :] if v is not None]
    assert len(after_a_day) > 300
    assert not any(v.anomalous for v in after_a_day)  # re-learned, no alerting forever
    last = after_a_day[-1]
    assert last.low < last.value < last.high and last.expected > 1.3 * expected_value(
        len(points) - 1
    )


def test_a_slow_drift_is_caught_while_it_lasts() -> None:
    base = hourly(60, seed=8)
    start, length = 35 * 24, 8 * 24  # +40% over eight days, then it stays

    def factor(i: int) -> float:
        return 1 + 0.4 * min(max(i - start, 0) / length, 1.0)

    points = [Point(p.at, p.value * factor(i)) for i, p in enumerate(base)]
    verdicts = stream(points, DEFAULT)
    during = [v for v in verdicts[start : start + length] if v is not None]
    assert any(v.drift and v.anomalous and v.low < v.value < v.high for v in during)
    assert not any(v is not None and v.anomalous for v in verdicts[: start + 24])
    later = [v for v in verdicts[start + length + 2 * 24 :] if v is not None]
    assert len(later) > 300 and not any(v.anomalous for v in later)  # the new level is learnt


def test_points_marked_expected_leave_the_baseline() -> None:
    points = hourly(40)
    lifted = [p if i < 39 * 24 else Point(p.at, p.value * 2) for i, p in enumerate(points)]
    new = Point(points[-1].at + HOUR, expected_value(len(points)))
    learned = judge(lifted, new, DEFAULT)  # the level moved up with the last day's 24 points
    assert learned is not None and learned.anomalous and learned.score < 0
    marked = {p.at for p in lifted[39 * 24 :]}
    forgiven = judge(lifted, new, DEFAULT, excluded=marked)
    assert forgiven is not None and not forgiven.anomalous
    assert forgiven == judge(lifted[: 39 * 24], new, DEFAULT)  # as if they had never been


def test_spikes_in_the_training_window_barely_move_the_band() -> None:
    clean = hourly(40, seed=3)
    new = Point(clean[-1].at + HOUR, expected_value(len(clean)))  # 00:00 on a Saturday
    spiked = list(clean)
    rng = random.Random(3)
    # a 10x spike on most of the last 28 days, three of them at midnight, the hour judged,
    # two of those on Saturdays: its hour-of-day and hour-of-week slots hold spikes
    days = {19, 33, 38} | set(rng.sample(range(12, 40), 17))
    for day in sorted(days):
        hour = 0 if day in (19, 33, 38) else rng.randrange(1, 24)
        spiked[day * 24 + hour] = Point(
            clean[day * 24 + hour].at, clean[day * 24 + hour].value * 10
        )
    before, after = judge(clean, new, DEFAULT), judge(spiked, new, DEFAULT)
    assert before is not None and after is not None
    width_before, width_after = before.high - before.low, after.high - after.low
    assert abs(width_after - width_before) / width_before < 0.1
    assert abs(after.expected - before.expected) / before.expected < 0.02
    assert not after.anomalous


def test_missing_runs_and_an_outage_neither_alarm_nor_blind_it() -> None:
    rng = random.Random(9)
    points = [p for p in hourly(45, seed=9) if rng.random() > 0.3]
    points = [
        p for p in points if not START + timedelta(days=36) <= p.at < START + timedelta(days=38)
    ]
    verdicts = stream(points, DAILY)
    judged = [v for v in verdicts if v is not None]
    assert len(judged) > 400
    assert sum(v.anomalous for v in judged) <= 1  # no more than noise allows
    back = next(i for i, p in enumerate(points) if p.at >= START + timedelta(days=38))
    spiked = at_hour(points, back + 2, points[back + 2].value * 2.5)
    verdict = judge(spiked[: back + 2], spiked[back + 2], DAILY)
    assert verdict is not None and verdict.anomalous  # judged right after the outage


def test_runs_at_irregular_minutes_keep_their_seasonal_slot() -> None:
    rng = random.Random(4)
    late = [Point(p.at + timedelta(minutes=rng.randrange(0, 50)), p.value) for p in hourly(50)]
    # three weeks hold exactly three values of each hour of the week: a run 10 minutes
    # later than its predecessor three weeks ago must still find all three
    settings = AnomalySettings(seasonality=Seasonality.WEEKLY, training=timedelta(days=21))
    judged = [v for v in stream(late, settings)[25 * 24 :] if v is not None]
    assert len(judged) > 0.9 * (25 * 24)
    assert sum(v.anomalous for v in judged) <= 1


def test_too_little_history_gives_no_verdict() -> None:
    points = hourly(10)
    assert judge(points[:5], points[5], AnomalySettings(seasonality=Seasonality.NONE)) is None
    assert judge([], points[0], DEFAULT) is None
    enough = AnomalySettings(seasonality=Seasonality.NONE, min_history=100)
    assert judge(points[:99], points[99], enough) is None
    assert judge(points[:100], points[100], enough) is not None
    # auto waits until the weekly pattern has been measured: ten days are not enough
    assert judge(points[:-1], points[-1], DEFAULT) is None
    assert judge(points[:-1], points[-1], DAILY) is not None


def test_auto_learns_a_weekend_dip_without_alarms() -> None:
    points = hourly(63, weekend=0.5, seed=5)
    verdicts = stream(points, DEFAULT)
    judged = [v for v in verdicts if v is not None]
    assert len(judged) > 30 * 24
    assert sum(v.anomalous for v in judged) <= 2
    assert Seasonality.WEEKLY in {v.seasonality for v in judged[-7 * 24 :]}
    daily = [v for v in stream(points, DAILY) if v is not None]
    assert sum(v.anomalous for v in daily) > 10  # what a daily-only baseline makes of weekends


def test_a_feed_that_stops_is_a_flat_line() -> None:
    points = hourly(40, wave=0.0)
    stuck = 35 * 24
    frozen = [
        p if i < stuck else Point(p.at, points[stuck - 1].value) for i, p in enumerate(points)
    ]
    verdicts = stream(frozen[: stuck + 6], DAILY)
    flags = [v is not None and v.anomalous for v in verdicts[stuck - 1 :]]
    assert flags == [False, False, False, True, True, True, True]  # the fourth equal value
    last = verdicts[-1]
    assert last is not None and last.flat and last.low < last.value < last.high


def test_small_counts_that_often_repeat_are_no_flat_line() -> None:
    rng = random.Random(2)
    points = [Point(START + i * HOUR, float(rng.choice([0, 0, 0, 1, 2]))) for i in range(40 * 24)]
    points += [Point(points[-1].at + (k + 1) * HOUR, 0.0) for k in range(4)]
    verdicts = stream(points, DAILY)
    assert not any(v.flat for v in verdicts if v is not None)


@pytest.mark.parametrize(
    ("level", "small", "large"),
    [(1000.0, 1008.0, 1100.0), (0.02, 0.0199, 0.03), (250.0, 249.0, 200.0)],
)  # a row count, a mismatch rate, a small reference table losing one row, then 50
def test_a_constant_series_has_a_band_around_its_level(
    level: float, small: float, large: float
) -> None:
    points = hourly(30, level=level, wave=0.0, noise=0.0)  # every past error is 0: MAD = 0
    now = len(points) - 1
    tiny = _verdict(at_hour(points, now, small), now)
    assert not tiny.anomalous and tiny.low < small < tiny.high
    assert tiny.low < level * (1 - 0.015) and tiny.high > level * (1 + 0.015)  # 0.5% x 4
    assert tiny.low > level * (1 - 0.025) and tiny.high < level * (1 + 0.025)
    big = _verdict(at_hour(points, now, large), now)
    assert big.anomalous and abs(big.score) > 2 * DEFAULT.sensitivity
    assert (big.low, big.high) == (tiny.low, tiny.high)  # the band is the past's alone


def test_a_series_constant_at_zero_flags_any_other_value() -> None:
    points = hourly(30, level=0.0, wave=0.0, noise=0.0)
    now = len(points) - 1
    first = _verdict(at_hour(points, now, 1.0), now)  # the first missing row, say
    assert first.anomalous and first.low < 0 < first.high and first.high < 1e-3


def test_stream_gives_exactly_the_verdicts_of_judge_on_each_past() -> None:
    rng = random.Random(6)
    points = [p for p in hourly(110, weekend=0.7, seed=6) if rng.random() > 0.05]
    points = at_hour(points, 2000, points[2000].value * 3)
    excluded = {points[1500].at, points[2300].at}
    settings = AnomalySettings(training=timedelta(days=21))
    assert lookback(settings) < timedelta(days=110)  # so judge really trims its history
    verdicts = stream(points, settings, excluded)
    for i in [*range(0, len(points), 41), 1500, 2000, 2300, len(points) - 1]:
        history = [p for p in points[:i] if p.at not in excluded]
        assert judge(history, points[i], settings) == verdicts[i], f"point {i}"
    assert verdicts[2000] is not None and verdicts[2000].anomalous


def test_bad_series_and_settings_are_refused_with_the_fix() -> None:
    points = hourly(3)
    with pytest.raises(BadSeries, match="two points at"):
        stream([*points, Point(points[5].at, 1.0)], DEFAULT)
    with pytest.raises(BadSeries, match="timezone-aware"):
        judge(points, Point(points[-1].at.replace(tzinfo=None) + HOUR, 1.0), DEFAULT)
    with pytest.raises(BadSeries, match="not a finite number"):
        judge(points, Point(points[-1].at + HOUR, float("nan")), DEFAULT)
    with pytest.raises(BadSettings, match="sensitivity 0"):
        AnomalySettings(sensitivity=0)
    with pytest.raises(BadSettings, match="at least one day"):
        AnomalySettings(training=timedelta(hours=2))
    with pytest.raises(BadSettings, match="min_history 1"):
        AnomalySettings(min_history=1)
    with pytest.raises(BadSettings, match=re.escape("allowed: spike|drop|both")):
        AnomalySettings(direction="up")  # type: ignore[arg-type]
    assert AnomalySettings(direction="drop").direction is Direction.DROP  # type: ignore[arg-type]
