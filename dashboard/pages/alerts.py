"""Alerts: open, acknowledged, resolved and silenced, with delivery status."""

from dashboard.alert_board import render_alerts

render_alerts()
