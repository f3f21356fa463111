"""The dry-run and `stdout` transport: the text part, printed."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from manageup.textutil import for_terminal

if TYPE_CHECKING:
    from email.message import EmailMessage


class StdoutTransport:
    name = "stdout"

    def __init__(self, stream: TextIO | None = None, html: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.html = html

    def send(self, msg: EmailMessage, thread: str = "") -> str:
        body = msg.get_body(("plain",))
        text = body.get_content() if body else ""
        # The mail the user would get, shown on a terminal: its lines and tabs kept, the
        # escape sequences a calendar's text may carry shown rather than obeyed.
        self.stream.write(for_terminal(f"Subject: {msg['Subject']}\nTo: {msg['To']}\n"
                                       f"Message-ID: {msg['Message-ID']}\n\n{text}\n"))
        self.stream.flush()
        return ""
