"""Pick from a raw iCalendar feed only the events that could be 1:1s with the boss.

Parsing a 20k-event feed whole costs seconds and hundreds of MB; the daemon needs the few
events with the boss. This works on the text: unfold lines as icalendar does, find the
VEVENT blocks, group them by UID (so a series and its overrides stay together) and keep a
group when one of its blocks could match detection: a boss address with few enough
people (counted as detection counts them), or a 1:1 title pattern with a boss address or
name. Every test here is looser than detection's own (DESIGN, "Detection"): text is
compared casefolded, escaped and unescaped, addresses with their whitespace squeezed out,
and only a block's own lines count (not those of a VALARM inside it). A feed whose
structure is not clean (an unterminated or stray component) is passed on whole: the full
parse repairs it and says what it skipped.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from typing import Any

from manageup.away import fast_pattern
from manageup.model import address
from manageup.sources.ics import asciiforms
from manageup.sources.ics.stale import date_of, stale_blocks
from manageup.sources.ics.text import (
    UID_LINE,
    lowered,
    nested,
    quick_scan,
    re2_compiled,
    scan,
    unfold,
    value_of,
)
from manageup.titles import normal

_PEOPLE = re.compile(rb"^(?:attendee|organizer)[;:][^\r\n]*", re.M)
# A person whose address has whitespace inside it (a fold plus extra spaces): detection
# squeezes it out, so the plain substring search would miss the boss. Run by RE2
# (_spaced): re would scan a line of "mailto:mailto:..." again from each "mailto:".
# Whitespace is what str.split takes for it (as model.address squeezes), in a line: the
# information separators too.
_SPACED = tuple(r.replace(b"_", rb" \t\x0b\x0c\x1c-\x1f") for r in (
    rb"mailto:[^_\r\n\"]*[_]+[^_\r\n]",
    rb"\n(?:attendee|organizer):[^\r\n:]*[^_\r\n:][_]+[^_\r\n]"))
# A person line with an escaped line break: icalendar unescapes values as TEXT, so
# detection squeezes it out of an address ("sam@example\n.com" is the boss).
_BROKEN = rb"\n(?:attendee|organizer)[;:][^\r\n]*\\n"
_RESOURCE_TYPES = {"ROOM", "RESOURCE"}
# A people line icalendar surely parses as written: plain parameters, no quotes.
_SIMPLE = re.compile(rb"(?:attendee|organizer)((?:;[a-z0-9-]+=[^;:\",\\^\s]*)*):([^\r\n]*)")


def _escaped(text: str) -> str:
    """How a TEXT value carries `text` (RFC 5545 3.3.11)."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def fold(text: str) -> str:
    """As detection reads a title (titles.normal): NFKC, casefolded, the Turkish i's
    as "i"."""
    return normal(text)


def _texts(words: Iterable[str]) -> set[str]:
    """Folded, and as an escaped TEXT value carries it ("Rivera\\, Sam")."""
    return {v for w in words if w for v in (fold(w), _escaped(fold(w)))}


@lru_cache(maxsize=256)
def _loose(needle: str) -> str:
    """A regex for a needle however a TEXT value spells it: icalendar unescapes "\\,",
    "\\;", "\\:" and "\\\\" alike, and writers escape some of them, all, or none."""
    return "".join(("\\\\?" if c in "\\;,:" else "") + re.escape(c) for c in needle)


class Needles:
    def __init__(self, addresses: Iterable[str], patterns: Iterable[str],
                 names: Iterable[str], max_people: int) -> None:
        self.addresses = {address(a) for a in addresses} - {""}
        self.patterns = _texts(patterns)
        self.names = _texts(names)
        self.max_people = max_people


# -- the test on one block -----------------------------------------------------------------


def own(low: bytes, span: tuple[int, int]) -> bytes:
    """The block without the components nested in it: only its own lines count."""
    parts, last = [], span[0]
    for a, b in nested(low, span):
        parts.append(low[last:a])
        last = b
    parts.append(low[last:span[1]])
    return b"".join(parts)


