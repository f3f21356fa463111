"""Delivery into a local Maildir, for a mail client or a notes tool that reads one."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

from manageup.errors import DeliveryError
from manageup.files import private_dir

if TYPE_CHECKING:
    from email.message import EmailMessage


# A full disk or quota passes once something is deleted: tried again at the next cycles,
# not an hour later (with a short lead time, after the 1:1 has begun).
_FULL = (errno.ENOSPC, errno.EDQUOT)


class MaildirTransport:
    name = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, msg: EmailMessage, thread: str = "") -> str:
        import mailbox  # and the email package with it: only when a mail is written

        try:
            # Each time: a Maildir made by hand (or missing a folder since) still works.
            for sub in ("tmp", "new", "cur"):
                private_dir(self.path / sub)
            box = mailbox.Maildir(self.path, create=False)
            # mailbox creates the message 0666 less the umask and takes no mode; the umask
            # is per process, and manageup delivers from one thread.
            old = os.umask(0o077)
            try:
                # Written to tmp/, then renamed into new/: never half a message.
                box.add(msg)
            finally:
                os.umask(old)
        except OSError as e:
            if e.errno in _FULL:
                raise DeliveryError(f"cannot write to Maildir {self.path}: {e.strerror}; "
                                    "free some space", transient=True) from None
            raise DeliveryError(f"cannot write to Maildir {self.path}: {e.strerror}; "
                                "check delivery.maildir", transient=False) from None
        return ""  # a Maildir has no conversations; clients thread by References
