"""Integration: one data flow's trends, checks, runs and mismatched keys."""

from dashboard.integration import render_integration

render_integration()
