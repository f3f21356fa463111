"""Logging, colour and file output for the commands."""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import ClassVar, TextIO

# Line breaks, escape sequences and bidi controls: calendar text reaches log messages.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


class _Formatter(logging.Formatter):
    """Each message one line, control characters escaped: a title with a line break must
    not forge a log entry (journald takes `<0>` at a line's start as its priority), nor an
    escape sequence clear the terminal. Tracebacks (-v) stay multi-line."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode(),
                                     record.message)
        return super().formatMessage(record)


class _JournalFormatter(_Formatter):
    """Prefix <N> so journald records the right priority for each line."""

    LEVELS: ClassVar[dict[int, int]] = {
        logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
        logging.CRITICAL: 2}

    def format(self, record: logging.LogRecord) -> str:
        return f"<{self.LEVELS.get(record.levelno, 6)}>{super().format(record)}"


def setup_logging(verbosity: int, daemon: bool = False) -> None:
    level = logging.INFO if daemon else logging.WARNING
    level = max(logging.DEBUG, min(logging.ERROR, level - 10 * verbosity))
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(_Formatter("manageup: %(levelname)s: %(message)s"
                                               if not daemon else
                                               "%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("googleapiclient", "mail.log", "keyring", "caldav", "msal"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def use_colour(stream: TextIO, env: dict[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    env = dict(os.environ) if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


_CODES = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2"}


def paint(text: str, colour: str, stream: TextIO | None = None) -> str:
    if not use_colour(stream or sys.stdout):
        return text
    return f"\033[{_CODES[colour]}m{text}\033[0m"



_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """Calendar text bound for a terminal: control characters shown as \\xNN, since an
    escape sequence in an event's title could retitle the window or clear the screen."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
