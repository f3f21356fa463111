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
from manageup.sources.ics.text import UID_LINE

# A group with fewer events is left to select: thinning it costs more than it saves.
THIN_MIN = 32
_TRAILER = (b"end:vcalendar\r\n", b"end:vcalendar\n", b"end:vcalendar")
_BATCH = 256  # events unfolded and lower-cased at once: the batch's copies are transient


def _read(data: bytes, spans: Sequence[tuple[int, int]], last: int | None) \
        -> tuple[dict[int, bytes], dict[int, bytes], dict[int, bytes]] | None:
    """Each event as select reads it (unfolded, lower-cased, without its VALARMs), its UID
    as written and its UID as select keys it, a batch of events at a time (text.lowered
    keeps every offset, so a batch is lowered at once and cut where each event ends):
    only the lower-cased views stay, one copy of the group's events. The feed's last
    event carries the trailer: its view ends at its END:VEVENT line; None when anything
    but END:VCALENDAR follows."""
    blocks: dict[int, bytes] = {}
    exact: dict[int, bytes] = {}
    uids: dict[int, bytes] = {}
    for at in range(0, len(spans), _BATCH):
        texts = [unfold(data[a:b]) for a, b in spans[at:at + _BATCH]]
        low = text.lowered(b"".join(texts))
        ends = list(accumulate(map(len, texts)))
        for k, (a, b) in enumerate(zip([0, *ends], ends, strict=False)):
            i, view, raw = at + k, low[a:b], texts[k]
            if i == last:
                close = view.rfind(b"\nend:vevent")
                cut = text.line_end(view, close + 1)
                if close < 0 or view[cut:] not in _TRAILER:
                    return None
                view, raw = view[:cut], raw[:cut]
            if view.find(b"\nbegin:", 1) >= 0:  # a VALARM: only the event's own lines
                blocks[i] = prefilter.own(view, (0, len(view)))
                exact[i] = prefilter.exact_uid(raw, view, (0, len(view)))
                uids[i] = prefilter.block_uid(blocks[i])
                continue
            # Nothing nested: the first UID line is the event's, as written and as select
            # keys it (exact_uid and block_uid, from one search).
            blocks[i] = view
            m = UID_LINE.search(view)
            exact[i] = text.value_of(raw[m.start() + 3:m.end()]).strip() if m else b""
            uids[i] = text.value_of(m.group(0)[3:]).replace(b"\\", b"").strip() if m else b""
    return blocks, exact, uids


def stale(data: bytes, spans: Sequence[tuple[int, int]], last: int | None, key: bytes,
          head: bytes, needles: prefilter.Needles, since: date, until: date) -> set[int]:
    """Which of a group's events (spans: where in the feed each event is that has the UID
    key `key`, as the pre-cut makes keys; last: which of them ends the feed, if one does)
    select surely leaves out as stale overrides."""
    read = _read(data, spans, last)
    if read is None:
        return set()
    blocks, exact, uid_of = read
    # Each event's own UID must be the key: an event here only for its VALARM's UID
    # belongs to another group of select's, which may have events elsewhere.
    if any(uid.translate(None, WS) != key for uid in uid_of.values()):
        return set()
    drop = stale_blocks(blocks, uid_of, since, until, exact.__getitem__) - {last}
    del blocks
    if not drop:
        return drop
    rest = b"".join(data[a:b] for i, (a, b) in enumerate(spans) if i not in drop)
    if last is None or last in drop:
        rest += b"END:VCALENDAR\r\n"
    if prefilter.select(head + rest, needles, since, until)[1] == 0:
        return set()  # only dropped events made select want the group
    return drop
