"""The rule for query text written by users (source queries, reference queries, suite
expectation queries): exactly one read statement, and the one way to prepare it for execution.

`statement_problem` says why a text is refused (with the fix), or None when it is one read
statement. It tokenizes with sqlparse, so a `;` inside a string, a quoted name or a comment
does not split the text, and a trailing `;` or comment is allowed. `query_clause` turns an
accepted text into the SQLAlchemy clause every query-taking path executes: trailing `;` and
comments removed (the text is wrapped as a subquery) and colons escaped (`':x'` is a literal,
not a bind parameter).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from datasources.errors import QueryRefused

if TYPE_CHECKING:  # sqlparse loads when a query is read: most monitor files have none
    import sqlalchemy as sa
    from sqlparse import sql

# Keywords that write or change a database; none belongs in a read statement.
_WRITING = {"INTO"}
_FIX = "write one SELECT (or WITH … SELECT) statement; dxq only reads"


@lru_cache(maxsize=4096)  # a run reads the same query texts again and again; parsing costs
def statement_problem(text: str) -> str | None:
    """Why `text` is not exactly one read statement, with the fix; None when it is."""
    statements = _statements(text)
    if not statements:
        return "the query is empty: " + _FIX
    if len(statements) > 1:
        return (
            f"the query holds {len(statements)} statements; dxq runs exactly one: remove "
            "everything after the first `;` (a `;` may only end the query)"
        )
    tokens = _tokens(statements[0])
    for token in tokens:
        problem = _ambiguity(token)
        if problem is not None:
            return problem
        if _writes(token):
            return f"the query contains {token.value.upper()}: {_FIX}"
    first = next(t for t in tokens if not _insignificant(t) and t.value != "(")
    if first.normalized not in ("SELECT", "WITH"):
        return f"the query starts with {first.value.upper()!r}, not SELECT: {_FIX}"
    return None


@lru_cache(maxsize=4096)
def single_statement(text: str) -> str:
    """The text of the one read statement in `text`, without a trailing `;` or comment.

    Raises `QueryRefused` (with the reason and fix) when `text` is not one read statement.
    """
    problem = statement_problem(text)
    if problem is not None:
        raise QueryRefused(problem)
    tokens = _tokens(_statements(text)[0])
    while tokens and _insignificant(tokens[-1]):
        tokens.pop()
    while tokens and _insignificant(tokens[0]):
        tokens.pop(0)
    return "".join(token.value for token in tokens)


def query_clause(text: str) -> sa.TextClause:
    """The clause that runs user query text: one read statement, colons taken literally.
    SQLAlchemy loads here, when a query runs: validating a monitor file does not need it."""
    import sqlalchemy as sa

    return sa.text(literal_colons(single_statement(text)))


def literal_colons(text: str, parses: int = 1) -> str:
    """`text` with each colon escaped for `parses` rounds of `sa.text()` and compiling, so
    `':x'` never becomes a bind parameter. `sa.text` reads `\\:` as a literal colon and each
    compile drops one backslash; GX parses a query asset's text twice (once for the asset,
    once more for the batch)."""
    return text.replace(":", "\\" * parses + ":")


def _statements(text: str) -> list[sql.Statement]:
    import sqlparse

    return [s for s in sqlparse.parse(text) if any(not _insignificant(t) for t in _tokens(s))]


def _tokens(statement: sql.Statement) -> list[sql.Token]:
    return list(statement.flatten())  # type: ignore[no-untyped-call]


def _insignificant(token: sql.Token) -> bool:
    from sqlparse import tokens as T

    return (
        token.is_whitespace
        or token.ttype in T.Comment
        or (token.ttype is T.Punctuation and token.value == ";")
    )


def _writes(token: sql.Token) -> bool:
    from sqlparse import tokens as T

    if token.ttype in T.Keyword.DML:
        return bool(token.normalized != "SELECT")
    if token.ttype in T.Keyword.DDL:
        return True
    return token.ttype is T.Keyword and token.normalized in _WRITING


def _ambiguity(token: sql.Token) -> str | None:
    """Text that databases read differently (so a second statement could hide in it)."""
    from sqlparse import tokens as T

    if token.ttype in T.String.Single and "\\'" in token.value:
        return (
            r"a string literal holds \' whose meaning differs between databases: "
            "write a quote inside a string as '' instead"
        )
    if token.ttype in T.String.Symbol and '\\"' in token.value:
        return (
            r"a quoted name holds \" whose meaning differs between databases: "
            'write a double quote inside a name as "" instead'
        )
    if token.ttype in T.Comment and token.value.startswith(("#", "/*!", "/*M!")):
        return (
            f"the comment {token.value[:4]!r}… is code on some databases: "
            "write comments as -- … or /* … */"
        )
    return None
