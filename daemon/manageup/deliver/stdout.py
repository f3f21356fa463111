"""The dry-run and `stdout` transport: the text part, printed."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

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
        self.stream.write(f"Subject: {msg['Subject']}\nTo: {msg['To']}\n"
                          f"Message-ID: {msg['Message-ID']}\n\n{text}\n")
        self.stream.flush()
        return ""
