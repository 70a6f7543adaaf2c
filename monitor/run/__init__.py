"""One run: plan, check registry, the run-and-record path, lease, retries, alerting, report."""
