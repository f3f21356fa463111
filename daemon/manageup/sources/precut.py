"""Before the prefilter: drop the events that surely have nothing to do with the boss,
one chunk of the raw feed at a time.

The prefilter (prefilter.select) judges every event exactly, but it holds the whole feed
unfolded and lower-cased at once: on a 15 MB feed that is two more copies of it and most of
a preview's time. This pass reads the feed in chunks of about a megabyte, cut where an
event begins, with one unfolding, lowering and whitespace-squeezing pass over each, and
drops only an event that is, for sure,
- a single clean VEVENT at the top level (nested components balanced, nothing else in it),
- without any boss address, nor a title pattern together with a boss name, compared
  looser than select does (all whitespace squeezed out, VALARM lines counted too, and
  non-ASCII text casefolded), and
- without a UID (compared looser than select: lower case, no backslashes) shared with an
  event that is kept.
select would drop every such event too, so select(precut(feed)) is byte for byte
select(feed); when anything is unusual (a feed whose nesting is not clean, events that do
not begin at a line of their own) precut gives up and select sees the whole feed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any

import re2

from manageup.sources import icstext, prefilter, rawscan

CHUNK = 1 << 20
MIN_SIZE = 1 << 20  # below this select alone is fast and small enough
_WS = b" \t\x0b\x0c"  # whitespace inside a line; line breaks stay
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_RAW_START = b"\nBEGIN:VEVENT"
_MARK = re.compile(rb"\n(begin|end):([^\r\n]*)")
_NON_ASCII = re.compile(rb"[\x80-\xff]+")
_TOP = {b"vcalendar", b"vevent", b"vtodo", b"vjournal", b"vfreebusy", b"vtimezone",
        b"vavailability"}


class _Words:
    """The needles as this pass compares them: folded as select folds them, squeezed, and
    without backslashes (writers escape ";", "," and ":" in any mix: "1\\:1")."""

    def __init__(self, needles: prefilter.Needles) -> None:
        def squeezed(words: Iterable[str | bytes]) -> set[str]:
            return {_bare(w.decode("utf-8", "replace") if isinstance(w, bytes) else w)
                    for w in words}

        self.addresses = squeezed(needles.addresses)
        self.patterns = squeezed(needles.patterns)
        self.names = squeezed(needles.names)
        every = self.addresses | self.patterns | self.names
        # With ASCII words only, a closer look is needed only where casefolding makes
        # ASCII letters (prefilter.FOLDS_TO_ASCII), as select's own closer look.
        self.wide = not all(w.isascii() for w in every)
        self.usable = bool(self.addresses) and "" not in every and \
            not any("\r" in w or "\n" in w for w in every)
        # A word that holds another of its group finds nothing that one does not.
        self.ascii = [sorted({w.encode() for w in group if w.isascii()
                              and not any(o != w and o in w for o in group)})
                      for group in (self.addresses, self.patterns, self.names)]

    def wanted(self, address: bool, pattern: bool, name: bool) -> bool:
        # select keeps a block with a boss address, or a pattern with an address or a name.
        return address or (pattern and name)

    def look(self, block: bytes) -> bool:
        """The closer look at one unfolded block, as text."""
        text = _bare(block.decode("utf-8", "replace"))
        return self.wanted(any(w in text for w in self.addresses),
                           any(w in text for w in self.patterns),
                           any(w in text for w in self.names))


def _bare(text: str) -> str:
    """Folded as select folds (Turkish dotless i too), squeezed, without backslashes."""
    return "".join(prefilter._fold(text).split()).replace("\\", "")



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


def _chunks(data: bytes, size: int) -> list[tuple[int, int]]:
    """Chunks that begin where an event begins, so no event and no folded line is split."""
    out, start = [], 0
    first = data.find(_RAW_START) + 1  # the first chunk holds the head and an event at least
    while start < len(data):
        cut = data.find(_RAW_START, max(start + size, first))
        end = len(data) if cut < 0 else cut + 1
        out.append((start, end))
        start = end
    return out


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


class _Cut:
    def __init__(self, data: bytes, words: _Words) -> None:
        self.data, self.words = data, words
        self.hit_uids: set[bytes] = set()
        # Every event in order: where it begins in the raw feed, its UID keys, and whether
        # it is kept whatever its UID (a boss hit, or a shape this pass does not drop).
        self.starts: list[int] = []
        self.keys: list[tuple[bytes, ...]] = []
        self.sure: set[int] = set()
        self.fixed: set[int] = set()  # kept as they are, whatever their dates
        self.head_end = -1
        self.odd = False  # some chunk needed the slow look at its events' nesting

    def _fix(self, k: int) -> None:
        self.sure.add(k)
        self.fixed.add(k)

    def chunk(self, c0: int, c1: int, last: bool) -> bool:
        """Take in the events of data[c0:c1]; False when this pass must give up."""
        return self._plain(c0, c1, last) or self._any(c0, c1, last)

    def _plain(self, c0: int, c1: int, last: bool) -> bool:
        """A plain chunk (rawscan's doc), cut on its raw bytes; False, with nothing taken
        in, for any other."""
        # A newline before the chunk, so that every line start follows one.
        raw = b"\n" + self.data[:c1] if c0 == 0 else self.data[c0 - 1:c1]
        frm = raw.find(b"\nBEGIN:VEVENT")
        if frm < 0 or (c0 > 0 and frm != 0):
            return False
        if not last and not raw.endswith((b"\nEND:VEVENT\r\n", b"\nEND:VEVENT\n")):
            return False
        chunk = rawscan.Plain(raw, frm)
        # The last event of the feed holds the trailer: kept whole, so not looked at.
        if not rawscan.plain(raw, frm, chunk.starts[-1] - 1 if last else len(raw), chunk.n):
            return False
        if c0 == 0 and not self._head(frm):
            return False
        keys = chunk.keys()
        hits = chunk.hits(self.words.ascii) if keys is not None else None
        if keys is None or hits is None:
            return False
        # Casefolding may make non-ASCII text match: only a few characters fold to ASCII.
        odd = chunk.not_ascii()
        for k in odd if self.words.wide or not odd else chunk.folding():
            # Unfolded first: a fold may split a UTF-8 sequence.
            if k not in hits and self.words.look(icstext.unfold(chunk.text(k))):
                hits.add(k)
        base = len(self.starts)
        for k in hits:
            self.hit_uids.add(keys[k])
            self.sure.add(base + k)
        if last:
            self._fix(base + chunk.n - 1)
        self.starts.extend(c0 - 1 + s for s in chunk.starts)
        self.keys.extend((key,) for key in keys)
        return True

    def _head(self, end: int) -> bool:
        """The feed's head (the VCALENDAR's own lines, VTIMEZONEs) is balanced."""
        head = _unfold(self.data[:end]).translate(_LOWER, _WS)
        depth = head.count(b"\nbegin:") + head.startswith(b"begin:") - head.count(b"\nend:")
        if depth != 1 or not head.startswith(b"begin:vcalendar"):
            return False
        self.head_end = end
        return True

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
        address = self._find(bare, at, addresses)
        name = self._find(bare, at, names)
        ends = [*at, len(bare)]
        if len(name - address) < 200:  # a pattern counts only with a name: look there only
            pattern = {k for k in name - address
                       if any(bare.find(w, ends[k], ends[k + 1]) >= 0 for w in patterns)}
        else:
            pattern = self._find(bare, at, patterns)
        hits = address | (pattern & name)
        bounds = [*starts, len(sq)]
        if not sq.isascii():  # casefolding may make non-ASCII text match: look closer
            look = _NON_ASCII if self.words.wide else rawscan.folding()
            odd = {bisect_right(starts, m.start()) - 1 for m in look.finditer(sq, starts[0])}
            hits |= {k for k in odd - hits if self.words.look(sq[bounds[k]:bounds[k + 1]])}
        return hits

    @staticmethod
    def _find(sq: bytes, starts: list[int], words: list[bytes]) -> set[int]:
        where = set()
        for w in words:
            i = sq.find(w, starts[0])
            while i >= 0:
                k = bisect_right(starts, i) - 1
                where.add(k)
                # The rest of this event cannot add anything: go on from the next one.
                i = sq.find(w, starts[k + 1]) if k + 1 < len(starts) else -1
        return where

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

    def result(self, since: date | None, until: date | None) -> bytes:
        parts = [self.data[:self.head_end]]
        bounds = [*self.starts, len(self.data)]
        hit_uids, sure = self.hit_uids, self.sure
        kept = sure | {k for k, keys in enumerate(self.keys) if not hit_uids.isdisjoint(keys)}
        if since is not None and until is not None:
            kept -= self._outside(kept, bounds, since, until)
        run_start = run_end = -1
        for k in sorted(kept):  # neighbours are copied as one run
            a, b = bounds[k], bounds[k + 1]
            if a == run_end:
                run_end = b
                continue
            if run_start >= 0:
                parts.append(self.data[run_start:run_end])
            run_start, run_end = a, b
        if run_start >= 0:
            parts.append(self.data[run_start:run_end])
        return b"".join(parts)

    def _outside(self, kept: set[int], bounds: list[int], since: date, until: date) \
            -> set[int]:
        """The kept events select leaves out for their dates: whole UID groups of one-off
        events outside [since, until], judged by select's own test. A key group here
        holds every event of select's group (keys are looser than UIDs: one UID, one key),
        so a group all outside here is all outside there too."""
        groups: dict[bytes, list[int]] = {}
        for k in kept:
            for key in self.keys[k]:
                groups.setdefault(key, []).append(k)
        out: set[int] = set()
        for members in groups.values():
            if any(m in self.fixed or len(self.keys[m]) != 1 for m in members):
                continue
            if all(self._one_off_outside(bounds[m], bounds[m + 1], since, until)
                   for m in members):
                out.update(members)
        return out

    def _one_off_outside(self, a: int, b: int, since: date, until: date) -> bool:
        event = self.data[a:b]
        if b"\n " in event or b"\n\t" in event:
            event = icstext.unfold(event)
        low = icstext.lowered(event)
        if low.find(b"\nbegin:", 1) >= 0:  # only its own lines count, not its alarms'
            low = prefilter.own(low, (0, len(low)))
        return prefilter.outside(low, since, until)


def _unfold(chunk: bytes) -> bytes:
    """prefilter.unfold, cheaper in the common case: with every line ending in CRLF, no
    blank line and no tab continuation, icalendar's unfolding removes CRLF+space only
    (and removing those never makes a new one)."""
    if (b"\r\n\t" not in chunk and b"\r\n\r\n" not in chunk
            and chunk.count(b"\n") == chunk.count(b"\r\n")):
        return chunk.replace(b"\r\n ", b"")
    return icstext.unfold(chunk)


def precut(data: bytes, needles: prefilter.Needles, chunk: int = CHUNK,
           min_size: int = MIN_SIZE, since: date | None = None,
           until: date | None = None) -> bytes | None:
    """The feed without events select would surely drop (given the same since and until);
    None when unsure or not worth it (then select gets the whole feed)."""
    if len(data) < min_size:
        return None
    words = _Words(needles)
    if not words.usable:
        return None
    cut = _Cut(data, words)
    chunks = _chunks(data, chunk)
    for i, (c0, c1) in enumerate(chunks):
        if not cut.chunk(c0, c1, last=i == len(chunks) - 1):
            return None
    out = cut.result(since, until)
    if cut.odd:
        return out if _clean(out) else None
    # Every event in between is a clean top-level VEVENT: the head (VTIMEZONEs) and the
    # trailer decide whether the whole feed's nesting is clean.
    last = cut.starts[-1]
    return out if _clean(data[:cut.head_end] + data[last:]) else None


def _clean(feed: bytes) -> bool:
    """The cut feed's nesting is clean as select sees it (so the whole feed's is too: only
    clean top-level events were taken out)."""
    low = icstext.lowered(icstext.unfold(feed))
    return (icstext.quick_scan(low) or icstext.scan(low)).clean
