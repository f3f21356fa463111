"""Before the prefilter: drop the events that surely have nothing to do with the boss,
one chunk of the raw feed at a time.

The prefilter (prefilter.select) judges every event exactly, but it holds the whole feed
unfolded and lower-cased at once: on a 15 MB feed that is two more copies of it and most of
a preview's time. This pass reads the feed in chunks of a quarter megabyte, cut where an
event begins: a plain chunk on its raw lines (plainchunk.py), any other unfolded first
(anychunk.py). It drops only an event that is, for sure,
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

from datetime import date

from manageup.sources.ics import anychunk, plainchunk, prefilter, text, thin
from manageup.sources.ics.chunkscan import ChunkEvents, CutWords

CHUNK = 1 << 18  # a quarter megabyte: each chunk's copies are the transient memory
MIN_SIZE = 1 << 20  # below this select alone is fast and small enough
_RAW_START = b"\nBEGIN:VEVENT"


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


class _Cut:
    """Every event of the feed in order, as the chunk readers report them."""

    def __init__(self, data: bytes, needles: prefilter.Needles | None = None,
                 thin_min: int = thin.THIN_MIN) -> None:
        self.data = data
        self.needles, self.thin_min = needles, thin_min
        self.hit_uids: set[bytes] = set()
        # Where each event begins in the raw feed, its UID keys, and whether it is kept
        # whatever its UID (a boss hit, or a shape this pass does not drop).
        self.starts: list[int] = []
        self.keys: list[tuple[bytes, ...]] = []
        self.sure: set[int] = set()
        self.fixed: set[int] = set()  # kept as they are, whatever their dates
        self.head_end = -1
        self.odd = False  # some chunk needed the slow look at its events' nesting

    def add(self, found: ChunkEvents) -> None:
        base = len(self.starts)
        for k in found.hits:
            self.hit_uids.update(found.keys[k])
        self.sure |= {base + k for k in found.hits | found.fixed}
        self.fixed |= {base + k for k in found.fixed}
        self.starts.extend(found.starts)
        self.keys.extend(found.keys)
        if found.head_end >= 0:
            self.head_end = found.head_end
        self.odd = self.odd or found.odd

    def result(self, since: date | None, until: date | None) -> bytes:
        parts = [self.data[:self.head_end]]
        bounds = [*self.starts, len(self.data)]
        hit_uids, sure = self.hit_uids, self.sure
        kept = sure | {k for k, keys in enumerate(self.keys) if not hit_uids.isdisjoint(keys)}
        if since is not None and until is not None:
            kept -= self._outside(kept, bounds, since, until)
            kept -= self._stale(kept, bounds, since, until)
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

    def _groups(self, kept: set[int]) -> dict[bytes, list[int]]:
        """The kept events under each UID key (an event with several keys is in each)."""
        groups: dict[bytes, list[int]] = {}
        for k in kept:
            for key in dict.fromkeys(self.keys[k]):  # two UID lines alike: in it once
                groups.setdefault(key, []).append(k)
        return groups

    def _outside(self, kept: set[int], bounds: list[int], since: date, until: date) \
            -> set[int]:
        """The kept events select leaves out for their dates: whole UID groups of one-off
        events outside [since, until], judged by select's own test. A key group here
        holds every event of select's group (keys are looser than UIDs: one UID, one key),
        so a group all outside here is all outside there too."""
        out: set[int] = set()
        for members in self._groups(kept).values():
            if any(m in self.fixed or len(self.keys[m]) != 1 for m in members):
                continue
            if all(self._one_off_outside(bounds[m], bounds[m + 1], since, until)
                   for m in members):
                out.update(members)
        return out

    def _stale(self, kept: set[int], bounds: list[int], since: date, until: date) \
            -> set[int]:
        """The stale overrides select leaves out (thin.py), in each UID key group big
        enough to be worth it. A group with an event this pass keeps as it is, for its
        shape, is left whole: select may see its events otherwise."""
        assert self.needles is not None
        last = len(self.starts) - 1
        out: set[int] = set()
        for key, members in self._groups(kept).items():
            if len(members) < self.thin_min or any(m in self.fixed and m != last
                                                   for m in members):
                continue
            members.sort()
            spans = [(bounds[m], bounds[m + 1]) for m in members]
            at = len(members) - 1 if members[-1] == last else None
            drop = thin.stale(self.data, spans, at, key, self.data[:self.head_end],
                              self.needles, since, until)
            out.update(members[i] for i in drop)
        return out

    def _one_off_outside(self, a: int, b: int, since: date, until: date) -> bool:
        event = self.data[a:b]
        if b"\n " in event or b"\n\t" in event:
            event = text.unfold(event)
        low = text.lowered(event)
        if low.find(b"\nbegin:", 1) >= 0:  # only its own lines count, not its alarms'
            low = prefilter.own(low, (0, len(low)))
        return prefilter.outside(low, since, until)


def precut(data: bytes, needles: prefilter.Needles, chunk: int = CHUNK,
           min_size: int = MIN_SIZE, since: date | None = None,
           until: date | None = None, thin_min: int = thin.THIN_MIN) -> bytes | None:
    """The feed without events select would surely drop (given the same since and until);
    None when unsure or not worth it (then select gets the whole feed)."""
    if len(data) < min_size:
        return None
    words = CutWords(needles)
    if not words.usable:
        return None
    cut = _Cut(data, needles, thin_min)
    chunks = _chunks(data, chunk)
    for i, (c0, c1) in enumerate(chunks):
        last = i == len(chunks) - 1
        found = plainchunk.read(data, c0, c1, last, words) or \
            anychunk.read(data, c0, c1, last, words)
        if found is None:
            return None
        cut.add(found)
    out = cut.result(since, until)
    if cut.odd:
        return out if _clean(out) else None
    # Every event in between is a clean top-level VEVENT: the head (VTIMEZONEs) and the
    # trailer decide whether the whole feed's nesting is clean.
    trailer = cut.starts[-1]
    return out if _clean(data[:cut.head_end] + data[trailer:]) else None


def _clean(feed: bytes) -> bool:
    """The cut feed's nesting is clean as select sees it (so the whole feed's is too: only
    clean top-level events were taken out)."""
    low = text.lowered(text.unfold(feed))
    return (text.quick_scan(low) or text.scan(low)).clean
