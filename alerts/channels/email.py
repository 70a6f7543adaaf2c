"""E-mail through SMTP: plain, STARTTLS or SSL, with optional login."""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from alerts.delivery import DeliveryResult
from alerts.message import Message
from alerts.owner import ChannelAddress, SmtpSettings
from alerts.rendering import render_email
from datasources.printable import one_line


def compose(address: ChannelAddress, message: Message, smtp: SmtpSettings) -> EmailMessage:
    """The e-mail: Message-ID `<key@dxq>`, plain text with an HTML alternative."""
    rendered = render_email(message)
    mail = EmailMessage()
    mail["Subject"] = one_line(rendered.subject)  # data in a header: no CR/LF
    mail["From"] = smtp.sender
    mail["To"] = ", ".join(address.emails)
    mail["Message-ID"] = f"<{message.key}@dxq>"
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail.set_content(rendered.text)
    mail.add_alternative(rendered.html, subtype="html")
    return mail


def send(address: ChannelAddress, message: Message, smtp: SmtpSettings) -> DeliveryResult:
    """One SMTP session; 4xx replies and network trouble are retryable, 5xx permanent."""
    if not address.emails:
        return DeliveryResult.permanent("email: no recipient address")
    try:
        mail = compose(address, message, smtp)
    except (ValueError, TypeError) as exc:  # the same message would fail on every retry
        return DeliveryResult.permanent(f"email: cannot compose the message: {exc}")
    return send_mail(mail, smtp)


def send_mail(mail: EmailMessage, smtp: SmtpSettings) -> DeliveryResult:
    """One SMTP session for a composed e-mail (alerts, weekly digests); 4xx replies and
    network trouble are retryable, 5xx permanent."""
    where = f"smtp {smtp.host}:{smtp.port}"
    try:
        client: smtplib.SMTP
        context = tls_context(smtp)
        if smtp.ssl:
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.starttls and not smtp.ssl:
                client.starttls(context=context)
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            refused = client.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        text = f"{where}: {exc.smtp_code} {_text(exc.smtp_error)}"
        if 400 <= exc.smtp_code < 500:
            return DeliveryResult.retry(text)
        return DeliveryResult.permanent(text)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        text = f"{where}: every recipient refused ({', '.join(map(str, codes))})"
        if all(400 <= c < 500 for c in codes):
            return DeliveryResult.retry(text)
        return DeliveryResult.permanent(text)
    except smtplib.SMTPNotSupportedError as exc:
        return DeliveryResult.permanent(f"{where}: {exc}")
    except ssl.SSLCertVerificationError as exc:
        return DeliveryResult.permanent(f"{where}: TLS certificate not trusted: {exc}")
    except (OSError, smtplib.SMTPException) as exc:
        return DeliveryResult.retry(f"{where}: {type(exc).__name__}: {exc}")
    if refused:
        return DeliveryResult.permanent(f"{where}: refused {', '.join(sorted(refused))}")
    return DeliveryResult.ok()


def tls_context(smtp: SmtpSettings) -> ssl.SSLContext:
    """Verifying against the system CAs, or `ca_file`; `verify: false` checks nothing."""
    if not smtp.verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=smtp.ca_file)


def _text(error: bytes | str) -> str:
    return error.decode(errors="replace") if isinstance(error, bytes) else error
