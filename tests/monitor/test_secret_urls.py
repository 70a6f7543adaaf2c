"""A store or system URL that is malformed, names a missing driver or cannot be reached is
reported with its password masked, by every command that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasources.credentials import mask_credentials, mask_url
from monitor.cli import main

SECRET = "s3cret"
BAD_STORES = [
    # (URL, what the message says, exit code)
    (f"postgresql://dxq:{SECRET}@db:notaport/x", "invalid URL", 2),  # a port that is no number
    (f"postgresql//dxq:{SECRET}@db/x", "invalid URL", 2),  # no "://"
    (f"postgresql://dxq:{SECRET}/x@[::1/x", "invalid URL", 2),  # "/" in the password, bad host
    (f"postgresql+nodriver://dxq:{SECRET}@127.0.0.1/x", "cannot load its database driver", 3),
    (f"postgresql://dxq:{SECRET}@127.0.0.1:1/x?password={SECRET}", "Connection refused", 3),
]
COMMANDS = [["validate"], ["run"], ["db", "upgrade"]]


def _monitor_file(directory: Path, store: str, system: str = "sqlite:///shop.db") -> Path:
    path = directory / "dxq.yml"
    path.write_text(
        f'version: 1\nstore: "{store}"\nsystems:\n  shop: {{url: "{system}"}}\n'
        "integrations: {}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(("url", "words", "code"), BAD_STORES)
def test_a_bad_store_url_never_shows_its_password(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    url: str,
    words: str,
    code: int,
) -> None:
    monkeypatch.delenv("DXQ_DEBUG", raising=False)
    path = _monitor_file(tmp_path, url)
    exit_code = main([*command, "-c", str(path)])
    shown = capsys.readouterr()
    output = shown.out + shown.err
    assert SECRET not in output
    if command == ["validate"] and code == 3:  # the file is fine; only using it fails
        assert exit_code == 0
        return
    assert exit_code == code, output
    assert words in output and "dxq:***@" in output
    assert "internal error" not in output


@pytest.mark.parametrize(("url", "words", "code"), BAD_STORES)
def test_db_upgrade_url_option_masks_the_password(
    capsys: pytest.CaptureFixture[str], url: str, words: str, code: int
) -> None:
    exit_code = main(["db", "upgrade", "--url", url])
    output = "".join(capsys.readouterr())
    assert exit_code == 3
    assert SECRET not in output and "dxq:***@" in output and "internal error" not in output


def test_a_bad_system_url_is_named_and_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _monitor_file(tmp_path, "sqlite:///r.db", f"mysql+pymysql://root:{SECRET}@h:x/db")
    assert main(["validate", "-c", str(path)]) == 2
    output = "".join(capsys.readouterr())
    assert "dxq.yml:4: systems.shop.url: invalid URL 'mysql+pymysql://root:***@h:x/db'" in output
    assert SECRET not in output


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql//u:pw@h/d", "postgresql//u:***@h/d"),
        ("postgresql://u:p/w:x@h:bad/d", "postgresql://u:***@h:bad/d"),
        ("postgresql:u:pw@h", "postgresql:***@h"),
        ("postgresql://u:p w@h/d", "postgresql://u:***@h/d"),
        ("postgresql://u@h/d?a=1&password=pw", "postgresql://u@h/d?a=1&password=***"),
        ("postgresql://u@h:5432/d", "postgresql://u@h:5432/d"),
        ("no password at all", "no password at all"),
    ],
)
def test_mask_url_hides_the_password_of_malformed_urls(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_mask_credentials_masks_each_url_in_text_and_keeps_the_words_around() -> None:
    text = "a postgresql//u:pw@h/d, then postgresql://h/d?password=pw: refused; mailto:x@y"
    assert mask_credentials(text) == (
        "a postgresql//u:***@h/d, then postgresql://h/d?password=***: refused; mailto:x@y"
    )
    assert mask_credentials(mask_credentials(text)) == mask_credentials(text)
