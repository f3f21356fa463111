"""The conversation a series' digests are filed in, for transports that have one (Gmail).

A transport reports the thread it filed a mail in; the first digest of a series opens it
and the store keeps it (a flag per series and subject), so every later digest is passed
the same thread. Transports without threads report "" and nothing is kept.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from manageup.store import Store


class _Sends(Protocol):
    name: str

    def send(self, msg: EmailMessage, thread: str = "") -> str: ...


def thread_flag(transport: str, series: str, subject: str) -> str:
    # Keyed by subject too: Gmail files a mail in a thread only when the subjects match, so
    # an instance retitled "(moved)" gets a conversation of its own without taking over the
    # series' one.
    digest = hashlib.sha256(f"{series}\x1f{subject}".encode()).hexdigest()[:32]
    return f"thread|{transport}|{digest}"


class SeriesThread:
    """A transport that files the mail in its series' thread and remembers a new one."""

    def __init__(self, transport: _Sends, store: Store, series: str, now: datetime) -> None:
        self.transport, self.store, self.series, self.now = transport, store, series, now
        self.name = transport.name

    def send(self, msg: EmailMessage, thread: str = "") -> str:
        flag = thread_flag(self.name, self.series, str(msg["Subject"]))
        known = self.store.flag(flag)
        thread = known[0] if known else thread
        # Only a known thread is passed, so a transport (or a test double) that never
        # reports one is called exactly as before.
        filed = self.transport.send(msg, thread) if thread else self.transport.send(msg)
        if filed and filed != thread:
            # The first digest opened the thread, or the old one was refused (deleted).
            self.store.set_flag(flag, None, self.now)
            self.store.set_flag(flag, filed, self.now)
        return filed
