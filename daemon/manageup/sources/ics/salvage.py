"""A feed icalendar refuses whole for one bad part: find that part, leave it out, name it.

icalendar tolerates a bad value or line inside a VEVENT (the event notes it), but one
anywhere else refuses the whole feed: a line that is not iCalendar at the top level, a
VTIMEZONE rule with an impossible offset (iCloud writes "+5328" for 1893), a to-do with
a broken date, an alarm with a broken trigger. None of these is read to find a 1:1, so
each costs only itself: the smallest part that fails is cut out and the rest is read.
"""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import icalendar
from icalendar.timezone import tzp
from icalendar.timezone.zoneinfo import ZONEINFO

from manageup.sources.ics.text import unfold, value_of


class KnownZones(ZONEINFO):
    """icalendar's zoneinfo provider, asking whether a VTIMEZONE's TZID is a system zone
    (then that zone is used, not the feed's rules) of that one name: icalendar's own
    check lists every installed zone first (zoneinfo.available_timezones() opens some
    600 files: 7-15 ms of a cold read's CPU). The same answer for every name
    (tests/unit/test_zone_lookup.py)."""

    def knows_timezone_id(self, tzid: str) -> bool:
        try:
            zoneinfo.ZoneInfo(tzid)  # cached: icalendar asks for it next
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            return False  # not a key, a folder, or a file that is not a zone
        # The listing's own rules: a zone file under a time-zone folder, reached without
        # a linked folder (it walks without following them), outside right/ and posix/,
        # not posixrules. Any other zone that loads (tzdata's, one under a linked folder)
        # is asked of the listing itself.
        return _listed_file(tzid) or super().knows_timezone_id(tzid)


def _listed_file(key: str) -> bool:
    if key == "posixrules" or key.split("/")[0] in ("right", "posix"):
        return False
    for root in zoneinfo.TZPATH:
        path = os.path.join(root, key)
        if not os.path.isfile(path):
            continue
        real = os.path.join(os.path.realpath(root), os.path.dirname(key))
        if os.path.realpath(os.path.dirname(path)) == os.path.normpath(real):
            with open(path, "rb") as f:
                if f.read(4) == b"TZif":
                    return True
    return False


def fresh_timezones() -> None:
    """icalendar keeps every custom VTIMEZONE it meets, by TZID, for the whole process,
    first one wins. Starting each feed with an empty cache means one feed's (or an older
    version's) "Central Europe" never moves another feed's events."""
    tzp.use(KnownZones())


def salvage(text: bytes, calendar: str) -> tuple[list[Any], list[str]]:
    """The feed's components with what icalendar cannot read left out, and what was left
    out; no components when it still cannot be read."""
    text, warnings = drop_junk(text, calendar)
    if warnings:
        parts = _parse(text)
        if parts is not None:
            return parts, warnings
    text, broken = drop_broken(text, calendar)
    parts = _parse(text) if broken else None
    return (parts or [], warnings + broken)


def _parse(text: bytes) -> list[Any] | None:
    fresh_timezones()
    try:
        return list(icalendar.Calendar.from_ical(text, multiple=True))
    except Exception:  # icalendar raises ValueError, but also others on odd input
        return None


def _shown(line: bytes) -> str:
    return line.strip()[:40].decode("utf-8", "replace").encode(
        "ascii", "backslashreplace").decode()


def drop_junk(text: bytes, calendar: str) -> tuple[bytes, list[str]]:
    """Drop the lines outside any event that icalendar cannot parse: inside an event it
    notes a bad line and goes on, but one at the calendar's top level, or in a time zone
    definition, refuses the whole feed."""
    from icalendar.parser import Contentline

    out, warnings, open_ = [], [], []
    for line in unfold(text).split(b"\n"):
        word = line.strip().lower()
        if word.startswith(b"begin:"):
            open_.append(word[6:].strip())
        elif word.startswith(b"end:"):
            if open_:
                open_.pop()
        elif word and b"vevent" not in open_:
            try:
                Contentline(line.rstrip(b"\r").decode("utf-8", "replace")).parts()
            except ValueError:
                warnings.append(f"{calendar}: skipped a line that is not iCalendar: "
                                f"{_shown(line)!r}")
                continue
        out.append(line)
    return b"\n".join(out), warnings


# -- components that fail ------------------------------------------------------------------


@dataclass
class _Part:
    """A component of the feed (a VEVENT, a VALARM), with its nesting."""

    name: bytes  # lower case
    first: int  # its BEGIN line
    last: int = -1  # its END line
    parent: _Part | None = None
    children: list[_Part] = field(default_factory=list)


def _tree(lines: list[bytes]) -> list[_Part]:
    """The components, by their BEGIN and END lines (the feed's nesting is already
    repaired); an END that closes nothing open is left to the parser."""
    roots: list[_Part] = []
    stack: list[_Part] = []
    for i, line in enumerate(lines):
        word = line.strip().lower()
        if word.startswith(b"begin:"):
            part = _Part(word[6:].strip(), i, parent=stack[-1] if stack else None)
            (stack[-1].children if stack else roots).append(part)
            stack.append(part)
        elif word.startswith(b"end:") and stack:
            stack.pop().last = i
    return [r for r in roots if r.last >= 0]


# What a time zone cannot go without: its name, and each rule's start and offsets.
_BONES = {b"begin", b"end", b"tzid", b"dtstart", b"tzoffsetfrom", b"tzoffsetto"}


