"""Checks on a feed's raw bytes before anything reads its lines: line endings, and lines
too long to be anything but junk."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from manageup.sources.ics.text import line_end, uid_in

MAX_LINE = 1024 * 1024  # one physical line; iCalendar folds at 75 octets
_BOM = b"\xef\xbb\xbf"


def readable(data: bytes) -> bytes:
    """The feed as every reader here reads it: lines ending in LF (line_ends), and
    nothing before its first line but that line (a UTF-8 byte-order mark, blank lines or
    spaces there refuse the whole feed in icalendar; ical.js and icalendar's own
    users read past them)."""
    data = line_ends(data)
    head = data[:64]
    if head.startswith(_BOM) or head[:1].isspace():
        return data.removeprefix(_BOM).lstrip(b" \t\r\n")
    return data


_LONE_CR = re.compile(rb"\r(?!\n)")


@lru_cache(maxsize=1)
def _any_lone_cr() -> Any:
    """A CR not followed by LF, for RE2: one pass over a feed in a fifth of the time two
    counts take (on a 15 MB feed, 3 ms against 20 ms of a cold preview's CPU)."""
    import re2

    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    return re2.compile(rb"\r(?:[^\n]|\z)", options)


def line_ends(data: bytes) -> bytes:
    """Every line ending in CR alone (classic Mac OS, or a mix: one event pasted from
    such a file, a head written by one tool and the rest by another) made a CRLF. The
    parser and the fast path both split lines at LF: a CR alone would join the lines it
    ends into one, which each reader then read differently (or not at all). Done once,
    before anything reads the lines; a feed with no CR alone (the common case) is
    returned as it is, after a scan at C speed."""
    if b"\r" not in data or _any_lone_cr().search(data) is None:
        return data
    return _LONE_CR.sub(b"\r\n", data)


def longest_line_over(raw: bytes, limit: int) -> int:
    """The longest line longer than `limit` (0 if none), without splitting the feed into
    lines: such a line covers a whole aligned window of limit // 2 bytes with no newline,
    so only the windows without one are looked at."""
    half = max(limit // 2, 1)
    longest, k = 0, 0
    while k + half <= len(raw):
        if raw.find(b"\n", k, k + half) >= 0:
            k += half
            continue
        start = raw.rfind(b"\n", 0, k) + 1
        end = raw.find(b"\n", k)
        end = len(raw) if end < 0 else end
        longest = max(longest, end - start)
        k = end + 1
    return longest if longest > limit else 0


def check_lines(raw: bytes, calendar: str) -> tuple[bytes, list[str]]:
    """Cut absurd physical lines out of a feed (a stranger's invite can carry megabytes):
    the event holding one is skipped and named by UID, a line outside any event is
    dropped alone. Checked on the raw bytes: once folded lines are joined, one huge but
    legal SUMMARY would otherwise cost its event."""
    if not longest_line_over(raw, MAX_LINE):
        return raw, []
    low = raw.lower()
    cuts, warnings = [], []
    pos = 0
    while pos < len(raw):
        nl = raw.find(b"\n", pos)
        end = len(raw) if nl < 0 else nl + 1
        size = len(raw[pos:end].rstrip(b"\r\n"))
        if size > MAX_LINE:
            begin = low.rfind(b"begin:vevent", 0, pos)
            closed = low.rfind(b"end:vevent", 0, pos)
            stop = low.find(b"end:vevent", end)
            if begin >= 0 and closed < begin and stop >= 0:
                stop = line_end(low, stop)
                uid = uid_in(low, begin, pos) or uid_in(low, end, stop) or "(no UID)"
                warnings.append(f"{calendar}: skipped event {uid}: a line of {size} bytes")
                cuts.append((begin, stop))
                end = stop
            else:
                warnings.append(f"{calendar}: skipped a line of {size} bytes outside any "
                                "event")
                cuts.append((pos, end))
        pos = end
    parts, last = [], 0
    for a, b in cuts:
        parts.append(raw[last:a])
        last = b
    parts.append(raw[last:])
    return b"".join(parts), warnings
