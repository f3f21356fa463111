"""Small text helpers for untrusted calendar text."""

from __future__ import annotations

import re
import textwrap

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")  # C0, DEL, C1, separators


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
