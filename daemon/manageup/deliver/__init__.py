"""Delivery: the mail is built in `message`, then handed to one transport per method
(smtp, maildir, gmail, stdout), each behind the `Transport` protocol."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

from manageup.config import Config
from manageup.deliver.maildir import MaildirTransport
from manageup.deliver.message import (
    build_message,
    build_notice,
    build_nudge,
    message_id,
)
from manageup.deliver.smtp import SmtpTransport, is_loopback
from manageup.deliver.stdout import StdoutTransport

__all__ = [
    "MaildirTransport",
    "SmtpTransport",
    "StdoutTransport",
    "Transport",
    "build_message",
    "build_notice",
    "build_nudge",
    "is_loopback",
    "make_transport",
    "message_id",
]


class Transport(Protocol):
    name: str

    def send(self, msg: EmailMessage, thread: str = "") -> str:
        """Deliver msg. `thread`: the provider's conversation to file it in (Gmail's
        threadId); returns the conversation it was filed in, "" for transports without."""
        ...


def make_transport(config: Config, dry_run: bool = False) -> Transport:
    """The transport for delivery.method; Google's libraries load only for gmail."""
    method = "stdout" if dry_run else config.delivery.method
    if method == "stdout":
        return StdoutTransport()
    if method == "maildir":
        return MaildirTransport(config.delivery.maildir)
    if method == "smtp":
        from manageup import secrets

        smtp = config.delivery.smtp
        return SmtpTransport(smtp, lambda: secrets.lookup("smtp", smtp.password_command))
    from manageup import google
    from manageup.deliver.gmail import GmailTransport

    # A live service: signing in again takes effect without restarting the daemon.
    session = google.Session(google.scopes_for(gmail=True))
    return GmailTransport(google.LiveService(session, "gmail", "v1"))