def _name(line: bytes) -> bytes:
    """A content line's property name, lower case."""
    return line.strip().split(b":", 1)[0].split(b";", 1)[0].strip().lower()


_KINDS = {b"vevent": "event", b"vtodo": "to-do", b"vjournal": "journal entry"}


class _Cutter:
    def __init__(self, lines: list[bytes], calendar: str) -> None:
        self.lines, self.calendar = lines, calendar
        self.keep = [True] * len(lines)
        self.warnings: list[str] = []

    def text(self, first: int, last: int) -> bytes:
        return b"\n".join(self.lines[i] for i in range(first, last + 1) if self.keep[i])

    def fails(self, first: int, last: int) -> str:
        """Why icalendar refuses these lines read alone; "" when it reads them."""
        return self.error([i for i in range(first, last + 1) if self.keep[i]])

    def error(self, rows: list[int]) -> str:
        """Why icalendar refuses these lines, inside a calendar as in the feed: a time
        zone is only built (and refused) when it closes inside one."""
        text = b"\n".join(self.lines[i] for i in rows)
        if not text.lstrip().lower().startswith(b"begin:vcalendar"):
            text = b"BEGIN:VCALENDAR\n" + text + b"\nEND:VCALENDAR"
        fresh_timezones()  # a zone built by an earlier try is not built (nor refused) again
        try:
            icalendar.Calendar.from_ical(text, multiple=True)
        except Exception as e:  # whatever it raises, that part is what refuses the feed
            return str(e)[:120] or type(e).__name__
        return ""

    def drop(self, first: int, last: int, what: str, why: str) -> None:
        self.keep[first:last + 1] = [False] * (last + 1 - first)
        self.warnings.append(f"{self.calendar}: skipped {what} ({why})")

    def check(self, part: _Part) -> None:
        """Leave out the smallest parts of `part` that icalendar refuses. An event reads
        its own bad values and lines itself (the parse skips it by UID when they matter):
        only the parts nested in it are looked at."""
        if part.name == b"vevent":
            for child in part.children:
                self.check(child)
            return
        if part.name == b"vcalendar":
            for child in part.children:
                self.check(child)
            self.own_lines(part)
            return
        if not self.fails(part.first, part.last):
            return
        for child in part.children:
            self.check(child)
        why = self.fails(part.first, part.last)
        if why and not (part.name == b"vtimezone" and self.zone_lines(part)):
            self.drop(part.first, part.last, self.named(part), why)

    def zone_lines(self, zone: _Part) -> bool:
        """Leave out the lines of a time zone that icalendar refuses (ical.js's sample
        has RDATE;VALUE=DATE in its rules), each tried alone on the zone's bare bones
        (its name, and each rule's start and offsets); True when the zone reads without
        them. When the bones themselves are refused, the zone cannot be used at all."""
        rows = [i for i in range(zone.first, zone.last + 1) if self.keep[i]]
        bones = [i for i in rows if _name(self.lines[i]) in _BONES]
        if self.error(bones):
            return False
        bad = {i: why for i in rows if i not in bones
               for why in [self.error(sorted([*bones, i]))] if why}
        if not bad or self.error([i for i in rows if i not in bad]):
            return False
        for i in bad:
            self.keep[i] = False
        shown = ", ".join(repr(_shown(self.lines[i])) for i in bad)
        count = "1 line" if len(bad) == 1 else f"{len(bad)} lines"
        self.warnings.append(f"{self.calendar}: skipped {count} of {self.named(zone)}: "
                             f"{shown} ({next(iter(bad.values()))})")
        return True

    def own_lines(self, cal: _Part) -> None:
        """The calendar's own properties, each alone when together they fail."""
        inside = {i for c in cal.children for i in range(c.first, c.last + 1)}
        own = [i for i in range(cal.first + 1, cal.last) if i not in inside and self.keep[i]]
        if not own or not self.error([cal.first, *own, cal.last]):
            return
        for i in own:
            why = self.error([cal.first, i, cal.last])
            if why:
                self.drop(i, i, f"the calendar's line {_shown(self.lines[i])!r}", why)

    def named(self, part: _Part) -> str:
        parent = part.parent
        if parent is not None and parent.name == b"vtimezone":
            return f"a rule of {self.named(parent)}"
        if part.name == b"vtimezone":
            return f"time zone {self.own_value(part, b'tzid') or '(no TZID)'}"
        if part.name == b"valarm" and parent is not None:
            return f"an alarm of {self.named(parent)}"
        kind = _KINDS.get(part.name) or part.name.decode("ascii", "replace").upper()
        uid = self.own_value(part, b"uid")
        return f"{kind} {uid}" if uid else f"a {kind} without UID"

    def own_value(self, part: _Part, name: bytes) -> str:
        inside = {i for c in part.children for i in range(c.first, c.last + 1)}
        for i in range(part.first + 1, part.last):
            line = self.lines[i].lstrip()
            if i not in inside and line.lower().startswith(name) and \
                    line[len(name):len(name) + 1] in (b":", b";"):
                return value_of(line[len(name):]).strip().decode("utf-8", "replace")
        return ""


def drop_broken(text: bytes, calendar: str) -> tuple[bytes, list[str]]:
    """The feed without the smallest components (and calendar lines) icalendar refuses,
    each named: a rule of a time zone, a to-do, an alarm of an event."""
    lines = unfold(text).split(b"\n")
    cutter = _Cutter(lines, calendar)
    for root in _tree(lines):
        cutter.check(root)
    if not cutter.warnings:
        return text, []
    return cutter.text(0, len(lines) - 1), cutter.warnings
