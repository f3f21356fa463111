"""Logging, colour and file output for the commands."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import textwrap
from datetime import datetime, tzinfo
from typing import ClassVar, TextIO

from manageup.textutil import for_terminal

_ZONE: list[tzinfo] = []  # the user's zone (me.timezone), once the config is read


def log_zone(zone: tzinfo) -> None:
    """Stamp log lines in the user's zone, not the machine's (a server in UTC)."""
    _ZONE[:] = [zone]


class _Formatter(logging.Formatter):
    """Each message one line, control characters escaped: a title with a line break must
    not forge a log entry (journald takes `<0>` at a line's start as its priority), nor an
    escape sequence clear the terminal. Tracebacks (-v) stay multi-line. Times in the
    user's zone, with its offset."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        zone = _ZONE[0] if _ZONE else datetime.now().astimezone().tzinfo
        return datetime.fromtimestamp(record.created, zone).isoformat(" ", "seconds")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = for_terminal(record.message, one_line=True)
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



def screen_width(stream: TextIO) -> int | None:
    """The terminal's width (COLUMNS first) when `stream` is one; None for a pipe or a
    file, whose reader (grep, a log) wants each line whole."""
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return max(shutil.get_terminal_size().columns, 20)


def fit(text: str, hang: str = "    ", stream: TextIO | None = None) -> str:
    """`text` wrapped to the terminal's width, each line on its own: a line that wraps goes
    on under `hang`, or two spaces deeper than its own indent when it has one. Paths and
    addresses are never broken. Unchanged when not writing to a terminal."""
    width = screen_width(stream or sys.stdout)
    if width is None:
        return text
    out = []
    for line in text.split("\n"):
        lead = line[:len(line) - len(line.lstrip(" "))]
        out.append(textwrap.fill(line.strip(), width=width, initial_indent=lead,
                                 subsequent_indent=lead + "  " if lead else hang,
                                 break_long_words=False, break_on_hyphens=False,
                                 replace_whitespace=False) or line)
    return "\n".join(out)
