"""Small text helpers for untrusted calendar text."""

from __future__ import annotations

import re
import textwrap

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")


def find_link(*texts: str) -> str:
    """The first http(s) link in the URL, location or description: the meeting link."""
    for t in texts:
        m = _URL.search(t or "")
        if m:
            return m.group(0).rstrip(".,;)")
    return ""


def header_safe(text: str, limit: int = 200) -> str:
    """Strip CR, LF and control characters from calendar text bound for a mail header."""
    clean = _CONTROL.sub(" ", text or "")
    clean = " ".join(clean.split())
    return clean[:limit]


def wrap(text: str, width: int = 72, indent: str = "", first: str = "") -> str:
    """Wrap to width; `first` prefixes the first line (e.g. '- '), `indent` the others."""
    lead = first
    return textwrap.fill(" ".join(str(text).split()), width=width, initial_indent=lead,
                         subsequent_indent=indent, break_long_words=True,
                         break_on_hyphens=False) or lead.rstrip()
