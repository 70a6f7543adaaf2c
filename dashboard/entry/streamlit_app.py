"""Run by `streamlit run` (see monitor/commands/serving.py); every rerun draws the dashboard."""

from dashboard.app import main

main()
