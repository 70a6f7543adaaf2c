"""PyMySQL's TLS through dxq's engines: "preferred" TLS (no TLS option) without loading the
system CA store for every connection, explicit TLS options as PyMySQL has them, on a real
MariaDB (and on a private one that offers TLS, when the server binary is installed)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql.connections
import pytest
import sqlalchemy as sa

from datasources.connection import _preferred_tls_connection, forget_engine, read_only
from datasources.dataset import SqlSystem
from datasources.errors import DatasourceError


@pytest.fixture
def default_contexts(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every `ssl.create_default_context()` call (PyMySQL's own
    contexts: each loads the CA store, or the CA it is given)."""
    calls: list[dict[str, Any]] = []
    real = ssl.create_default_context

    def spy(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", spy)
    return calls


def _session_tls(url: str, name: str) -> tuple[str, str]:
    """(the server's have_ssl, this connection's cipher), through dxq's engine for `url`."""
    system = SqlSystem(name, url)
    try:
        with read_only(system) as conn:
            have = conn.execute(sa.text("SHOW VARIABLES LIKE 'have_ssl'")).one()[1]
            cipher = conn.execute(sa.text("SHOW SESSION STATUS LIKE 'Ssl_cipher'")).one()[1]
    finally:
        forget_engine(system)
    return str(have), str(cipher)


def test_preferred_tls_loads_no_ca_store(
    mariadb_url: str, default_contexts: list[dict[str, Any]]
) -> None:
    have_ssl, cipher = _session_tls(mariadb_url, "my")
    assert bool(cipher) == (have_ssl == "YES")  # TLS when offered, plain otherwise
    assert default_contexts == []  # PyMySQL alone built one (CA store loaded) per connection


def test_explicit_tls_options_are_pymysql_own(
    mariadb_url: str, tmp_path: Path, default_contexts: list[dict[str, Any]]
) -> None:
    store = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    store.load_default_certs()
    ca = tmp_path / "ca.pem"  # some CA, not the server's
    ca.write_text(ssl.DER_cert_to_PEM_cert(store.get_ca_certs(binary_form=True)[0]))
    url = sa.make_url(mariadb_url).update_query_dict({"ssl_ca": str(ca)})
    system = SqlSystem("my_ca", url.render_as_string(hide_password=False))
    with pytest.raises(DatasourceError, match="SSL"), read_only(system) as conn:
        conn.execute(sa.text("SELECT 1"))  # required TLS, verified: refused
    forget_engine(system)
    assert default_contexts == [{"cafile": str(ca), "capath": None}]


def test_shared_context_has_pymysql_preferred_settings() -> None:
    """The context without the CA store has every setting of PyMySQL's own."""
    theirs = pymysql.connections.Connection(defer_connect=True).ctx
    ours = _preferred_tls_connection()(defer_connect=True).ctx
    for attribute in (
        "protocol",
        "verify_mode",
        "check_hostname",
        "verify_flags",
        "options",
        "minimum_version",
        "maximum_version",
        "keylog_filename",
        "post_handshake_auth",
    ):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    assert ours.get_ciphers() == theirs.get_ciphers()
    assert ours.cert_store_stats()["x509_ca"] == 0 < theirs.cert_store_stats()["x509_ca"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def tls_mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A private MariaDB that offers TLS (a self-signed certificate), on a free port: its
    URL and the certificate."""
    server, install = (
        shutil.which("mariadbd", path="/usr/sbin:/usr/bin"),
        shutil.which("mariadb-install-db"),
    )
    if server is None or install is None or shutil.which("openssl") is None:
        pytest.skip("needs mariadbd, mariadb-install-db and openssl")
    root = tmp_path_factory.mktemp("tls-mariadb")
    cert, key = root / "cert.pem", root / "key.pem"
    request = ["-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run(
        ["openssl", "req", *request, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    common = ["--no-defaults", "--user=root", f"--datadir={root / 'data'}"]
    subprocess.run(
        [install, *common, "--auth-root-authentication-method=normal", "--skip-test-db"],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    listen = [f"--port={port}", "--bind-address=127.0.0.1", f"--socket={root / 'sock'}"]
    tls = [f"--ssl-cert={cert}", f"--ssl-key={key}", "--innodb-buffer-pool-size=16M"]
    process = subprocess.Popen(
        [server, *common, *listen, *tls],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                pymysql.connect(host="127.0.0.1", port=port, user="root", ssl_disabled=True).close()
                break
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield f"mysql+pymysql://root@127.0.0.1:{port}/mysql", cert
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_preferred_tls_is_used_when_offered(
    tls_mariadb: tuple[str, Path], default_contexts: list[dict[str, Any]]
) -> None:
    url, cert = tls_mariadb
    have_ssl, cipher = _session_tls(url, "tls")
    assert have_ssl == "YES"
    assert cipher  # encrypted, with the shared context
    assert default_contexts == []
    verified = f"{url}?ssl_ca={cert}&ssl_check_hostname=false"  # PyMySQL's own, verified
    assert _session_tls(verified, "tls_ca")[1]
    assert default_contexts == [{"cafile": str(cert), "capath": None}]
    assert _session_tls(f"{url}?ssl_disabled=true", "plain")[1] == ""
