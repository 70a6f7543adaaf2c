"""Passwords kept out of messages: the one rule for hiding the secrets in a database or service
URL, for a URL on its own and for URLs inside free text (error reasons, alert messages).

A password is the user-info part after the user name (`scheme://user:password@host`, also when
the rest of the URL is malformed) and any `password`, `pwd` or `passwd` parameter (also inside
an encoded ODBC connect string). Each becomes `***`. Imports stay light (SQLAlchemy only when a
URL is masked), so the `dxq` command can use this on any error.
"""

from __future__ import annotations

import re

MASK = "***"
_PARAM = r"(?i)((?:[?&;]|%3B)(?:password|pwd|passwd)(?:=|%3D))"
_SECRET_PARAM = re.compile(_PARAM + r"(?:(?!%3B)[^&;])*")
# in text, a value ends at a space or quote, and punctuation right after it is kept
_TEXT_SECRET_PARAM = re.compile(_PARAM + r"(?:(?:(?!%3B)[^&;\s'\"])*[^&;\s'\":,.)])?")
_TEXT_USERINFO = re.compile(r"(//[^\s:/@'\"]*:)[^\s/@'\"]*@")


def mask_url(url: str) -> str:
    """One URL with its passwords replaced by `***`; never raises, whatever the text."""
    try:
        import sqlalchemy as sa

        shown = sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        shown = _mask_userinfo(url)
    return _SECRET_PARAM.sub(rf"\1{MASK}", shown)


def mask_credentials(text: str) -> str:
    """Free text with the password of every URL in it replaced by `***`."""
    return _TEXT_SECRET_PARAM.sub(rf"\1{MASK}", _TEXT_USERINFO.sub(rf"\1{MASK}@", text))


def _mask_userinfo(url: str) -> str:
    """A URL that does not parse: everything between the user name and the last `@` before
    the query is hidden (a password may hold `/` or `:`)."""
    base, mark, query = url.partition("?")
    head, at, rest = base.rpartition("@")
    if not at:
        return url
    start = head.find("//") + 2 if "//" in head else 0
    user, colon, _ = head[start:].partition(":")
    if not colon:
        return url
    return f"{head[:start]}{user}:{MASK}@{rest}{mark}{query}"
