"""The rule for user query text: exactly one read statement (datasources/statement.py)."""

from __future__ import annotations

import pytest

from datasources.errors import QueryRefused
from datasources.statement import query_clause, single_statement, statement_problem

ACCEPTED = {
    "select 1": "select 1",
    "select 1;": "select 1",
    "select 1 ;\n  ;\n": "select 1",
    "select ';' as x -- ; trailing comment\n": "select ';' as x",
    "select 1 /* ; */ ; -- done": "select 1",
    "/* lead */ select 1": "select 1",
    "with a as (select 1 as x) select x from a;": "with a as (select 1 as x) select x from a",
    'select "a;b" from t': 'select "a;b" from t',
    "select `a;b` from t": "select `a;b` from t",
    "select 'it''s; fine'": "select 'it''s; fine'",
    "select $$a;b$$": "select $$a;b$$",
    "(select 1) union (select 2)": "(select 1) union (select 2)",
    "select ':x', '10:00'": "select ':x', '10:00'",
    "select a #> b from t": "select a #> b from t",
}

REFUSED = {
    "select 1; commit; create table t (x int)": "3 statements",
    "select 1; create table t (x int)": "2 statements",
    "select 1;\ndrop table t": "2 statements",
    "": "empty",
    " ; -- nothing": "empty",
    "insert into t values (1)": "INSERT",
    "with a as (delete from t returning *) select * from a": "DELETE",
    "with a as (insert into t values (1) returning *) select * from a": "INSERT",
    "select * into t2 from t": "INTO",
    "select 1 into outfile '/tmp/x'": "INTO",
    "create table t as select 1": "CREATE",
    "values (1)": "not SELECT",
    "explain analyze select 1": "not SELECT",
    "select 'a\\' ; create table t (x int); select 'b'": "''",
    "select 1 # ; create table t (x int)": "comment",
    'select "a\\"; create table t (x int); select \\"" as b': '""',
    "select 1 /*! ; create table t (x int) */": "comment",
}


@pytest.mark.parametrize(("text", "expected"), ACCEPTED.items())
def test_one_read_statement_is_accepted_without_trailing_semicolon_or_comment(
    text: str, expected: str
) -> None:
    assert statement_problem(text) is None
    assert single_statement(text) == expected


@pytest.mark.parametrize(("text", "reason"), REFUSED.items())
def test_anything_else_is_refused_with_the_reason_and_fix(text: str, reason: str) -> None:
    problem = statement_problem(text)
    assert problem is not None and reason in problem
    with pytest.raises(QueryRefused, match=r"statement|string|comment|name"):
        single_statement(text)


def test_query_clause_takes_colons_literally() -> None:
    clause = query_clause("select ':x' as a, '10:00' as b;")
    assert clause.compile().params == {}
    assert str(clause) == "select ':x' as a, '10:00' as b"
