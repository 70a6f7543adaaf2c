"""Owner e-mail addresses: what is plainly not an address is refused by `dxq validate` as
`file:line: key: message` with the fix; real-world addresses pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config.loading import load_config
from monitor.errors import ConfigError

HEAD = (
    'version: 1\nstore: "sqlite:///results.db"\nsmtp: {host: mail.example.com}\n'
    'systems:\n  shop: {url: "sqlite:///shop.db"}\nowners:\n  ops:\n    role: oncall\n'
)
SEVERAL = "several addresses go in a list, e.g. email: [a@example.com, b@example.com]"


def _write(tmp_path: Path, email: str) -> Path:
    path = tmp_path / "dxq.yml"
    path.write_text(f"{HEAD}    email: {email}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("email", "addresses"),
    [
        ("oncall@example.com", ["oncall@example.com"]),
        ("[a.b+dq@sub.example.co.uk, o@x-y.io]", ["a.b+dq@sub.example.co.uk", "o@x-y.io"]),
        ("ops@bücher.example", ["ops@bücher.example"]),  # an internationalised domain
    ],
)  # fmt: skip
def test_real_addresses_pass(tmp_path: Path, email: str, addresses: list[str]) -> None:
    assert load_config(_write(tmp_path, email), {}).owners["ops"].email == addresses


@pytest.mark.parametrize(
    ("email", "why"),
    [
        ("oncall", "(no @)"),
        ("oncall@localhost", "(the domain 'localhost' has no dot)"),
        ("oncall@", "(no domain after the @)"),
        ("'@example.com'", "(nothing before the @)"),
        ("oncall@example..com", "('example..com' is not a domain name)"),
        ("oncall@example.com.", "('example.com.' is not a domain name)"),
        ("oncall@exa_mple.com", "('exa_mple.com' is not a domain name)"),
        ("'on call@example.com'", "(it contains a space)"),
        # two addresses in one: the message also shows the list form
        ("'a@example.com, b@example.com'", "(it contains a space)"),
        ("a@example.com;b@example.com", "(2 @ signs; an address has one)"),
    ],
)
def test_plainly_wrong_addresses_are_refused_with_the_fix(
    tmp_path: Path, email: str, why: str
) -> None:
    path = _write(tmp_path, email)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    address = email.strip("'")
    hint = f"; {SEVERAL}" if address.count("@") > 1 else ""
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:9: owners.ops.email: '{address}' is not an e-mail address {why}, "
        f"e.g. oncall@example.com{hint}"
    ]
