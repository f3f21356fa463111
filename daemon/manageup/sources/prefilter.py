"""Pick from a raw iCalendar feed only the events that could be 1:1s with the boss.

Parsing a 20k-event feed whole costs seconds and hundreds of MB; the daemon needs the few
events with the boss. This works on the text: unfold lines, find VEVENT blocks, group them
by UID (so a series and its overrides stay together) and keep a group when one of its
blocks could match detection: a boss address with few enough people (rooms not counted,
as detection counts them), or a 1:1 title pattern with a boss address or name. Every test
here is looser than detection's own, so nothing detection would match is lost.
Everything outside VEVENTs (VTIMEZONEs, X-WR-TIMEZONE) is kept as it is.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from datetime import date

_PEOPLE = re.compile(rb"^(attendee|organizer)([;:][^\r\n]*)", re.M)


class Needles:
    def __init__(self, addresses: Iterable[str], patterns: Iterable[str],
                 names: Iterable[str], max_people: int) -> None:
        self.addresses = {a.lower().encode() for a in addresses if a}
        self.patterns = [p.lower().encode() for p in patterns if p]
        self.names = [n.lower().encode() for n in names if n]
        self.max_people = max_people


def _unfold(data: bytes) -> bytes:
    # bytes.replace runs in C; a regex over 10 MB is several times slower.
    for fold in (b"\r\n ", b"\r\n\t", b"\n ", b"\n\t"):
        data = data.replace(fold, b"")
    return data


def _line_starts(low: bytes, word: bytes) -> list[int]:
    """Offsets of lines that start with `word` (already lower case)."""
    found = [0] if low.startswith(word) else []
    needle = b"\n" + word
    i = low.find(needle)
    while i >= 0:
        found.append(i + 1)
        i = low.find(needle, i + 1)
    return found


def _line_end(low: bytes, start: int) -> int:
    end = low.find(b"\n", start)
    return len(low) if end < 0 else end + 1


def _any(needles: Iterable[bytes]) -> re.Pattern[bytes] | None:
    alts = [re.escape(n) for n in needles]
    return re.compile(b"|".join(alts)) if alts else None


def _value(rest: bytes) -> bytes:
    """The value of a content line, after the first colon outside a quoted parameter."""
    quoted = False
    for i, ch in enumerate(rest):
        if ch == 0x22:
            quoted = not quoted
        elif ch == 0x3A and not quoted:
            return rest[i + 1:]
    return b""


def _few_people(block: bytes, needles: Needles) -> bool:
    """At most max_people people, counted as detection counts them, boss once."""
    people = set()
    for m in _PEOPLE.finditer(block):
        params = m.group(2).split(b":", 1)[0]
        if m.group(1) == b"attendee" and (b"cutype=room" in params or
                                          b"cutype=resource" in params or
                                          b"role=non-participant" in params):
            continue
        email = _value(m.group(2)).strip()
        if email.startswith(b"mailto:"):
            email = email[7:]
        email = b"".join(email.split())
        if email:
            people.add(email)
    boss = people & needles.addresses
    return len(people - boss) + (1 if boss else 0) <= needles.max_people


def _date(block: bytes, prop: bytes) -> date | None:
    i = block.find(b"\n" + prop)
    if i < 0:
        return None
    line = block[i + 1:_line_end(block, i + 1)]
    if line[len(prop):len(prop) + 1] not in b":;":
        return None
    value = _value(line[len(prop):]).strip()[:8]
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _outside(block: bytes, since: date, until: date) -> bool:
    """A one-off event that surely lies outside [since, until]; unsure means no."""
    if any(b"\n" + p in block for p in (b"rrule", b"rdate", b"recurrence-id", b"duration")):
        return False
    start = _date(block, b"dtstart")
    if start is None:
        return False
    end = _date(block, b"dtend") or start
    return end < since or start > until


def select(data: bytes, needles: Needles, since: date | None = None,
           until: date | None = None) -> tuple[bytes, int, int]:
    """The feed cut down to the wanted UID groups; also (blocks kept, blocks seen).
    With since/until, one-off events outside those dates are left out too (the dates
    should carry a day or two of margin for time zones)."""
    text = _unfold(data)
    low = text.lower()
    begins = [b for b in _line_starts(low, b"begin:vevent") if low[b + 12:b + 13] in b"\r\n"]
    if not begins:
        return text, 0, 0
    ends = [_line_end(low, e) for e in _line_starts(low, b"end:vevent")
            if low[e + 10:e + 11] in b"\r\n"]
    spans = []
    for b in begins:
        k = bisect_right(ends, b)
        if k < len(ends):
            spans.append((b, ends[k]))
    starts = [s for s, _ in spans]

    def block_of(pos: int) -> int:
        i = bisect_right(starts, pos) - 1
        return i if i >= 0 and pos < spans[i][1] else -1

    def hits(pattern: re.Pattern[bytes] | None) -> set[int]:
        if pattern is None:
            return set()
        return {i for i in (block_of(m.start()) for m in pattern.finditer(low)) if i >= 0}

    with_address = hits(_any(needles.addresses))
    with_pattern = hits(_any(needles.patterns))
    with_name = hits(_any(needles.names))
    possible = {i for i in with_address if _few_people(low[slice(*spans[i])], needles)}
    possible |= with_pattern & (with_address | with_name)
    if since is not None and until is not None:
        possible = {i for i in possible if not _outside(low[slice(*spans[i])], since, until)}

    uid_of: dict[int, bytes] = {}
    for pos in _line_starts(low, b"uid"):
        i = block_of(pos)
        line = low[pos:_line_end(low, pos)]
        if i >= 0 and i not in uid_of and line[3:4] in b":;":
            uid_of[i] = _value(line[3:]).strip()
    # UIDs are case-sensitive, but a lowercase compare only keeps more, never less.
    wanted = {uid_of.get(i, b"") for i in possible}
    if since is not None and until is not None:
        # A whole UID group goes only when every block in it is a one-off outside the range.
        inside = {uid_of.get(i, b"") for i in range(len(spans))
                  if uid_of.get(i, b"") in wanted
                  and not _outside(low[slice(*spans[i])], since, until)}
        wanted &= inside
    kept = [i for i in range(len(spans)) if uid_of.get(i, b"") in wanted]
    parts = [text[: spans[0][0]]]
    last = spans[0][0]
    for s, e in spans:  # what stands between events (a VTIMEZONE now and then) stays
        parts.append(text[last:s])
        last = e
    parts[1:] = [p for p in parts[1:] if p.strip()]
    parts += [text[slice(*spans[i])] for i in kept]
    parts.append(text[last:])
    return b"".join(parts), len(kept), len(spans)