def _parts(line: bytes) -> tuple[dict[str, str] | Any, str] | None:
    """A people line's parameters and value. The plain lines most feeds hold (no quotes,
    plain parameter names) are split here, four times faster; any other goes to
    icalendar's own content-line parser. None when that cannot parse it either."""
    simple = _SIMPLE.match(line)
    if simple and b"\\" not in simple.group(2):  # icalendar unescapes the value
        params = {}
        for item in simple.group(1).split(b";")[1:]:
            key, _eq, val = item.partition(b"=")
            params[key.decode().upper()] = val.decode("utf-8", "replace")
        return params, simple.group(2).decode("utf-8", "replace")
    from icalendar.parser import Contentline  # here: a warm cycle never loads icalendar

    try:
        _name, params, value = Contentline(line.decode("utf-8", "replace")).parts()
    except ValueError:
        return None
    return params, value


def _people(block: bytes) -> set[str]:
    """The people in a block's own ATTENDEE and ORGANIZER lines, as detection sees them:
    parsed by icalendar's own content-line parser, rooms and resources left out, addresses
    casefolded with whitespace squeezed out. A line it cannot parse counts as nobody
    (counting fewer only keeps more)."""
    people = set()
    for m in _PEOPLE.finditer(block):
        parts = _parts(m.group(0))
        if parts is None:
            continue
        params, value = parts
        if (str(params.get("CUTYPE", "")).strip().upper() in _RESOURCE_TYPES
                or str(params.get("ROLE", "")).strip().upper() == "NON-PARTICIPANT"):
            continue
        email = address(str(value))
        if email:
            people.add(email)
    return people


def _few_people(block: bytes, needles: Needles) -> bool:
    people = _people(block)
    boss = people & needles.addresses
    return len(people - boss) + (1 if boss else 0) <= needles.max_people


def outside(block: bytes, since: date, until: date) -> bool:
    """A one-off event that surely lies outside [since, until]; unsure means no."""
    if any(b"\n" + p in block for p in (b"rrule", b"rdate", b"recurrence-id", b"duration")):
        return False
    start = date_of(block, b"dtstart")
    if start is None:
        return False
    end = date_of(block, b"dtend") or start
    if end < start:
        return False  # a broken event: the parser may read it either way
    return end < since or start > until


def exact_uid(text: bytes, low: bytes, span: tuple[int, int]) -> bytes:
    """A block's own UID as written (case and backslashes kept), from the unfolded text."""
    inner = nested(low, span)
    for m in UID_LINE.finditer(low, *span):
        if not any(a <= m.start() < b for a, b in inner):
            return value_of(text[m.start() + 3:m.end()]).strip()
    return b""


def block_uid(block: bytes) -> bytes:
    """A block's own UID, without backslashes: the parser unescapes some ("\\\\" and "\\,")
    and keeps others ("\\1"), so two spellings, one UID; dropping all of them only joins
    more blocks in a group."""
    m = UID_LINE.search(block)
    if m is None:
        return b""
    return value_of(m.group(0)[3:]).replace(b"\\", b"").strip()


def _any(needles: Iterable[str]) -> re.Pattern[bytes] | None:
    alts = [_loose(n).encode() for n in needles if n.isascii()]
    return re.compile(b"|".join(alts)) if alts else None


def _unusual(text: bytes, low: bytes, spans: list[tuple[int, int]],
             block_of: Callable[[int], int], needles: Needles) -> set[int]:
    """Blocks the ASCII byte search may misjudge: an address with whitespace (or "\\n")
    inside, and text whose normal form the ASCII lower-casing does not make: any non-ASCII
    text when a needle is not ASCII, else only the characters whose normal form holds
    ASCII ones (K, ß, ﬁ, "１", a no-break space ...: asciiforms)."""
    if text.isascii():
        odd = set()
    elif all(n.isascii() for n in (*needles.addresses, *needles.patterns, *needles.names)):
        odd = {block_of(m.start()) for m in asciiforms.finder().finditer(text)}
    else:
        odd = {i for i, (s, e) in enumerate(spans) if not text[s:e].isascii()}
    odd |= {block_of(m.end() - 1) for r in (*_SPACED, _BROKEN)
            for m in re2_compiled(r).finditer(low)}
    odd.discard(-1)
    return odd


