"""The tables of the results database (SQLAlchemy Core). Alembic's migrations create them."""

from __future__ import annotations

import sqlalchemy as sa

from store.types import JSONDocument, UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

NAME = sa.String(255)  # integrations, systems, receivers, people
CHECK = sa.String(1024)  # check names carry a suite path and an expectation


runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration", NAME, nullable=False),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("reason", sa.Text),
    sa.Column("host", NAME),
    sa.Column("pid", sa.Integer),
    sa.Column("worker", NAME),  # the Celery worker that executed it (executor: celery)
    sa.Column("scheduled_for", UTCDateTime),  # the cron slot, when there is one
    sa.Column("firing", NAME),  # the key of the firing it executes (firings.key)
    sa.CheckConstraint(
        "status IN ('running', 'passed', 'warned', 'failed', 'error')", name="status"
    ),
    sa.Index(None, "integration", "started_at"),
    sa.Index(None, "started_at"),  # recent runs of every integration
    sa.Index(None, "status"),
)

check_results = sa.Table(
    "check_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("integration", NAME, nullable=False),
    sa.Column("check", CHECK, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("headline", sa.String(64)),
    sa.Column("headline_value", sa.Float),
    sa.Column("observed", sa.Text),
    sa.Column("expected", sa.Text),
    sa.Column("metrics", JSONDocument),
    sa.Column("sample", JSONDocument),
    sa.Column("query", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("side", sa.String(16)),
    sa.Column("duration_s", sa.Float, nullable=False, server_default="0"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "integration", "check", "created_at"),
    sa.Index(None, "run_id"),
)

latest_results = sa.Table(
    "latest_results",
    metadata,
    sa.Column("integration", NAME, primary_key=True),
    sa.Column("check", CHECK, primary_key=True),
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("result_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("headline", sa.String(64)),
    sa.Column("headline_value", sa.Float),
    sa.Column("observed", sa.Text),
    sa.Column("expected", sa.Text),
    sa.Column("metrics", JSONDocument),
    sa.Column("sample", JSONDocument),
    sa.Column("query", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("side", sa.String(16)),
    sa.Column("duration_s", sa.Float, nullable=False, server_default="0"),
    sa.Column("result_at", UTCDateTime, nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),  # when the current outcome began
    sa.Index(None, "outcome"),
)

daily_rollups = sa.Table(
    "daily_rollups",
    metadata,
    sa.Column("integration", NAME, primary_key=True),
    sa.Column("check", CHECK, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("headline", sa.String(64)),
    sa.Column("runs", sa.Integer, nullable=False),
    sa.Column("passed", sa.Integer, nullable=False),
    sa.Column("warned", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("headline_count", sa.Integer, nullable=False),
    sa.Column("headline_sum", sa.Float),
    sa.Column("headline_max", sa.Float),
    sa.Column("last_value", sa.Float),
    sa.Index(None, "integration", "day"),
)

mismatch_keys = sa.Table(
    "mismatch_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration", NAME, nullable=False),
    sa.Column("check", CHECK, nullable=False),
    sa.Column("key", JSONDocument, nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("fields", JSONDocument),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("last_run_id", sa.Integer),
    sa.Index(None, "integration", "check", "resolved_at"),
    sa.Index(
        "uq_mismatch_keys_open",
        "integration",
        "check",
        "key_hash",
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    ),
)

schema_snapshots = sa.Table(
    "schema_snapshots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration", NAME, nullable=False),
    sa.Column("side", sa.String(16), nullable=False),
    sa.Column("columns", JSONDocument, nullable=False),
    sa.Column("taken_at", UTCDateTime, nullable=False),
    sa.Index(None, "integration", "side", "taken_at"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("integration", NAME, nullable=False),
    sa.Column("check", CHECK),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("labels", JSONDocument, nullable=False),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("acknowledged_at", UTCDateTime),
    sa.Column("acknowledged_by", NAME),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("last_notified_at", UTCDateTime),
    sa.Column("escalation_step", sa.Integer, nullable=False, server_default="0"),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("episode", sa.Integer, nullable=False, server_default="1"),
    sa.Column("document", JSONDocument),  # the whole alerts.Alert (Alert.to_json)
    sa.CheckConstraint(
        "kind IN ('data_quality', 'run_error', 'missed', 'dead_letter')", name="kind"
    ),
    sa.CheckConstraint("state IN ('pending', 'firing', 'acknowledged', 'resolved')", name="state"),
    sa.Index(None, "state", "opened_at"),
    sa.Index(None, "integration", "check"),
    sa.Index(None, "fingerprint", "episode", unique=True),
    sa.Index(
        "uq_alerts_open_fingerprint",
        "fingerprint",
        unique=True,
        sqlite_where=sa.text("state <> 'resolved'"),
        postgresql_where=sa.text("state <> 'resolved'"),
    ),
)

alert_events = sa.Table(
    "alert_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("alert_id", sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", NAME, nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("detail", JSONDocument),
    sa.Index(None, "alert_id", "at"),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("alert_id", sa.ForeignKey("alerts.id", ondelete="CASCADE")),
    sa.Column("receiver", NAME, nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("payload", JSONDocument, nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_owner", NAME),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'dead')", name="status"),
    sa.Index(None, "status", "next_attempt_at"),
    sa.Index(None, "alert_id"),
)

silences = sa.Table(
    "silences",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("matchers", JSONDocument, nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("author", NAME, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", NAME),  # who created it (NULL before migration 0002)
    sa.Column("expired_at", UTCDateTime),  # ended early; ends_at keeps the planned end
    sa.Column("expired_by", NAME),
    sa.Index(None, "ends_at"),
)

suite_versions = sa.Table(
    "suite_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("path", sa.String(1024), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("author", NAME, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "path", "created_at"),
)

run_requests = sa.Table(
    "run_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration", NAME, nullable=False),
    sa.Column("requested_by", NAME, nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
    sa.Column("run_id", sa.ForeignKey("runs.id", ondelete="SET NULL")),
    sa.CheckConstraint("status IN ('queued', 'running', 'done')", name="status"),
    sa.Index(None, "status", "requested_at"),
)

heartbeats = sa.Table(
    "heartbeats",
    metadata,
    sa.Column("process_id", NAME, primary_key=True),
    sa.Column("host", NAME, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("last_tick_at", UTCDateTime, nullable=False),
    sa.Column("info", JSONDocument),
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", NAME, primary_key=True),
    sa.Column("owner", NAME, nullable=False),
    sa.Column("until", UTCDateTime, nullable=False),
)

# One row per firing handed to the celery executor: its key is unique, so a firing is
# recorded at most once; `state` moves pending (not yet on the broker) -> queued -> running
# (held by `owner` until `until`) -> done.
firings = sa.Table(
    "firings",
    metadata,
    sa.Column("key", NAME, primary_key=True),
    sa.Column("integration", NAME, nullable=False),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("scheduled_for", UTCDateTime),
    sa.Column("queue", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("owner", NAME),
    sa.Column("until", UTCDateTime),
    sa.Column("run_id", sa.Integer),
    sa.CheckConstraint("state IN ('pending', 'queued', 'running', 'done')", name="state"),
    sa.Index(None, "state"),
)

digests = sa.Table(  # the weekly digest e-mails: one row per owner and week (store/digests.py)
    "digests",
    metadata,
    sa.Column("owner", NAME, primary_key=True),
    sa.Column("week_start", UTCDateTime, primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("holder", NAME),
    sa.Column("until", UTCDateTime),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("sent_at", UTCDateTime),
    sa.CheckConstraint("state IN ('sending', 'failed', 'sent')", name="state"),
)

# Every number a run measured, one row per (check, metric): the series the anomaly detector
# judges and the pages draw (store/series.py). `at` is the run's start.
metric_points = sa.Table(
    "metric_points",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("integration", NAME, nullable=False),
    sa.Column("check", CHECK, nullable=False),
    sa.Column("metric", NAME, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Index(None, "integration", "check", "metric", "at"),
    sa.Index(None, "run_id"),
)

# What a person said about one judged point of a series (store/anomaly_feedback.py):
# `expected` takes the point out of the detector's baseline, `real` confirms the problem.
anomaly_feedback = sa.Table(
    "anomaly_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration", NAME, nullable=False),
    sa.Column("check", CHECK, nullable=False),  # the series' check
    sa.Column("metric", NAME, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),  # the point's time
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("actor", NAME, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("verdict IN ('expected', 'real')", name="verdict"),
    sa.Index(None, "integration", "check", "metric", "at"),
)

installation = sa.Table(
    "installation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("installation_id", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("id = 1", name="one_row"),
)
