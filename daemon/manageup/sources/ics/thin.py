"""The pre-cut's last step: a series' stale overrides, left out before select reads them.

A feed made of years of a daily 1:1's moved instances is one UID group of thousands of
events, all mentioning the boss: the chunk readers keep every one, and select then reads
the whole feed again only to drop the overrides whose instance was, and now is, far from
the window (stale.py). Here those are found by select's own test on select's own
view of each event (unfolded, lower-cased, without its VALARMs), with every event of the
group at hand, so exactly the events select would drop go, and select reads only the rest.

One thing select decides on the whole group could still change: whether the group is
wanted at all, when only dropped events mention the boss closely enough. So select reads
the group without them first; if it no longer keeps the group, nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import accumulate

from manageup.sources.ics import prefilter, text
from manageup.sources.ics.chunkscan import WS, unfold
from manageup.sources.ics.stale import stale_blocks

# A group with fewer events is left to select: thinning it costs more than it saves.
THIN_MIN = 32
_TRAILER = (b"end:vcalendar\r\n", b"end:vcalendar\n", b"end:vcalendar")


def _views(raws: Sequence[bytes], last: int | None) -> tuple[list[bytes], list[bytes]] | None:
    """Each event unfolded, and lower-cased as select reads it (text.lowered keeps every
    offset, so the group is lowered at once and cut where each event ends). The feed's
    last event carries the trailer: its view ends at its END:VEVENT line, None when
    anything but END:VCALENDAR follows."""
    texts = [unfold(r) for r in raws]
    low = text.lowered(b"".join(texts))
    ends = list(accumulate(map(len, texts)))
    lows = [low[a:b] for a, b in zip([0, *ends], ends, strict=False)]
    if last is not None:
        view = lows[last]
        close = view.rfind(b"\nend:vevent")
        if close < 0:
            return None
        cut = text.line_end(view, close + 1)
        if view[cut:] not in _TRAILER:
            return None
        lows[last], texts[last] = view[:cut], texts[last][:cut]
    return texts, lows


def stale(raws: Sequence[bytes], last: int | None, key: bytes, head: bytes,
          needles: prefilter.Needles, since: date, until: date) -> set[int]:
    """Which of a group's events (raws: every event of the feed that has the UID key
    `key`, as the pre-cut makes keys; last: which of them ends the feed, if one does)
    select surely leaves out as stale overrides."""
    views = _views(raws, last)
    if views is None:
        return set()
    texts, lows = views
    blocks = {i: prefilter.own(low, (0, len(low))) if low.find(b"\nbegin:", 1) >= 0 else low
              for i, low in enumerate(lows)}
    uid_of = {i: prefilter.block_uid(block) for i, block in blocks.items()}
    # Each event's own UID must be the key: an event here only for its VALARM's UID
    # belongs to another group of select's, which may have events elsewhere.
    if any(uid.translate(None, WS) != key for uid in uid_of.values()):
        return set()

    def exact(i: int) -> bytes:
        return prefilter.exact_uid(texts[i], lows[i], (0, len(lows[i])))

    drop = stale_blocks(blocks, uid_of, since, until, exact) - {last}
    if not drop:
        return drop
    rest = b"".join(r for i, r in enumerate(raws) if i not in drop)
    if last is None or last in drop:
        rest += b"END:VCALENDAR\r\n"
    if prefilter.select(head + rest, needles, since, until)[1] == 0:
        return set()  # only dropped events made select want the group
    return drop
