"""The pre-cut's fast look at one chunk of a feed, on the raw bytes: is the chunk plain
(only top-level VEVENTs, written the way nearly every feed writes them), and which of its
events mention the boss?

Plain means no line that unfolding could turn into a BEGIN, END or UID line, and no such
line spelled other than in capitals; so the physical lines are the ones select sees after
unfolding, and the chunk is cut where they say. Anything else returns None and the
pre-cut's look at any chunk (anychunk.py: unfolding, as select does) takes it.

RE2 does the looking: one linear-time pass checks every rule at once, byte-wise (Latin-1
mode, so no byte sequence escapes a class), and the boss's words are found however a line
fold or blanks split them, with no unfolded or lower-cased copy of the chunk.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from operator import methodcaller

import re2

from manageup.sources.ics import text
from manageup.sources.ics.chunkscan import (
    LOWER,
    OPTIONS,
    WS,
    ChunkEvents,
    CutWords,
    away,
    balanced_head,
    folding,
    hits_in,
    unfold,
)

_GAP = rb"(?:[ \t\x0b\x0c\x1c-\x1f]|\r?\n[ \t])*"  # blanks or a fold, on the raw lines


def _name(word: bytes) -> bytes:
    """A property name in any case, however blanks or folds split it."""
    return _GAP.join(b"[%c%c]" % (c, c ^ 32) for c in word) + _GAP


# A chunk is not plain either when a person line holds an escaped line break: the look
# at any chunk keeps its event, as select looks closer at it. Searched for only after an
# escape is found: the search for any escape is twenty times faster.
_ESCAPE = re2.compile(rb"\\(?:\r?\n[ \t])?[nN]", OPTIONS)
_BROKEN = re2.compile(rb"\n(?:" + _name(b"attendee") + rb"|" + _name(b"organizer") +
                      rb")[;:](?:[^\n]|\n[ \t])*\\(?:\r?\n[ \t])?[nN]", OPTIONS)
# A chunk is not plain when, after a line break, comes any of:
_NOT_PLAIN = re2.compile(
    rb"\n(?:"
    rb"[^A-Z \t]"  # a blank line, or one that does not begin with a capital
    rb"|[^\r\n]{0,5}\r?\n[ \t]"  # a short line continued: "BEG" + fold + "IN:VALARM"
    # a name with an odd character, which icalendar may strip ("BEGIN :VALARM", "U ID:")
    rb"|[BEU][A-Za-z0-9-]*[^A-Za-z0-9:;\r\n-]"
    rb"|B(?:e[gG][iI][nN]|Eg[iI][nN]|EGi[nN]|EGIn):|E(?:n[dD]|Nd):|U(?:i[dD]|Id)[:;]"
    rb"|(?:BEGIN|END):(?:[^V]|V[^E]|VE[^V]|VEV[^E]|VEVE[^N]|VEVEN[^T]|VEVENT[^\r\n]"
    rb"|VEVENT\r[^\n]|VEVENT\r?\n[ \t])"  # any component but a VEVENT, or a VEVENT's odd
    rb"|END:VEVENT\r?\n(?:[^B]|B[^E]|BE[^G]|BEG[^I]|BEGI[^N]|BEGIN[^:])"  # not the next
    rb")", OPTIONS)
_START = b"\nBEGIN:VEVENT"
_UID = re.compile(rb"\nUID([;:][^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)")
_FOLD = re.compile(rb"\r?\n[ \t]")
_BLANKS = b" \t\r\n" + WS


class Plain:
    """A plain chunk's events: where each begins (offsets into the chunk), their UID keys
    (as the slow path makes them: lower case, squeezed, without backslashes), and which
    mention the boss."""

    def __init__(self, raw: bytes, frm: int) -> None:
        """raw[frm:] begins with b"\\nBEGIN:VEVENT"."""
        self.raw, self.frm = raw, frm
        parts = raw[frm:].split(_START)
        # parts[0] is empty; each separator is 13 bytes and the event begins after its
        # newline.
        self.starts = [frm - 12 + c for c in accumulate(len(p) + 13 for p in parts[:-1])]
        self.parts = parts[1:]  # each event without its first line; the last runs to the end
        self.n = len(self.parts)

    def keys(self) -> list[bytes] | None:
        """Each event's UID key; None unless every event has exactly one UID line."""
        found = _UID.findall(self.raw, self.frm)
        if len(found) != self.n or set(map(methodcaller("count", b"\nUID"), self.parts)) != {1}:
            return None
        # Values taken together, at C speed; NUL cannot be in a line of a feed select
        # cuts (it would be left whole), so it is safe to join on.
        joined = b"\0".join(found)
        if b"\n" in joined:
            joined = _FOLD.sub(b"", joined)
        if b"\0;" in joined or joined.startswith(b";") or joined.count(b"\0") != self.n - 1:
            values = [u[1:] if u[:1] == b":" else text.value_of(u) for u in joined.split(b"\0")]
            joined = b"\0".join(values)
        else:
            joined = joined[1:].replace(b"\0:", b"\0")
        joined = joined.translate(LOWER, WS).replace(b"\\", b"")
        keys = joined.split(b"\0")
        return keys if len(keys) == self.n else None

    def hits(self, words: Sequence[list[bytes]]) -> set[int] | None:
        """The events with a boss address, or with a title pattern and a boss name, found
        as the slow path finds them: in the chunk lower-cased with every blank and line
        break squeezed out. None when the squeezed text does not show each event's start
        once (a "BEGIN:VEVENT" in some text)."""
        sq = self.raw[self.frm:].translate(LOWER, _BLANKS + b"\\")
        parts = sq.split(b"begin:vevent")
        if len(parts) != self.n + 1:
            return None
        starts = [c - 12 for c in accumulate(len(p) + 12 for p in parts[:-1])]
        self.sq, self.sq_starts = sq, starts
        return hits_in(sq, starts, words)

    def not_ascii(self) -> list[int]:
        """The events holding any byte above 127."""
        return [k for k, ok in enumerate(map(bytes.isascii, self.parts)) if not ok]

    def folding(self) -> set[int]:
        """The events holding a character whose normal form holds ASCII ones (looked
        for in the squeezed text of hits(), where a fold splits no character)."""
        return {bisect_right(self.sq_starts, m.start()) - 1
                for m in folding().finditer(self.sq)}

    def event(self, k: int) -> bytes:
        end = self.starts[k + 1] if k + 1 < self.n else len(self.raw)
        return self.raw[self.starts[k]:end]



