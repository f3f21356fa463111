"""iCalendar text as icalendar reads it, without parsing it: unfolding, property names,
and the nesting of components (where each VEVENT begins and ends, and what is broken).
The prefilter, the pre-cut and the full parse's repair all read lines this one way."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# icalendar's own unfolding (icalendar/parser/content_line.py): a line break, any number
# of blank lines, then a space or tab. Kept byte for byte so both paths see the same lines.
_UFOLD = re.compile(rb"(?:(?<!\n)\r\n|(?<![\r\n])\n)(?:\r?\n)*[ \t]")
_BLANK_FOLDS = (b"\n\r\n ", b"\n\n ", b"\n\r\n\t", b"\n\n\t")
# Components that sit beside VEVENTs, never inside one.
_TOP = {b"vevent", b"vtodo", b"vjournal", b"vfreebusy", b"vtimezone", b"vavailability"}
UID_LINE = re.compile(rb"^uid[;:][^\r\n]*", re.M)

def unfold(data: bytes) -> bytes:
    if any(b in data for b in _BLANK_FOLDS):
        return _UFOLD.sub(b"", data)
    # bytes.replace runs in C; the regex over 10 MB is several times slower, and without
    # blank lines before a continuation both give the same text.
    for fold in (b"\r\n ", b"\r\n\t", b"\n ", b"\n\t"):
        data = data.replace(fold, b"")
    return data


# A line whose name (up to the first ";" or ":") holds anything but name characters.
_ODD_NAME = rb"\n([a-z0-9-]*[^a-z0-9:;\r\n-][^:;\r\n]*)[:;]"
_ODD_RE = re.compile(_ODD_NAME)
_TOKEN = re.compile(r"[A-Za-z0-9-]+")


@lru_cache(maxsize=4)
def re2_compiled(pattern: bytes) -> Any:
    """A pattern compiled by RE2, byte-wise: linear time whatever the text."""
    import re2  # here: a warm cycle never calls select

    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    return re2.compile(pattern, options)


def _odd_names() -> Any:
    """_ODD_NAME for RE2: over 15 MB, a fifth of the time re takes."""
    return re2_compiled(_ODD_NAME)


def lowered(text: bytes) -> bytes:
    """The unfolded feed lower-cased, each property named as icalendar names it: its
    parser strips the name and takes the blanks out of it ("UID :x" is a UID, "BEGIN
    :VALARM" begins an alarm). Those blanks move after the ";" or ":", so every offset
    stays and only the lines the parser reads otherwise change."""
    low = text.lower()
    first = low[:low.find(b"\n") + 1 or len(low)]
    odd = _odd_names() if len(low) > 4096 else _ODD_RE  # RE2 costs more to call
    if not odd.search(low) and not odd.match(b"\n" + first):
        return low

    def named(m: re.Match[bytes]) -> bytes:
        name = m.group(1)
        real = re.sub(r"[ \t]+", "", name.decode("utf-8", "replace").strip())
        if not _TOKEN.fullmatch(real) or len(real) >= len(name):
            return m.group(0)  # the parser cannot read it either
        lead = m.group(0)[:m.start(1) - m.start(0)]
        sep = m.group(0)[-1:]
        return lead + real.encode() + sep + b" " * (len(name) - len(real))

    return _ODD_RE.sub(named, b"\n" + low)[1:]


def line_starts(low: bytes, word: bytes) -> list[int]:
    """Offsets of lines that start with `word` (already lower case)."""
    found = [0] if low.startswith(word) else []
    needle = b"\n" + word
    i = low.find(needle)
    while i >= 0:
        found.append(i + 1)
        i = low.find(needle, i + 1)
    return found


def line_end(low: bytes, start: int) -> int:
    end = low.find(b"\n", start)
    return len(low) if end < 0 else end + 1


def value_of(rest: bytes) -> bytes:
    """The value of a content line, after the first colon outside a quoted parameter."""
    colon = rest.find(b":")
    if colon >= 0 and b'"' not in rest[:colon]:
        return rest[colon + 1:]  # the common line: no quote before its first colon
    quoted = False
    for i, ch in enumerate(rest):
        if ch == 0x22:
            quoted = not quoted
        elif ch == 0x3A and not quoted:
            return rest[i + 1:]
    return b""


# -- structure ---------------------------------------------------------------------------


@dataclass
class Structure:
    """Where the VEVENTs are, and what is wrong with the nesting."""

    spans: list[tuple[int, int]] = field(default_factory=list)  # whole top-level VEVENTs
    inner: list[tuple[int, int]] = field(default_factory=list)  # VALARMs etc. inside them
    cuts: list[tuple[int, int]] = field(default_factory=list)  # unterminated or stray parts
    close_calendar: bool = False  # the text ends inside a VCALENDAR

    @property
    def clean(self) -> bool:
        return not self.cuts and not self.close_calendar


def scan(low: bytes) -> Structure:
    """Walk the BEGIN/END lines of a lower-cased, unfolded feed."""
    marks = sorted([(p, True) for p in line_starts(low, b"begin:")]
                   + [(p, False) for p in line_starts(low, b"end:")])
    out = Structure()
    stack: list[tuple[bytes, int]] = []
    open_names: Counter[bytes] = Counter()  # the names in stack: an END looks up its own

    def pop() -> int:
        name, start = stack.pop()
        open_names[name] -= 1
        return start

    for pos, begin in marks:
        name = low[pos + (6 if begin else 4):line_end(low, pos)].strip()
        if begin:
            if name in _TOP or name == b"vcalendar":
                # Nothing of these nests in an event: whatever event is open never ended.
                while stack and stack[-1][0] != b"vcalendar":
                    out.cuts.append((pop(), pos))
                if name == b"vcalendar" and stack:
                    out.cuts.append((pop(), pos))  # a calendar that never ended
            stack.append((name, pos))
            open_names[name] += 1
            continue
        if open_names[name] <= 0:
            out.cuts.append((pos, line_end(low, pos)))  # an END with no BEGIN
            continue
        while stack[-1][0] != name:
            out.cuts.append((pop(), pos))
        start = pop()
        end = line_end(low, pos)
        if name == b"vevent" and open_names[b"vcalendar"] == len(stack):
            out.spans.append((start, end))
        elif open_names[b"vevent"] > 0:
            out.inner.append((start, end))
    while stack:
        name, start = stack.pop()
        if name == b"vcalendar" and not stack:
            out.close_calendar = True
        else:
            out.cuts.append((start, len(low)))
    out.cuts = _outermost(out.cuts)
    return out


def quick_scan(low: bytes) -> Structure | None:
    """The VEVENT spans of a feed whose nesting is surely clean, found with a few C-speed
    searches; None when a full scan is needed. Components nested in an event (VALARMs)
    are found later, only in the blocks that need them."""
    begins = line_starts(low, b"begin:vevent")
    ends = [line_end(low, e) for e in line_starts(low, b"end:vevent")]
    if len(begins) != len(ends) or \
            low.count(b"\nbegin:") + low.startswith(b"begin:") != low.count(b"\nend:"):
        return None
    last = -1
    for b, e in zip(begins, ends, strict=True):
        # Inside the block: its own BEGIN has no newline before it in range, its END has.
        if not last <= b < e or low.count(b"\nbegin:", b, e) + 1 != low.count(b"\nend:", b, e):
            return None
        last = e
    if not low.rstrip().endswith(b"end:vcalendar") and b"begin:vcalendar" in low[:200]:
        return None
    return Structure(spans=list(zip(begins, ends, strict=True)))


def nested(low: bytes, span: tuple[int, int]) -> list[tuple[int, int]]:
    """The components nested in one event block (its VALARMs), as (start, end)."""
    s, e = span
    if low.find(b"\nbegin:", s + 1, e) < 0:
        return []
    found = scan(low[s:e])
    if found.clean:
        return [(s + a, s + b) for a, b in found.inner]
    # icalendar closes the innermost open component at any END, whatever its name
    # ("BEGIN:V-ALARM" ... "END:VALARM"): nest by depth as it does.
    marks = sorted([(p, 1) for p in line_starts(low[s:e], b"begin:")]
                   + [(p, -1) for p in line_starts(low[s:e], b"end:")])
    inner, depth, start = [], 0, 0
    for pos, step in marks:
        depth += step
        if step > 0 and depth == 2:
            start = pos
        elif step < 0 and depth == 1:
            inner.append((s + start, s + line_end(low[s:e], pos)))
    return inner


def _outermost(cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(cuts):
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def uid_in(low: bytes, start: int, end: int) -> str:
    """The first UID line's value between two offsets, for naming what was skipped."""
    m = UID_LINE.search(low, start, end)
    return value_of(m.group(0)[3:]).strip().decode("utf-8", "replace") if m else ""
