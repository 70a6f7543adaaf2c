"""Channels against real loopback receivers: payloads, headers, signatures, classification."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from alerts.alert import AlertSettings, CheckOutcome
from alerts.channels import email as email_channel
from alerts.channels import slack, teams, webhook
from alerts.lifecycle import evaluate
from alerts.message import Message, build_message
from alerts.owner import ChannelAddress, ChannelKind, Owner, Role, SmtpSettings
from alerts.sender import send_test
from datasources.retry_policy import parse_retry_after
from tests.alerts.receivers import HttpReceiver, Mailbox, free_port

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
OWNERS = {"po": Owner("po", "Orders PO", Role.BUSINESS, emails=("po@example.com",))}


def message() -> Message:
    settings = AlertSettings("orders", OWNERS, ("po",), source_system="shop", target_system="erp")
    outcome = CheckOutcome(
        "reconcile",
        "reconcile",
        "failed",
        "critical",
        {"compared": 1204, "missing_in_target": 37, "mismatch_rate": 0.031},
    )
    d = evaluate([], [outcome], settings, [], NOW)
    return build_message(d.transitions[0].alert, d.notifications[0], OWNERS, "http://dash")


def hook(
    http: HttpReceiver, kind: ChannelKind, path: str, secret: str | None = None
) -> ChannelAddress:
    return ChannelAddress(kind, url=http.url + path, secret=secret)


def test_slack_payload_and_key(http: HttpReceiver) -> None:
    http.requests.clear()
    msg = message()
    result = slack.send(hook(http, ChannelKind.SLACK, "/ok"), msg, now=NOW)
    assert result.delivered and result.error is None
    (req,) = http.requests
    body = req.body
    assert req.headers["Idempotency-Key"] == msg.key
    assert "37 of 1,204 records are missing in erp" in body["text"]
    assert body["blocks"][0]["type"] == "header"
    assert body["blocks"][-1]["elements"][0]["url"] == msg.link


def test_teams_adaptive_card(http: HttpReceiver) -> None:
    http.requests.clear()
    assert teams.send(hook(http, ChannelKind.TEAMS, "/ok"), message(), now=NOW).delivered
    body = http.requests[0].body
    card = body["attachments"][0]["content"]
    assert body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard"
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["missing\\_in\\_target"] == "37" and facts["mismatch\\_rate"] == "3.1%"


def test_webhook_is_signed_and_versioned(http: HttpReceiver) -> None:
    http.requests.clear()
    msg = message()
    result = webhook.send(hook(http, ChannelKind.WEBHOOK, "/ok", "topsecret"), msg, now=NOW)
    assert result.delivered
    (req,) = http.requests
    assert req.headers["X-Dxq-Timestamp"] == str(int(NOW.timestamp()))
    assert verified(b"topsecret", req.headers["X-Dxq-Timestamp"], req.raw, req.headers)
    assert not verified(b"topsecret", str(int(NOW.timestamp()) + 600), req.raw, req.headers)
    assert not verified(b"topsecret", req.headers["X-Dxq-Timestamp"], req.raw + b" ", req.headers)
    assert not verified(b"other", req.headers["X-Dxq-Timestamp"], req.raw, req.headers)
    assert req.headers["Idempotency-Key"] == msg.key
    body = req.body
    assert body["version"] == 1 and body["event"] == "firing"
    assert body["alert"]["integration"] == "orders" and body["idempotency_key"] == msg.key


def verified(secret: bytes, timestamp: str, raw: bytes, headers: Mapping[str, str]) -> bool:
    """The receiver's recipe from alerts/channels/webhook.py's docstring."""
    digest = hmac.new(secret, timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={digest}", headers["X-Dxq-Signature"])


@pytest.mark.parametrize(
    ("path", "retryable", "retry_after"),
    [
        ("/busy", True, None),
        ("/slow-down", True, 7.0),
        ("/slow-down-date", True, 120.0),
        ("/bad", False, None),
        ("/missing", False, None),
    ],
)
def test_http_status_classification(
    http: HttpReceiver, path: str, retryable: bool, retry_after: float | None
) -> None:
    result = webhook.send(hook(http, ChannelKind.WEBHOOK, path), message(), now=NOW)
    assert not result.delivered
    assert result.retryable is retryable
    assert result.retry_after_s == retry_after
    assert result.error is not None and path not in result.error  # URL path hidden


def test_connection_refused_is_retryable() -> None:
    address = ChannelAddress(ChannelKind.SLACK, url=f"http://127.0.0.1:{free_port()}/x")
    result = slack.send(address, message(), now=NOW)
    assert not result.delivered and result.retryable and "ConnectError" in (result.error or "")


def test_timeout_is_retryable(http: HttpReceiver) -> None:
    result = webhook.send(hook(http, ChannelKind.WEBHOOK, "/hang"), message(), 0.3, NOW)
    assert not result.delivered and result.retryable and "timed out" in (result.error or "")


def test_parse_retry_after() -> None:
    assert parse_retry_after("12", NOW) == 12.0
    assert parse_retry_after("Sun, 29 Nov 2026 09:00:00 GMT", NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def smtp(mailbox: Mailbox, **changes: object) -> SmtpSettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": mailbox.port,
        "starttls": False,
        "sender": "dxq@example.com",
        "timeout": 5.0,
    }
    values.update(changes)
    return SmtpSettings(**values)  # type: ignore[arg-type]


def test_email_arrives_with_message_id_and_subject(mailbox: Mailbox) -> None:
    msg = message()
    address = ChannelAddress(ChannelKind.EMAIL, emails=("po@example.com",))
    result = email_channel.send(address, msg, smtp(mailbox, username="dxq", password="s3cret"))
    assert result.delivered, result.error
    assert mailbox.logins == ["dxq"]
    sender, rcpts, raw = mailbox.messages[0]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert sender == "dxq@example.com" and rcpts == ["po@example.com"]
    assert mail["Message-ID"] == f"<{msg.key}@dxq>"
    assert mail["Subject"] == "[FIRING] orders: data check failed (reconcile)"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "37 of 1,204 records are missing in erp: 3.1%." in text
    assert "http://dash/check?integration=orders&check=reconcile" in text


def test_email_bad_login_is_permanent(mailbox: Mailbox) -> None:
    address = ChannelAddress(ChannelKind.EMAIL, emails=("po@example.com",))
    result = email_channel.send(address, message(), smtp(mailbox, username="x", password="no"))
    assert not result.delivered and not result.retryable and "535" in (result.error or "")
    assert mailbox.messages == []


@pytest.mark.parametrize(("reply", "retryable"), [("451 try later", True), ("550 no user", False)])
def test_email_reply_codes(mailbox: Mailbox, reply: str, retryable: bool) -> None:
    mailbox.refuse = reply
    address = ChannelAddress(ChannelKind.EMAIL, emails=("po@example.com",))
    result = email_channel.send(address, message(), smtp(mailbox))
    assert not result.delivered and result.retryable is retryable


def test_email_server_down_is_retryable() -> None:
    address = ChannelAddress(ChannelKind.EMAIL, emails=("po@example.com",))
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout=2)
    result = email_channel.send(address, message(), settings)
    assert not result.delivered and result.retryable


def test_send_test_reaches_every_channel(mailbox: Mailbox, http: HttpReceiver) -> None:
    http.requests.clear()
    owner = Owner(
        "ops",
        "Ops team",
        Role.MAINTENANCE,
        emails=("ops@example.com",),
        slack_webhook=http.url + "/ok",
        teams_webhook=http.url + "/bad",
        webhook=http.url + "/ok",
        webhook_secret="k",
    )
    results = send_test(owner, smtp(mailbox), NOW)
    assert [(k, r.delivered) for k, r in results] == [
        (ChannelKind.EMAIL, True),
        (ChannelKind.SLACK, True),
        (ChannelKind.TEAMS, False),
        (ChannelKind.WEBHOOK, True),
    ]
    assert len(mailbox.messages) == 1 and len(http.requests) == 3
    assert send_test(Owner("nobody"), smtp(mailbox), NOW) == []
