"""Alerts: owners, routing, the alert lifecycle, messages and channel senders.

Pure logic over plain frozen dataclasses; it imports nothing from monitor, store, checks or
Streamlit. The monitor loads state from the store, calls these functions and writes what they
return (in the same transaction as the run), then its dispatcher calls the senders.

Declaring (built by the monitor from the monitor file):
    owner.Owner(id, name, role, emails, slack_webhook, teams_webhook, webhook, webhook_secret,
                pagerduty_routing_key, pagerduty_url, opsgenie_api_key, opsgenie_url, jira)
    owner.SmtpSettings(host, port, starttls, ssl, username, password, sender, timeout,
                       verify, ca_file)
    matcher.Matcher(label, op, value) / Matcher.parse("severity=~crit.*")
    routing.Route(receiver, matchers, continue_, repeat_interval_s, escalate, routes)
    routing.EscalationStep(after_s, receiver)
    silence.Silence(matchers, starts_at, ends_at, author, comment, id, expired_at=None)
        # raises InvalidSilence; active while starts_at <= now < min(ends_at, expired_at)
    alert.AlertSettings(integration, owners, integration_owners, tree, source_system,
                        target_system, after_failures=1, repeat_interval_s=4h, escalate=())

Routing (`dxq validate`, `dxq alerts route`):
    routing.validate_tree(tree, known_receivers) -> list[str]
    routing.route(tree, labels) -> list[RouteMatch]   # RouteMatch.name: "routes.routes[2]"
    routing.receivers_for(labels, integration_owners, owners, tree) -> Recipients
    routing.explain_route(labels, integration_owners, owners, tree) -> list[str]

Lifecycle (all take `now`; never raise for data):
    lifecycle.evaluate(alerts, outcomes: [CheckOutcome], settings, silences, now) -> Decision
    lifecycle.tick(alerts, silences, now) -> Decision       # reminders, escalation, late firing
    lifecycle.acknowledge(alert, actor, now, comment) -> Transition
    lifecycle.acknowledgement(alert, actor, now, comment) -> Decision  # + incident tools told
    lifecycle.retire(alerts, reason, now) -> Decision  # resolve alerts of checks that are gone
    watchdog.missed_alert(integration, last_report_at, due_at, now)
        -> CheckOutcome (pass it to evaluate)
    watchdog.dead_letter(receiver, channel, error) -> CheckOutcome (pass it to evaluate)
    silence.is_silenced(labels, silences, now) -> bool

    `alerts` given to evaluate are the latest episode of each fingerprint of the integration
    (open or resolved); to tick, the open ones. A Decision holds Transitions (OPEN and
    NEW_EPISODE insert an alert row; the others update the row of (fingerprint, episode)), each
    with AlertEvents for `alert_events`, and Notifications for the outbox. `Notification.key`
    is deterministic (episode, kind, step, receiver, channel): insert with ON CONFLICT DO NOTHING.
    `Decision.in_installation(id)` makes the keys unique to one results store (the monitor
    does it in its one write path).
    Alert.to_json() / Alert.from_json() round-trip an alert for storage.

Delivery (the dispatcher):
    message.build_message(alert, notification, owners, dashboard_url, partners) -> Message
        (partners: system -> external partner's contact, named in the facts)
    owners[n.receiver].channel(n.channel) -> ChannelAddress | None  (None: dead letter)
    sender.deliver(address, message, smtp, now) -> DeliveryResult(delivered, retryable,
                                                                  retry_after_s, error)
    delivery.next_attempt(attempts, now, retry_after_s, rng, policy) -> datetime | None
        (None: give up, mark dead and evaluate a watchdog.dead_letter outcome)
    sender.send_test(owner, smtp, now, dashboard_url) -> list[(ChannelKind, DeliveryResult)]

Generic webhook body and headers: see alerts.rendering and alerts.channels.webhook (the
signature covers `timestamp + "." + body`; its docstring has the verification recipe).
"""
