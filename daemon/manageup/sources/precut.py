"""Before the prefilter: drop the events that surely have nothing to do with the boss,
one chunk of the raw feed at a time.

The prefilter (prefilter.select) judges every event exactly, but it holds the whole feed
unfolded and lower-cased at once: on a 15 MB feed that is two more copies of it and most of
a preview's time. This pass reads the feed in chunks of about a megabyte, cut where an
event begins: a plain chunk on its raw lines (rawscan.py), any other unfolded first
(precutslow.py). It drops only an event that is, for sure,
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

from collections.abc import Iterable
from datetime import date

from manageup.sources import icstext, prefilter, rawscan
from manageup.sources.precutslow import _LOWER, _WS, AnyChunk, _unfold

CHUNK = 1 << 20
MIN_SIZE = 1 << 20  # below this select alone is fast and small enough
_RAW_START = b"\nBEGIN:VEVENT"


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


class _Cut(AnyChunk):
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
