"""Delivery channels behind small interfaces, with the default adapters (SMTP e-mail, SMS to the log)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlparse

log = logging.getLogger("flow168.notify")


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str) -> None: ...


class SmsSender(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


class SmtpMailer:
    """E-mail through the SMTP server named by SMTP_URL (smtp://user:pass@host:port, smtps:// for TLS)."""

    def __init__(self, url: str, sender: str) -> None:
        self.url, self.sender = urlparse(url), sender

    def send(self, *, to: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, subject
        msg.set_content(body)
        cls = smtplib.SMTP_SSL if self.url.scheme == "smtps" else smtplib.SMTP
        with cls(self.url.hostname or "localhost", self.url.port or (465 if cls is smtplib.SMTP_SSL else 25),
                 timeout=20) as smtp:
            if self.url.username:
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