def _address_in(block: bytes, text: str, needles: Needles) -> bool:
    """A boss address in the block's casefolded text with every whitespace squeezed out,
    as model.address squeezes it; people lines with a backslash are parsed as detection
    parses them (icalendar unescapes their values: "\\n" is a line break)."""
    squeezed = "".join(text.split())
    if any(a in squeezed for a in needles.addresses):
        return True
    escaped = any(b"\\" in m.group(0) for m in _PEOPLE.finditer(block))
    return escaped and bool(_people(block) & needles.addresses)


def _closer_look(block: bytes, needles: Needles) -> tuple[bool, bool, bool]:
    """(address, pattern, name) hits in one block, casefolded and squeezed."""
    text = block.decode("utf-8", "replace").casefold()
    folded = fold(text)
    return (_address_in(block, text, needles),
            any(re.search(_loose(p), folded) for p in needles.patterns),
            any(re.search(_loose(n), folded) for n in needles.names))


# -- select --------------------------------------------------------------------------------


def select(data: bytes, needles: Needles, since: date | None = None,
           until: date | None = None) -> tuple[bytes, int, int]:
    """The feed cut down to the wanted UID groups; also (blocks kept, blocks seen).
    With since/until, one-off events outside those dates are left out too, and so are
    moved or cancelled single instances that lie outside them (the dates should carry a
    day or two of margin for time zones)."""
    text = unfold(data)
    low = lowered(text)
    structure = quick_scan(low) or scan(low)
    spans = structure.spans
    if not structure.clean or not spans:
        return text, len(spans), len(spans)
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
    # The user's out-of-office days (away.py), however rare: the digest of a 1:1 inside
    # one says so. Their rule reads ASCII letters only, so this byte search is enough.
    with_away = hits(fast_pattern())
    for i in _unusual(text, low, spans, block_of, needles):
        a, p, n = _closer_look(own(low, spans[i]), needles)
        with_address |= {i} if a else set()
        with_pattern |= {i} if p else set()
        with_name |= {i} if n else set()
    uid_of = {i: block_uid(own(low, spans[i]) if low.find(b"\nbegin:", s + 1, e) >= 0
                      else low[s:e]) for i, (s, e) in enumerate(spans)}
    # A whole UID group goes only when every block in it is a one-off outside the range.
    # Decided first, so people are counted (icalendar's parser: the slow part) only in
    # the groups that can still be kept; the groups kept are the same.
    # Each group is judged until one block decides it, not block by block: a series of
    # thousands of moved instances is one group, decided by its first block that counts.
    inside: set[bytes] | None = None
    if since is not None and until is not None:
        groups = {uid_of.get(i, b"") for i in with_address | with_pattern | with_away}
        inside = set()
        for i in range(len(spans)):
            uid = uid_of.get(i, b"")
            if uid in groups and uid not in inside and \
                    not outside(own(low, spans[i]), since, until):
                inside.add(uid)
    # UIDs are case-sensitive, but a lowercase compare only keeps more, never less.
    wanted = {uid_of.get(i, b"") for i in with_pattern & (with_address | with_name)}
    wanted |= {uid_of.get(i, b"") for i in with_away}
    for i in sorted(with_address):
        uid = uid_of.get(i, b"")
        if uid not in wanted and (inside is None or uid in inside) and \
                _few_people(own(low, spans[i]), needles):
            wanted.add(uid)
    if inside is not None:
        wanted &= inside
    kept = [i for i in range(len(spans)) if uid_of.get(i, b"") in wanted]
    if since is not None and until is not None:
        # Years of a weekly 1:1's moved instances are most of what is left: parsing the
        # old ones is wasted on a window that never reaches them.
        stale = stale_blocks({i: own(low, spans[i]) for i in kept}, uid_of, since, until,
                             lambda i: exact_uid(text, low, spans[i]))
        kept = [i for i in kept if i not in stale]
    # Everything else stays where it was (VTIMEZONEs, each VCALENDAR of a concatenated
    # feed around its own events), so the cut feed reads exactly like the whole one.
    parts, last = [], 0
    keep = set(kept)
    for i, (s, e) in enumerate(spans):
        if i not in keep:
            parts.append(text[last:s])
            last = e
    parts.append(text[last:])
    return b"".join(parts), len(kept), len(spans)
