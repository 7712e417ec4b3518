"""Delivery channels behind small interfaces, with the default adapters (SMTP e-mail, SMS to the log)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlparse

log = logging.getLogger("flow168.notify")


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str) -> None: ...


class SmsSender(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


class SmtpMailer:
    """E-mail through the SMTP server named by SMTP_URL: smtps://user:pass@host:465 speaks TLS from the start;
    smtp://user:pass@host:587 upgrades with STARTTLS whenever the server offers it, and never sends a password over a
    connection that was not upgraded (a server that does not offer STARTTLS gets the mail only without a login)."""

    def __init__(self, url: str, sender: str) -> None:
        self.url, self.sender = urlparse(url), sender

    def send(self, *, to: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, subject
        msg.set_content(body)
        host, context = self.url.hostname or "localhost", ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.url.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(host, self.url.port or 465, timeout=20, context=context)
        else:
            smtp = smtplib.SMTP(host, self.url.port or 25, timeout=20)
        with smtp:
            secure = self.url.scheme == "smtps"
            if not secure:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                    secure = True
            if self.url.username:
                if not secure:
                    raise smtplib.SMTPNotSupportedError(
                        f"{host} does not offer STARTTLS: refusing to send the SMTP password in clear (use smtps://)")
                smtp.login(unquote(self.url.username), unquote(self.url.password or ""))
            smtp.send_message(msg)


class LogSms:
    """The default SMS adapter: writes the message to the log (swap in a gateway adapter in production)."""

    def send(self, *, to: str, text: str) -> None:
        log.info("SMS to %s: %s", to, text)


class MemoryChannel:
    """A test fake for either channel."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def send(self, **kw: str) -> None:
        self.sent.append(kw)
