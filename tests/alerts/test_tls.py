"""Configuration mistakes are permanent, not retried: an SMTP server whose certificate is not
trusted (STARTTLS against aiosmtpd with a self-signed certificate), a webhook URL that is not
http(s). `smtp.ca_file` makes a private CA work; `verify: false` turns checking off."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alerts.channels.http import post
from alerts.owner import ChannelAddress, ChannelKind, Owner, Role, SmtpSettings
from alerts.sender import deliver
from alerts.sender import test_message as sample_message
from tests.alerts.receivers import Mailbox, _Handler, free_port

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@dataclass
class TlsServer:
    mailbox: Mailbox
    cert: Path


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(days=1))
        .not_valid_after(datetime.now(UTC) + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TlsServer]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox(port=free_port())
    controller = Controller(
        _Handler(box), hostname="127.0.0.1", port=box.port, tls_context=context,
        require_starttls=True,
    )  # fmt: skip
    controller.start()
    yield TlsServer(box, cert)
    controller.stop()


def send(server: TlsServer, **tls: object) -> tuple[bool, bool, str | None]:
    smtp = SmtpSettings(host="127.0.0.1", port=server.mailbox.port, starttls=True, timeout=5)
    smtp = SmtpSettings(**{**smtp.__dict__, **tls})  # type: ignore[arg-type]
    owner = Owner("po", "PO", Role.BUSINESS, emails=("po@example.com",))
    address = ChannelAddress(ChannelKind.EMAIL, emails=("po@example.com",))
    result = deliver(address, sample_message(owner, NOW), smtp, NOW)
    return result.delivered, result.retryable, result.error


def test_an_untrusted_certificate_is_a_permanent_error(tls_server: TlsServer) -> None:
    delivered, retryable, error = send(tls_server)
    assert (delivered, retryable) == (False, False)
    assert "certificate" in (error or "")
    assert tls_server.mailbox.messages == []


def test_ca_file_trusts_a_private_ca(tls_server: TlsServer) -> None:
    assert send(tls_server, ca_file=str(tls_server.cert)) == (True, False, None)
    assert len(tls_server.mailbox.messages) == 1


def test_verify_false_skips_the_check(tls_server: TlsServer) -> None:
    assert send(tls_server, verify=False)[0] is True


@pytest.mark.parametrize("url", ["ftp://hooks.example.com/x", "hooks.example.com/x"])
def test_a_webhook_url_that_is_not_http_is_permanent(url: str) -> None:
    result = post(url, b"{}", {}, timeout_s=2)
    assert (result.delivered, result.retryable) == (False, False)
    assert "not a usable http(s) URL" in (result.error or "")
