"""Suites: maintainers edit GX expectation suites with validation, dry run and history."""

from dashboard.suites import render_suites

render_suites()
