"""Overview: the health of every integration, for business owners."""

from dashboard.overview import render_overview

render_overview()
