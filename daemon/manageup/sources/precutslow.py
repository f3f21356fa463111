"""The pre-cut's look at any chunk (precut.py): unfolded as select unfolds it, and the
events with something nested in them, or an odd nesting, looked at one by one. The plain
path (rawscan.py) takes the chunks most feeds are made of; this one takes the rest."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import re2

from manageup.sources import icstext, rawscan

if TYPE_CHECKING:
    from manageup.sources.precut import _Words

_WS = b" \t\x0b\x0c"  # whitespace inside a line; line breaks stay
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
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
    """A line whose name holds anything but name characters (prefilter._ODD_NAME, in
    either case); those that may be read as BEGIN, END or UID matter here (the squeezed
    text reads the others' blanks as the parser does, and dates are read by select's own
    test)."""
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    return re2.compile(rb"\n([A-Za-z0-9-]*[^A-Za-z0-9:;\r\n-][^:;\r\n]*)[:;]", options)


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


class AnyChunk:
    """What the pre-cut keeps of every event, and its look at any chunk."""

    data: bytes
    words: _Words
    hit_uids: set[bytes]
    starts: list[int]
    keys: list[tuple[bytes, ...]]
    sure: set[int]
    fixed: set[int]
    head_end: int
    odd: bool

    def _fix(self, k: int) -> None:
        self.sure.add(k)
        self.fixed.add(k)

    def _any(self, c0: int, c1: int, last: bool) -> bool:
        """Any chunk: unfolded as select unfolds it; events with something nested in them,
        or an odd nesting, looked at one by one."""
        raw = self.data[c0:c1]
        raw_starts = _raw_starts(raw)
        text = _unfold(raw)
        if any(_LETTERS.sub(b"", m.group(1).lower()) in (b"begin", b"end", b"uid")
               for m in _odd_name().finditer(text)):
            return False  # select reads such names as icalendar does (prefilter.lowered)
        sq = text.translate(_LOWER, _WS)
        del raw, text
        starts = _sq_starts(sq)
        if len(starts) != len(raw_starts) or not starts:
            return False
        if c0 == 0:
            head = sq[:starts[0]]
            depth = (head.count(b"\nbegin:") + head.startswith(b"begin:")
                     - head.count(b"\nend:"))
            if depth != 1 or not head.startswith(b"begin:vcalendar"):
                return False
            self.head_end = raw_starts[0]
        elif starts[0] != 0:
            return False
        base = len(self.starts)
        n = len(starts)
        if not self._shapes(sq, starts, last, base):
            return False
        hits = self._hits(sq, starts)
        if hits is None:
            return False
        keys = self._uids(sq, starts)
        for k in hits:
            self.hit_uids.update(keys[k])
            self.sure.add(base + k)
        self.starts.extend(c0 + s for s in raw_starts)
        self.keys.extend(keys)
        assert len(self.starts) == base + n
        return True

    def _shapes(self, sq: bytes, starts: list[int], last: bool, base: int) -> bool:
        """Marks the events this pass never drops; False when the nesting is off."""
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
        if (sq.count(b"\nbegin:", frm, upto) + (starts[0] == 0) == counted
                and sq.count(b"\nend:", frm, upto) == counted
                and adjacent == n - 1 and closes):
            if last:
                self._fix(base + n - 1)
            return True
        self.odd = True
        for k in range(n):
            if last and k == n - 1:
                self._fix(base + k)
                continue
            shape = _droppable_shape(sq, bounds[k], bounds[k + 1])
            if shape is None:
                return False  # off balance: what follows may not be at the top level
            if not shape:
                self._fix(base + k)
        return True

    def _hits(self, sq: bytes, starts: list[int]) -> set[int] | None:
        """The events mentioning the boss; None when the text without backslashes (as
        the words are compared) does not show each event's start once."""
        addresses, patterns, names = self.words.ascii
        bare, at = sq, starts
        if b"\\" in sq:
            bare = sq.translate(None, b"\\")
            at = _sq_starts(bare)
            if len(at) != len(starts):
                return None
        address = rawscan.find_events(bare, at, addresses)
        name = rawscan.find_events(bare, at, names)
        ends = [*at, len(bare)]
        if len(name - address) < 200:  # a pattern counts only with a name: look there only
            pattern = {k for k in name - address
                       if any(bare.find(w, ends[k], ends[k + 1]) >= 0 for w in patterns)}
        else:
            pattern = rawscan.find_events(bare, at, patterns)
        hits = address | (pattern & name)
        bounds = [*starts, len(sq)]
        if not sq.isascii():  # casefolding may make non-ASCII text match: look closer
            look = _NON_ASCII if self.words.wide else rawscan.folding()
            odd = {bisect_right(starts, m.start()) - 1 for m in look.finditer(sq, starts[0])}
            hits |= {k for k in odd - hits if self.words.look(sq[bounds[k]:bounds[k + 1]])}
        return hits

    def _uids(self, sq: bytes, starts: list[int]) -> list[tuple[bytes, ...]]:
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


def _unfold(chunk: bytes) -> bytes:
    """prefilter.unfold, cheaper in the common case: with every line ending in CRLF, no
    blank line and no tab continuation, icalendar's unfolding removes CRLF+space only
    (and removing those never makes a new one)."""
    if (b"\r\n\t" not in chunk and b"\r\n\r\n" not in chunk
            and chunk.count(b"\n") == chunk.count(b"\r\n")):
        return chunk.replace(b"\r\n ", b"")
    return icstext.unfold(chunk)
