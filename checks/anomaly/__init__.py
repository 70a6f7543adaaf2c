"""Anomaly detection on a metric's history: catch what nobody wrote a rule for.

Pure logic over plain data (no store, no Streamlit, no GX); importing this package loads
nothing heavy, its modules do (numpy, pandas):

- `settings.AnomalySettings`: what is asked (sensitivity, direction, training, min_history,
  seasonality), a frozen dataclass, validated on construction (`errors.BadSettings`);
- `detector.judge(history, point, settings, excluded)`: the verdict on one new point given
  the points before it, less those marked "expected" (`excluded` timestamps leave the
  baseline); None while the history is too short. `detector.lookback(settings)` is how much
  history a caller needs to load. `detector.stream(points, settings, excluded)` judges a
  whole series as if each point had arrived online, in one vectorised pass, with exactly
  `judge`'s verdicts (tested point by point). A `Verdict` has the observed value, the
  expected value and band (low, high), a signed score in robust standard deviations of the
  detector's own past errors, `anomalous`, and why (`flat`, `drift`, else the band);
- `model.score_series` / `score_batch`: the engine over arrays (see its docstring);
- `watch`: light, for the run path: a run's numbers as series points (`run_points`), the
  series an integration watches (`AnomalySpec`) and a verdict as a CheckResult of kind
  `anomaly` (`anomaly_result`); monitor/run/anomalies.py judges them in every run.

Chosen by measurement (benchmarks/anomalies.py: 1,000 generated hourly series of 90 days with
trend, daily and weekly seasonality, noise, late and missing runs, outages, and 3,000
injected spikes, drops, level shifts, flat-lines and slow drifts; scored per anomaly window,
numbers of the run recorded in benchmarks/README.md):

| detector | precision | recall | F1 | false alarms / series-week |
|---|---|---|---|---|
| rolling z-score, 3 sigma over 14 days (Elementary's default) | 0.67 | 0.44 | 0.53 | 0.155 |
| median per slot, no seasonality | 0.29 | 0.71 | 0.41 | 0.79 |
| median per hour-of-day slot | 0.26 | 0.97 | 0.40 | 1.28 (every weekend) |
| median per hour-of-week slot | 0.81 | 0.96 | 0.88 | 0.088 |
| both, anomalous when both agree (`auto`, the default) | 0.93 | 0.85 | 0.89 | 0.021 |
| STL (statsmodels, robust, daily period) refitted daily, 40 series | 0.17 | 0.95 | 0.29 | 6.9 |

Medians per calendar slot won: robust to the anomalies in their own training data (a spike
among 28 or 4 past values of a slot does not move their median), exact online (rolling
medians over left-closed windows), and fast: 1,000 series in about 5 s of CPU. STL fits the
same shape (trend + seasonal + residual) but must be refitted as points arrive to stay
online: refitted once a day it took about 1,000 times the CPU (4,478 s for 1,000 series),
alarmed every weekend (no weekly period) and under-sized its band (in-sample residuals);
MSTL, with the weekly period, costs 14 times more again (0.86 s a fit).

Steps on the way (F1, false alarms a week; the first on 1,000 series, the others on 300): the
level as the median of the raw past day flipped between weekday and weekend levels at Saturday
and Monday noon (0.74, 0.14); the level of deseasoned values fixed that (0.77, 0.08); alarming
only when both schemes agree, rather than picking one by its past alarms (0.85, 0.02); flat-
lines and drifts (0.87, 0.03; 0.89, 0.02 on 1,000). Sensitivity 4 is the default: 3 gives 0.78
(0.13 false alarms a week), 3.5 0.87 (0.04), 5 0.88 (0.01).

Limits: a drift is caught while it lasts and outruns the series' usual week-on-week change
(recall 0.35 on the benchmark's 30-60% over 7-10 days; the z-score's 14-day mean catches more
of them, 0.57, with seven times the false alarms); a level shift is alarmed for about half a
day, then learnt; slots are UTC hours, so a daylight-saving change moves a local pattern by
an hour twice a year; `auto` judges from about 17 days of hourly history (`daily` from 5).
"""
