"""The pre-cut's look at any chunk (precut.py): unfolded as select unfolds it, and the
events with something nested in them, or an odd nesting, looked at one by one. The plain
path (plainchunk.py) takes the chunks most feeds are made of; this one takes the rest."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import Any

import re2

from manageup.sources.ics.chunkscan import (
    LOWER,
    OPTIONS,
    WS,
    ChunkEvents,
    CutWords,
    away,
    balanced_head,
    broken,
    folding,
    hits_in,
    unfold,
)

_MARK = re.compile(rb"\n(begin|end):([^\r\n]*)")
_NON_ASCII = re.compile(rb"[\x80-\xff]+")
_TOP = {b"vcalendar", b"vevent", b"vtodo", b"vjournal", b"vfreebusy", b"vtimezone",
        b"vavailability"}


_RAW_STARTS = re.compile(rb"\nBEGIN:VEVENT[ \t]*(?:\r?\n)+(?![ \t])")
_SQ_STARTS = re.compile(rb"\nbegin:vevent(?=[\r\n])")
_UID = re.compile(rb'\nuid(?:;(?:"[^"\r\n]*"|[^":\r\n])*)?:([^\r\n]*)')  # on its line


_LETTERS = re.compile(rb"[^a-z]+")


@lru_cache(maxsize=1)
def _odd_name() -> Any:
    """A line whose name holds anything but name characters (text.ODD_NAME, in either
    case); those that may be read as BEGIN, END or UID matter here (the squeezed text
    reads the others' blanks as the parser does, and dates are read by select's own
    test)."""
    return re2.compile(rb"\n([A-Za-z0-9-]*[^A-Za-z0-9:;\r\n-][^:;\r\n]*)[:;]", OPTIONS)


def _sq_starts(sq: bytes) -> list[int]:
    """Where the squeezed lines that are exactly begin:vevent begin."""
    return ([0] if _SQ_STARTS.match(b"\n" + sq[:14]) else []) + \
        [m.start() + 1 for m in _SQ_STARTS.finditer(sq)]


def _raw_starts(chunk: bytes) -> list[int]:
    """Where the lines that are exactly BEGIN:VEVENT (and not continued) begin."""
    first = [0] if _RAW_STARTS.match(b"\n" + chunk[:40]) else []
    return first + [m.start() + 1 for m in _RAW_STARTS.finditer(chunk)]


def _droppable_shape(sq: bytes, a: int, b: int) -> bool | None:
    """Is sq[a:b] one clean VEVENT and nothing else? None: its nesting is off balance."""
    depth, names = 1, [b"vevent"]
    for m in _MARK.finditer(sq, a, b):
        kind, name = m.group(1), m.group(2).strip()
        if kind == b"begin":
            names.append(name)
            depth += 1
        else:
            if not names or names[-1] != name:
                return None
            names.pop()
            depth -= 1
    if depth != 0:
        return None
    # Balanced; droppable when the block closes on its own END:VEVENT at its very end and
    # holds no other top-level component.
    last = sq.rfind(b"\n", a, b - 1) + 1
    closes = sq[last:b].rstrip(b"\r\n") == b"end:vevent"
    return closes and not any(n.strip() in _TOP for n in
                              (m.group(2) for m in _MARK.finditer(sq, a, last)))


def read(data: bytes, c0: int, c1: int, last: bool, words: CutWords) -> ChunkEvents | None:
    """The events of data[c0:c1], any chunk: unfolded as select unfolds it; events with
    something nested in them, or an odd nesting, looked at one by one. None when the
    pre-cut must give up."""
    raw = data[c0:c1]
    raw_starts = _raw_starts(raw)
    text = unfold(raw)
    if any(_LETTERS.sub(b"", m.group(1).lower()) in (b"begin", b"end", b"uid")
           for m in _odd_name().finditer(text)):
        return None  # select reads such names as icalendar does (text.lowered)
    sq = text.translate(LOWER, WS)
    del text
    starts = _sq_starts(sq)
    if len(starts) != len(raw_starts) or not starts:
        return None
    head_end = -1
    if c0 == 0:
        if not balanced_head(sq[:starts[0]]):
            return None
        head_end = raw_starts[0]
    elif starts[0] != 0:
        return None
    shapes = _shapes(sq, starts, last)
    if shapes is None:
        return None
    fixed, odd = shapes
    hits = _hits(sq, starts, words)
    if hits is None:
        return None
    ends = [*raw_starts[1:], len(raw)]
    hits |= away(sq, starts, lambda k: raw[raw_starts[k]:ends[k]]) | broken(sq, starts)
    return ChunkEvents(starts=[c0 + s for s in raw_starts], keys=_uids(sq, starts),
                       hits=hits, fixed=fixed, head_end=head_end, odd=odd)


def _shapes(sq: bytes, starts: list[int], last: bool) -> tuple[set[int], bool] | None:
    """The events this pass never drops, and whether that needed a look event by event;
    None when the nesting is off."""
    n = len(starts)
    bounds = [*starts, len(sq)]
    # The common case, checked at C speed: no BEGIN or END line in any event but its
    # own, and each ends on its END:VEVENT line (the last one of the feed holds the
    # trailer, END:VCALENDAR, and is kept as it is).
    upto = bounds[n - 1] if last else len(sq)
    counted = n - 1 if last else n
    frm = max(starts[0] - 1, 0)
    adjacent = sq.count(b"\nend:vevent\r\nbegin:vevent", frm, upto + 14)
    if adjacent != n - 1:  # a feed whose lines end in LF alone
        adjacent += sq.count(b"\nend:vevent\nbegin:vevent", frm, upto + 13)
    closes = last or sq.endswith((b"\nend:vevent\r\n", b"\nend:vevent\n"))
    fixed = {n - 1} if last else set()
    if (sq.count(b"\nbegin:", frm, upto) + (starts[0] == 0) == counted
            and sq.count(b"\nend:", frm, upto) == counted
            and adjacent == n - 1 and closes):
        return fixed, False
    for k in range(n - 1 if last else n):
        shape = _droppable_shape(sq, bounds[k], bounds[k + 1])
        if shape is None:
            return None  # off balance: what follows may not be at the top level
        if not shape:
            fixed.add(k)
    return fixed, True


def _hits(sq: bytes, starts: list[int], words: CutWords) -> set[int] | None:
    """The events mentioning the boss; None when the text without backslashes (as the
    words are compared) does not show each event's start once."""
    bare, at = sq, starts
    if b"\\" in sq:
        bare = sq.translate(None, b"\\")
        at = _sq_starts(bare)
        if len(at) != len(starts):
            return None
    hits = hits_in(bare, at, words.ascii)
    bounds = [*starts, len(sq)]
    if not sq.isascii():  # normalising may make non-ASCII text match: look closer
        look = _NON_ASCII if words.wide else folding()
        odd = {bisect_right(starts, m.start()) - 1 for m in look.finditer(sq, starts[0])}
        hits |= {k for k in odd - hits if words.look(sq[bounds[k]:bounds[k + 1]])}
    return hits


def _uids(sq: bytes, starts: list[int]) -> list[tuple[bytes, ...]]:
    """Every UID line of each event (its VALARMs' too), as keys looser than select's:
    the value after the first colon outside quotes, squeezed, without backslashes."""
    found = [(m.start(), m.group(1)) for m in _UID.finditer(sq, max(starts[0] - 1, 0))]
    n = len(starts)
    if len(found) == n and all(a < p for a, (p, _v) in zip(starts, found, strict=True)) \
            and all(p < b for (p, _v), b in zip(found, starts[1:], strict=False)):
        return [(v.replace(b"\\", b""),) for _p, v in found]  # one UID line each
    keys: list[tuple[bytes, ...]] = [() for _ in range(n)]
    for p, v in found:
        k = bisect_right(starts, p) - 1
        keys[k] = (*keys[k], v.replace(b"\\", b""))
    return [k or (b"",) for k in keys]
