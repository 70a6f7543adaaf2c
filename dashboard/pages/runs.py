"""Runs: history and run now."""

from dashboard.runs import render_runs

render_runs()
