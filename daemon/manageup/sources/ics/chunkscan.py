"""What the pre-cut's two chunk readers share (plainchunk.py, anychunk.py): the boss's
words as the pre-cut compares them, finding them in squeezed text, and what a reader
reports of a chunk's events."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import re2

from manageup.away import FAST_WORDS, away_in
from manageup.sources.ics import asciiforms, prefilter, text

LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
WS = b" \t\x0b\x0c\x1c\x1d\x1e\x1f"  # whitespace inside a line (str.split's); breaks stay
OPTIONS = re2.Options()
OPTIONS.encoding = re2.Options.Encoding.LATIN1


def bare(words: str) -> str:
    """Folded as select folds (Turkish dotless i too), squeezed, without backslashes."""
    return "".join(prefilter.fold(words).split()).replace("\\", "")


class CutWords:
    """The needles as the pre-cut compares them: folded as select folds them, squeezed,
    and without backslashes (writers escape ";", "," and ":" in any mix: "1\\:1")."""

    def __init__(self, needles: prefilter.Needles) -> None:
        def squeezed(words: Iterable[str | bytes]) -> set[str]:
            return {bare(w.decode("utf-8", "replace") if isinstance(w, bytes) else w)
                    for w in words}

        self.addresses = squeezed(needles.addresses)
        self.patterns = squeezed(needles.patterns)
        self.names = squeezed(needles.names)
        every = self.addresses | self.patterns | self.names
        # With ASCII words only, a closer look is needed only where normalising makes
        # ASCII characters (asciiforms), as select's own closer look.
        self.wide = not all(w.isascii() for w in every)
        self.usable = bool(self.addresses) and "" not in every and \
            not any("\r" in w or "\n" in w for w in every)
        # A word that holds another of its group finds nothing that one does not.
        self.ascii = [sorted({w.encode() for w in group if w.isascii()
                              and not any(o != w and o in w for o in group)})
                      for group in (self.addresses, self.patterns, self.names)]

    def look(self, block: bytes) -> bool:
        """The closer look at one unfolded block, as text: select keeps a block with a
        boss address, or a pattern with a name."""
        found = bare(block.decode("utf-8", "replace"))
        return any(w in found for w in self.addresses) or (
            any(w in found for w in self.patterns) and any(w in found for w in self.names))


@dataclass
class ChunkEvents:
    """What a reader found of a chunk's events, in order."""

    starts: list[int]  # where each begins in the whole feed
    keys: list[tuple[bytes, ...]]  # its UID keys, looser than select's UIDs
    hits: set[int]  # (indexes into starts) those that mention the boss
    fixed: set[int] = field(default_factory=set)  # kept as they are, whatever their dates
    head_end: int = -1  # in the first chunk: where the feed's head ends
    odd: bool = False  # the nesting needed a look event by event


def find_events(sq: bytes, starts: list[int], words: list[bytes]) -> set[int]:
    """The events (beginning at `starts`) holding any of the words; after a hit, on from
    the next event (the rest of this one cannot add anything)."""
    where = set()
    for w in words:
        i = sq.find(w, starts[0])
        while i >= 0:
            k = bisect_right(starts, i) - 1
            where.add(k)
            i = sq.find(w, starts[k + 1]) if k + 1 < len(starts) else -1
    return where


def hits_in(sq: bytes, starts: list[int], words: Sequence[list[bytes]]) -> set[int]:
    """The events with a boss address, or with a title pattern and a boss name."""
    addresses, patterns, names = words
    name = find_events(sq, starts, names)
    bounds = [*starts, len(sq)]
    if names and all(any(n in a for n in names) for a in addresses):
        # Each address holds a name (its local part is one): an event with an address
        # is among those with a name, and the feed is scanned once instead of thrice.
        address = {k for k in name
                   if any(sq.find(a, bounds[k], bounds[k + 1]) >= 0 for a in addresses)}
    else:
        address = find_events(sq, starts, addresses)
    if len(name - address) < 200:  # a pattern counts only with a name: look there only
        pattern = {k for k in name - address
                   if any(sq.find(w, bounds[k], bounds[k + 1]) >= 0 for w in patterns)}
    else:
        pattern = find_events(sq, starts, patterns)
    return address | (pattern & name)


@lru_cache(maxsize=1)
def _any_away_word() -> Any:
    """Any of the out-of-office words, in one pass (RE2 looks for all at once)."""
    return re2.compile(b"|".join(re.escape(w) for w in FAST_WORDS), OPTIONS)


def away(sq: bytes, starts: list[int], event: Callable[[int], bytes]) -> set[int]:
    """The events select keeps as maybe the user's out-of-office time (away.py): found
    in the squeezed text first (a word there may be two words run together), then each
    judged by select's own test on its text, unfolded and lower-cased as select reads
    it. Nearly every chunk holds none of the words: one pass for all of them says so
    in a third of the time a search for each takes."""
    if _any_away_word().search(sq, starts[0]) is None:
        return set()
    return {k for k in find_events(sq, starts, list(FAST_WORDS))
            if away_in(text.lowered(text.unfold(event(k))))}


# A person line holding an escaped line break, in the unfolded, lower-cased and squeezed
# text: select looks closer at each (prefilter._BROKEN), so such events are kept here.
_BROKEN = re2.compile(rb"\n(?:attendee|organizer)[;:][^\n]*\\n", OPTIONS)


def broken(sq: bytes, starts: list[int]) -> set[int]:
    """The events with a person line holding an escaped line break ("\\n")."""
    return {bisect_right(starts, m.start()) - 1 for m in _BROKEN.finditer(sq, starts[0])}


def folding() -> Any:
    """The characters whose normal form holds ASCII ones (asciiforms), for RE2."""
    return asciiforms.finder()


def unfold(chunk: bytes) -> bytes:
    """text.unfold, cheaper in the common case: with every line ending in CRLF, no blank
    line and no tab continuation, icalendar's unfolding removes CRLF+space only (and
    removing those never makes a new one)."""
    if (b"\r\n\t" not in chunk and b"\r\n\r\n" not in chunk
            and chunk.count(b"\n") == chunk.count(b"\r\n")):
        return chunk.replace(b"\r\n ", b"")
    return text.unfold(chunk)


def balanced_head(head: bytes) -> bool:
    """The feed's head (its VCALENDAR's own lines, VTIMEZONEs), unfolded, lower-cased and
    squeezed, opens the VCALENDAR and closes everything else it opens."""
    depth = head.count(b"\nbegin:") + head.startswith(b"begin:") - head.count(b"\nend:")
    return depth == 1 and head.startswith(b"begin:vcalendar")
