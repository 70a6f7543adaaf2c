"""The HTTP API (`dxq api`): integrations, runs and alerts as JSON for CI gates, sensors and
bots, with bearer tokens from the monitor file. Reference: docs/api.md."""
