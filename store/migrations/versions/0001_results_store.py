"""create the results store

Revision ID: 0001
Revises:
Create Date: 2026-11-29 08:10:45.320856

The initial schema, exactly as store/schema.py declares it. `alerts.fingerprint` holds the
SHA-256 hex of `kind|integration|check`; `episode` numbers the episodes of one fingerprint;
`document` keeps the whole `alerts.Alert` so the lifecycle can continue from the store.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("check", sa.String(length=1024), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("labels", store.types.JSONDocument(), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("opened_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=255), nullable=True),
        sa.Column("resolved_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("last_notified_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("escalation_step", sa.Integer(), server_default="0", nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("episode", sa.Integer(), server_default="1", nullable=False),
        sa.Column("document", store.types.JSONDocument(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('data_quality', 'run_error', 'missed', 'dead_letter')",
            name=op.f("ck_alerts_kind"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'firing', 'acknowledged', 'resolved')",
            name=op.f("ck_alerts_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        op.f("ix_alerts_fingerprint_episode"), "alerts", ["fingerprint", "episode"], unique=True
    )
    op.create_index(
        op.f("ix_alerts_integration_check"), "alerts", ["integration", "check"], unique=False
    )
    op.create_index(
        op.f("ix_alerts_state_opened_at"), "alerts", ["state", "opened_at"], unique=False
    )
    op.create_index(
        "uq_alerts_open_fingerprint",
        "alerts",
        ["fingerprint"],
        unique=True,
        sqlite_where=sa.text("state <> 'resolved'"),
        postgresql_where=sa.text("state <> 'resolved'"),
    )
    op.create_table(
        "daily_rollups",
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("check", sa.String(length=1024), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("headline", sa.String(length=64), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("warned", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("headline_count", sa.Integer(), nullable=False),
        sa.Column("headline_sum", sa.Float(), nullable=True),
        sa.Column("headline_max", sa.Float(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("integration", "check", "day", name=op.f("pk_daily_rollups")),
    )
    op.create_index(
        op.f("ix_daily_rollups_integration_day"),
        "daily_rollups",
        ["integration", "day"],
        unique=False,
    )
    op.create_table(
        "heartbeats",
        sa.Column("process_id", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("last_tick_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("info", store.types.JSONDocument(), nullable=True),
        sa.PrimaryKeyConstraint("process_id", name=op.f("pk_heartbeats")),
    )
    op.create_table(
        "latest_results",
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("check", sa.String(length=1024), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("headline", sa.String(length=64), nullable=True),
        sa.Column("headline_value", sa.Float(), nullable=True),
        sa.Column("observed", sa.Text(), nullable=True),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("metrics", store.types.JSONDocument(), nullable=True),
        sa.Column("sample", store.types.JSONDocument(), nullable=True),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("side", sa.String(length=16), nullable=True),
        sa.Column("duration_s", sa.Float(), server_default="0", nullable=False),
        sa.Column("result_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("since", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("integration", "check", name=op.f("pk_latest_results")),
    )
    op.create_index(op.f("ix_latest_results_outcome"), "latest_results", ["outcome"], unique=False)
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("until", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "mismatch_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("check", sa.String(length=1024), nullable=False),
        sa.Column("key", store.types.JSONDocument(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("fields", store.types.JSONDocument(), nullable=True),
        sa.Column("first_seen", store.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen", store.types.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mismatch_keys")),
    )
    op.create_index(
        op.f("ix_mismatch_keys_integration_check_resolved_at"),
        "mismatch_keys",
        ["integration", "check", "resolved_at"],
        unique=False,
    )
    op.create_index(
        "uq_mismatch_keys_open",
        "mismatch_keys",
        ["integration", "check", "key_hash"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'passed', 'warned', 'failed', 'error')",
            name=op.f("ck_runs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(
        op.f("ix_runs_integration_started_at"), "runs", ["integration", "started_at"], unique=False
    )
    op.create_index(op.f("ix_runs_started_at"), "runs", ["started_at"], unique=False)
    op.create_index(op.f("ix_runs_status"), "runs", ["status"], unique=False)
    op.create_table(
        "schema_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("columns", store.types.JSONDocument(), nullable=False),
        sa.Column("taken_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schema_snapshots")),
    )
    op.create_index(
        op.f("ix_schema_snapshots_integration_side_taken_at"),
        "schema_snapshots",
        ["integration", "side", "taken_at"],
        unique=False,
    )
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matchers", store.types.JSONDocument(), nullable=False),
        sa.Column("starts_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_silences")),
    )
    op.create_index(op.f("ix_silences_ends_at"), "silences", ["ends_at"], unique=False)
    op.create_table(
        "suite_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suite_versions")),
    )
    op.create_index(
        op.f("ix_suite_versions_path_created_at"),
        "suite_versions",
        ["path", "created_at"],
        unique=False,
    )
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", store.types.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("detail", store.types.JSONDocument(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_events_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    op.create_index(
        op.f("ix_alert_events_alert_id_at"), "alert_events", ["alert_id", "at"], unique=False
    )
    op.create_table(
        "check_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("check", sa.String(length=1024), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("headline", sa.String(length=64), nullable=True),
        sa.Column("headline_value", sa.Float(), nullable=True),
        sa.Column("observed", sa.Text(), nullable=True),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("metrics", store.types.JSONDocument(), nullable=True),
        sa.Column("sample", store.types.JSONDocument(), nullable=True),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("side", sa.String(length=16), nullable=True),
        sa.Column("duration_s", sa.Float(), server_default="0", nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_check_results_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_results")),
    )
    op.create_index(
        op.f("ix_check_results_integration_check_created_at"),
        "check_results",
        ["integration", "check", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_check_results_run_id"), "check_results", ["run_id"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("receiver", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("payload", store.types.JSONDocument(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=255), nullable=True),
        sa.Column("lease_until", store.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", store.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'dead')", name=op.f("ck_notifications_status")
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_notifications_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notifications_idempotency_key")),
    )
    op.create_index(op.f("ix_notifications_alert_id"), "notifications", ["alert_id"], unique=False)
    op.create_index(
        op.f("ix_notifications_status_next_attempt_at"),
        "notifications",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "run_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("requested_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done')", name=op.f("ck_run_requests_status")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_requests_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_requests")),
    )
    op.create_index(
        op.f("ix_run_requests_status_requested_at"),
        "run_requests",
        ["status", "requested_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_run_requests_status_requested_at"), table_name="run_requests")
    op.drop_table("run_requests")
    op.drop_index(op.f("ix_notifications_status_next_attempt_at"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_alert_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_check_results_run_id"), table_name="check_results")
    op.drop_index(op.f("ix_check_results_integration_check_created_at"), table_name="check_results")
    op.drop_table("check_results")
    op.drop_index(op.f("ix_alert_events_alert_id_at"), table_name="alert_events")
    op.drop_table("alert_events")
    op.drop_index(op.f("ix_suite_versions_path_created_at"), table_name="suite_versions")
    op.drop_table("suite_versions")
    op.drop_index(op.f("ix_silences_ends_at"), table_name="silences")
    op.drop_table("silences")
    op.drop_index(
        op.f("ix_schema_snapshots_integration_side_taken_at"), table_name="schema_snapshots"
    )
    op.drop_table("schema_snapshots")
    op.drop_index(op.f("ix_runs_status"), table_name="runs")
    op.drop_index(op.f("ix_runs_started_at"), table_name="runs")
    op.drop_index(op.f("ix_runs_integration_started_at"), table_name="runs")
    op.drop_table("runs")
    op.drop_index(
        "uq_mismatch_keys_open",
        table_name="mismatch_keys",
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_index(
        op.f("ix_mismatch_keys_integration_check_resolved_at"), table_name="mismatch_keys"
    )
    op.drop_table("mismatch_keys")
    op.drop_table("leases")
    op.drop_index(op.f("ix_latest_results_outcome"), table_name="latest_results")
    op.drop_table("latest_results")
    op.drop_table("heartbeats")
    op.drop_index(op.f("ix_daily_rollups_integration_day"), table_name="daily_rollups")
    op.drop_table("daily_rollups")
    op.drop_index(
        "uq_alerts_open_fingerprint",
        table_name="alerts",
        sqlite_where=sa.text("state <> 'resolved'"),
        postgresql_where=sa.text("state <> 'resolved'"),
    )
    op.drop_index(op.f("ix_alerts_state_opened_at"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_integration_check"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_fingerprint_episode"), table_name="alerts")
    op.drop_table("alerts")
