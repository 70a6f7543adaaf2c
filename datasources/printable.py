"""Text from the systems written on one line: a terminal table, an e-mail header, a log line.

A column name or a value can hold anything, CR, LF and terminal escape sequences included. The
one rule (`one_line`) writes every character that would start a new line, a new header or a
terminal control sequence as a visible escape, so the data is shown as data.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BREAKS = {"\u2028", "\u2029", "\x85"}  # line and paragraph separators, NEL


def one_line(text: str) -> str:
    r"""`text` with each control character (C0, DEL, C1) and each line or paragraph separator
    written as an escape: CR LF -> `\r\n` (four visible characters), ESC -> `\x1b`,
    U+2028 -> `\u2028`; anything printable is kept as it is."""
    if text.isprintable():
        return text
    return "".join(_escape(c) for c in text)


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    if char in _BREAKS or unicodedata.category(char) == "Cc":
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char
