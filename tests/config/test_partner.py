"""Systems run by external partners: `external: true` with a `partner` contact, and every way
to get them wrong reported as `file:line: key: message` by `dxq validate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config.loading import load_config
from monitor.errors import ConfigError

HEAD = 'version: 1\nstore: "sqlite:///results.db"\nsystems:\n'


def _write(tmp_path: Path, systems: str) -> Path:
    path = tmp_path / "dxq.yml"
    path.write_text(HEAD + systems, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    return [str(p) for p in caught.value.problems]


def test_an_external_system_keeps_its_partner_contact(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  psp:\n"
        '    url: "sqlite:///psp.db"\n'
        "    external: true\n"
        "    partner: {name: PayFast Ltd, email: support@payfast.example, phone: +49 30 1}\n"
        '  shop: {url: "sqlite:///shop.db"}\n',
    )
    config = load_config(path, {})
    psp, shop = config.systems["psp"], config.systems["shop"]
    assert psp.external and psp.partner is not None
    assert psp.partner.contact() == "PayFast Ltd (support@payfast.example, +49 30 1)"
    assert not shop.external and shop.partner is None


@pytest.mark.parametrize(
    ("systems", "expected"),
    [
        (
            '  psp:\n    url: "sqlite:///p.db"\n    external: true\n',
            "{f}:4: systems.psp.partner: an external system needs its partner's contact: add "
            "partner: {{name: …, email: …}} (or phone, url)",
        ),
        (
            '  courier:\n    url: "sqlite:///c.db"\n    partner: {name: Fast, email: a@b.c}\n',
            "{f}:6: systems.courier.partner: 'partner' is for a system run by an external "
            "partner: add external: true",
        ),
        (
            '  psp:\n    url: "sqlite:///p.db"\n    external: true\n    partner:\n'
            "      name: PayFast\n      email: support\n",
            "{f}:9: systems.psp.partner.email: 'support' is not an e-mail address (no @), e.g. "
            "support@partner.example",
        ),
        (
            '  psp:\n    url: "sqlite:///p.db"\n    external: true\n    partner: {name: PayFast}\n',
            "{f}:7: systems.psp.partner: no way to reach PayFast: give at least one of email, "
            "phone or url",
        ),
        (
            '  psp:\n    url: "sqlite:///p.db"\n    external: true\n'
            '    partner: {name: " ", phone: "1"}\n',
            "{f}:7: systems.psp.partner.name: give the partner's name as people know it, e.g. "
            "PayFast Ltd",
        ),
        (
            '  psp:\n    url: "sqlite:///p.db"\n    external: true\n'
            "    partner: {name: P, url: ftp://status.p}\n",
            "{f}:7: systems.psp.partner.url: expected an http:// or https:// URL (got 'ftp://'), "
            "e.g. https://hooks.example.com/...",
        ),
        (
            '  psp:\n    url: "sqlite:///p.db"\n    external: maybe\n'
            '    partner: {name: P, phone: "1"}\n',
            "{f}:6: systems.psp.external: expected true or false (got 'maybe')",
        ),
        (
            '  psp:\n    url: "sqlite:///p.db"\n    external: true\n'
            "    partner: {name: P, phone: '1', mail: a@b.c}\n",
            "{f}:7: systems.psp.partner.mail: unknown key 'mail'; did you mean 'email'?",
        ),
    ],
)
def test_a_wrong_partner_is_one_problem_on_its_line(
    tmp_path: Path, systems: str, expected: str
) -> None:
    path = _write(tmp_path, systems)
    assert _problems(path) == [expected.format(f=path)]


def test_dxq_validate_prints_the_problem_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, '  psp:\n    url: "sqlite:///p.db"\n    external: true\n')
    assert main(["validate", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4: systems.psp.partner: an external system needs its partner's contact" in err
