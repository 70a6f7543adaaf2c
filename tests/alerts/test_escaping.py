"""Data from the systems is shown as data in every medium: one escaping helper per medium
(`alerts.escaping`), used by every rendering. Slack gets `<!channel>` and `<url|text>` as text,
Teams gets markdown links and images as text, the e-mail's HTML gets no markup."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from alerts.escaping import for_html, for_slack, for_teams
from alerts.rendering import render_email, render_slack, render_teams
from tests.alerts.test_channels import message

HOSTILE = (
    "<!channel> <http://evil.example|re-authenticate> & [Click](http://evil.example) "
    "![t](http://img.example/x.png) **now**"
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<http://x|click>", "&lt;http://x|click&gt;"),
        ("a & b > c", "a &amp; b &gt; c"),
        ("*bold* stays readable", "*bold* stays readable"),
    ],
)
def test_for_slack(text: str, shown: str) -> None:
    assert for_slack(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[Click](http://x)", "\\[Click\\]\\(http://x\\)"),
        ("![t](http://i)", "\\!\\[t\\]\\(http://i\\)"),
        ("**b** _i_ ~s~", "\\*\\*b\\*\\* \\_i\\_ \\~s\\~"),
        ("- item\n1. one\n 2. two", "\\- item\n1\\. one\n 2\\. two"),
        ("3.1% of -5 rows", "3.1% of -5 rows"),
        ("back\\slash", "back\\\\slash"),
    ],
)
def test_for_teams(text: str, shown: str) -> None:
    assert for_teams(text) == shown


def test_for_html() -> None:
    assert for_html("<img src=x onerror=alert(1)> & \"'") == (
        "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;&#x27;"
    )


def _hostile_message() -> object:
    msg = message()
    return replace(
        msg,
        headline=f"Observed {HOSTILE}",
        facts=(*msg.facts, ("observed", HOSTILE)),
        title=f"[FIRING] orders: data check failed ({HOSTILE})",
    )


def test_slack_payload_carries_no_live_markup() -> None:
    body = render_slack(_hostile_message())  # type: ignore[arg-type]
    assert body["blocks"][0]["text"]["type"] == "plain_text"  # Slack never formats plain_text
    payload = json.dumps({**body, "blocks": body["blocks"][1:]})  # every mrkdwn text
    assert "<!channel>" not in payload and "<http://evil" not in payload
    assert (
        "&lt;!channel&gt;" in payload and "&lt;http://evil.example|re-authenticate&gt;" in payload
    )
    assert body["blocks"][1]["text"]["text"].startswith("Observed &lt;!channel&gt;")
    assert body["blocks"][2]["fields"][-1]["text"] == f"*observed*\n{for_slack(HOSTILE)}"


def test_teams_card_carries_no_live_link_or_image() -> None:
    card = render_teams(_hostile_message())["attachments"][0]["content"]  # type: ignore[arg-type]
    texts = [card["body"][0]["text"], card["body"][1]["text"]]
    texts += [f["value"] for f in card["body"][2]["facts"]]
    joined = "\n".join(texts)
    assert "[Click](http" not in joined and "![t](http" not in joined
    assert "\\[Click\\]\\(http://evil.example\\)" in joined
    assert card["actions"][0]["url"] == message().link  # our own link stays a link


def test_email_html_escapes_and_text_keeps_the_data() -> None:
    mail = render_email(_hostile_message())  # type: ignore[arg-type]
    assert "<!channel>" not in mail.html and "&lt;!channel&gt;" in mail.html
    assert f"observed: {HOSTILE}" in mail.text  # plain text shows the value as it is
