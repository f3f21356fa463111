"""Small text helpers for untrusted calendar text."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")  # C0, DEL, C1, separators
# What a terminal acts on instead of showing: C0 (ESC starts an OSC 52 clipboard write, an
# OSC 8 hidden link, a screen clear; CR overwrites the line), DEL, C1 (0x9b is CSI in one
# character) and the Unicode line separators. Line breaks and tabs are text on a terminal.
_DRIVES_TERMINAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# A log line is one line, and read with grep and journalctl: a line break there would forge
# an entry (journald takes `<0>` at a line's start as its priority), and direction marks
# are shown as what they are rather than closed.
_BREAKS_LOG_LINE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def find_link(*texts: str) -> str:
    """The first http(s) link in the URL, location or description: the meeting link."""
    for t in texts:
        m = _URL.search(t or "")
        if m:
            return m.group(0).rstrip(".,;)")
    return ""


def header_safe(text: str, limit: int = 200) -> str:
    """Strip CR, LF and control characters from calendar text bound for a mail header or
    put amid a message's own words, and close the direction overrides it opens."""
    clean = _CONTROL.sub(" ", text or "")
    clean = " ".join(clean.split())
    return bidi_closed(clean[:limit])


def _escape(m: re.Match[str]) -> str:
    return m.group().encode("unicode_escape").decode()  # \x1b, \n, \u202e: visible, inert


def for_terminal(text: str, one_line: bool = False) -> str:
    """THE rendering of untrusted text (calendar, feed, server, imported) for a terminal or
    a log: every character that would drive the terminal shown as its escape (\\x1b), and
    every direction override a line opens closed at that line's end, so a title cannot
    write the clipboard, hide a link, clear the screen, or turn the words after it around.
    `one_line`: for a log line, where line breaks and direction marks are escaped too."""
    if one_line:
        return _BREAKS_LOG_LINE.sub(_escape, text)
    shown = _DRIVES_TERMINAL.sub(_escape, text)
    return "\n".join(bidi_closed(line) for line in shown.split("\n"))


def for_terminal_json(value: Any, **dumps: Any) -> str:
    """for_terminal's rule for JSON output: json.dumps escapes C0 itself but leaves DEL,
    C1, the line separators and direction controls raw; they are written as \\uXXXX, which
    any JSON reader reads back as the same characters (RFC 8259, section 7)."""
    text = json.dumps(value, ensure_ascii=False, **dumps)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def wrap(text: str, width: int = 72, indent: str = "", first: str = "") -> str:
    """Wrap to width; `first` prefixes the first line (e.g. '- '), `indent` the others."""
    lead = first
    return textwrap.fill(" ".join(str(text).split()), width=width, initial_indent=lead,
                         subsequent_indent=indent, break_long_words=True,
                         break_on_hyphens=False) or lead.rstrip()


_EMBED = "\u202a\u202b\u202d\u202e"  # LRE, RLE, LRO, RLO: ended by PDF (U+202C)
_ISOLATE = "\u2066\u2067\u2068"  # LRI, RLI, FSI: ended by PDI (U+2069)


def bidi_closed(text: str) -> str:
    """Text with every direction override, embedding or isolate it opens also closed at its
    end, so untrusted text cannot turn the words that follow it (a date, a count) around.
    Balanced uses, as right-to-left writing needs them, are left as they are."""
    if not any(c in _EMBED or c in _ISOLATE for c in text):
        return text
    stack: list[str] = []
    for c in text:
        if c in _EMBED or c in _ISOLATE:
            stack.append(c)
        elif c == "\u202c" and stack and stack[-1] in _EMBED:
            stack.pop()
        elif c == "\u2069" and any(s in _ISOLATE for s in stack):
            while stack.pop() not in _ISOLATE:  # a PDI also ends the embeddings inside it
                pass
    return text + "".join("\u202c" if s in _EMBED else "\u2069" for s in reversed(stack))
