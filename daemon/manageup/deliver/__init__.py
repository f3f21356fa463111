"""Delivery: the mail is built in `message`, then handed to one transport per method
(smtp, maildir, gmail, stdout), each behind the `Transport` protocol.

The names below load their module on first use: a process that sends nothing (`preview`,
`meetings`, a cycle with nothing due) never loads the mail libraries."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from email.message import EmailMessage

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

_HOME = {"MaildirTransport": "maildir", "SmtpTransport": "smtp", "is_loopback": "smtp",
         "StdoutTransport": "stdout", "build_message": "message", "build_notice": "message",
         "build_nudge": "message", "message_id": "message"}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # looked up once
    return value


class Transport(Protocol):
    name: str

    def send(self, msg: EmailMessage, thread: str = "") -> str:
        """Deliver msg. `thread`: the provider's conversation to file it in (Gmail's
        threadId); returns the conversation it was filed in, "" for transports without."""
        ...


def make_transport(config: Config, dry_run: bool = False) -> Transport:
    """The transport for delivery.method; each method's libraries load only for it."""
    method = "stdout" if dry_run else config.delivery.method
    if method == "stdout":
        from manageup.deliver.stdout import StdoutTransport

        return StdoutTransport()
    if method == "maildir":
        from manageup.deliver.maildir import MaildirTransport

        return MaildirTransport(config.delivery.maildir)
    if method == "smtp":
        from manageup.accounts import secrets
        from manageup.deliver.smtp import SmtpTransport

        smtp = config.delivery.smtp
        return SmtpTransport(smtp, lambda: secrets.lookup("smtp", smtp.password_command))
    from manageup.accounts import google
    from manageup.deliver.gmail import GmailTransport

    # A live service: signing in again takes effect without restarting the daemon.
    session = google.Session(google.scopes_for(gmail=True))
    return GmailTransport(google.LiveService(session, "gmail", "v1"))
