"""The longer dxq subcommands (schedule, alerts, dashboard, api); parser: monitor/cli.py."""
