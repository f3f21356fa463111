"""Delivery into a local Maildir, for a mail client or a notes tool that reads one."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

from manageup.errors import DeliveryError


class MaildirTransport:
    name = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, msg: EmailMessage) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # mailbox.Maildir writes to tmp/ and renames into new/: never half a message.
            box = mailbox.Maildir(self.path, create=True)
            box.add(msg)
        except OSError as e:
            raise DeliveryError(f"cannot write to Maildir {self.path}: {e.strerror}; "
                                "check delivery.maildir", transient=False) from None