def plain(raw: bytes, frm: int, upto: int, events: int) -> bool:
    """No line in raw[frm:upto] breaks the plain shape (see the module's doc), and each of
    its `events` events but the first follows an END:VEVENT line (every END:VEVENT is
    followed by a BEGIN: so the events alternate with their ends, one each)."""
    ends = raw.count(b"\nEND:VEVENT\r\nBEGIN:VEVENT", frm, upto + 14)
    if ends != events - 1:
        ends += raw.count(b"\nEND:VEVENT\nBEGIN:VEVENT", frm, upto + 13)
    return ends == events - 1 and _NOT_PLAIN.search(raw, frm, upto) is None and (
        _ESCAPE.search(raw, frm, upto) is None or _BROKEN.search(raw, frm, upto) is None)


def read(data: bytes, c0: int, c1: int, last: bool, words: CutWords) -> ChunkEvents | None:
    """The events of data[c0:c1] when the chunk is plain; None for any other."""
    # A newline before the chunk, so that every line start follows one.
    raw = b"\n" + data[:c1] if c0 == 0 else data[c0 - 1:c1]
    frm = raw.find(b"\nBEGIN:VEVENT")
    if frm < 0 or (c0 > 0 and frm != 0):
        return None
    if not last and not raw.endswith((b"\nEND:VEVENT\r\n", b"\nEND:VEVENT\n")):
        return None
    chunk = Plain(raw, frm)
    # The last event of the feed holds the trailer: kept whole, so not looked at.
    if not plain(raw, frm, chunk.starts[-1] - 1 if last else len(raw), chunk.n):
        return None
    head_end = -1
    if c0 == 0:
        if not balanced_head(unfold(data[:frm]).translate(LOWER, WS)):
            return None
        head_end = frm
    keys = chunk.keys()
    hits = chunk.hits(words.ascii) if keys is not None else None
    if keys is None or hits is None:
        return None
    hits |= away(chunk.sq, chunk.sq_starts, chunk.event)
    # Normalising may make non-ASCII text match: only some characters become ASCII.
    odd = chunk.not_ascii()
    for k in odd if words.wide or not odd else chunk.folding():
        # Unfolded first: a fold may split a UTF-8 sequence.
        if k not in hits and words.look(text.unfold(chunk.event(k))):
            hits.add(k)
    return ChunkEvents(starts=[c0 - 1 + s for s in chunk.starts],
                       keys=[(key,) for key in keys], hits=hits,
                       fixed={chunk.n - 1} if last else set(), head_end=head_end)
