"""One escaping helper per medium, so that what the systems hold (check names, observed values,
reasons, key values) is shown as data and never as markup of the medium it travels in.

- Slack mrkdwn (`for_slack`): `&`, `<` and `>` become `&amp;`, `&lt;`, `&gt;`, as Slack's
  formatting rules ask; `<!channel>` and `<http://x|click>` then read as text, not as a mention
  or a link.
- Teams Adaptive Card markdown (`for_teams`): every markdown character gets a backslash, so
  `[Click](http://x)` and `![t](http://x)` show as typed, with no link or image; a line that
  would start a list keeps its characters.
- E-mail HTML (`for_html`): `&`, `<`, `>`, `"` and `'` as entities. The plain-text part carries
  text as it is, and headers go through `datasources.printable.one_line`.
"""

from __future__ import annotations

import html
import re

_SLACK = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_TEAMS_MARKDOWN = re.compile(r"([\\`*_~\[\]()!#|<>])")
_TEAMS_LIST = re.compile(r"(?m)^(\s*)([-+]|\d+\.)(?=\s)")  # a line that would start a list


def for_slack(text: str) -> str:
    """Text for a Slack mrkdwn field: the three control characters as entities."""
    return "".join(_SLACK.get(c, c) for c in text)


def for_teams(text: str) -> str:
    r"""Text for an Adaptive Card TextBlock or Fact (markdown): each markdown character
    escaped with a backslash (`[x](y)` -> `\[x\]\(y\)`)."""
    escaped = _TEAMS_MARKDOWN.sub(r"\\\1", text)
    return _TEAMS_LIST.sub(_unlist, escaped)


def _unlist(found: re.Match[str]) -> str:
    marker = found.group(2)  # "-", "+" -> "\-"; "1." -> "1\."
    escaped = marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker
    return found.group(1) + escaped


def for_html(text: str) -> str:
    """Text for the HTML part of an e-mail."""
    return html.escape(text, quote=True)
