"""Check: one check for on-call, with its alert."""

from dashboard.check import render_check

render_check()
