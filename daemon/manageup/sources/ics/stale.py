"""Stale overrides: a moved or cancelled single instance of a series that lies, where it
was and where it moved to, surely outside the dates a cut feed is read for. select
(prefilter.py) leaves them out of what it keeps, and the pre-cut (thin.py) leaves out the
same ones before select reads the feed: both judge them with these functions, on the
unfolded, lower-cased text of each event without its VALARMs."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from manageup.sources.ics.text import line_end, value_of


def date_of(block: bytes, prop: bytes) -> date | None:
    """The date (its first eight digits) of the first `prop` line of a block; None when
    there is none or it is not a date."""
    i = block.find(b"\n" + prop)
    while i >= 0 and block[i + 1 + len(prop):i + 2 + len(prop)] not in (b":", b";"):
        i = block.find(b"\n" + prop, i + 1)  # "dtend-x" is not "dtend"
    if i < 0:
        return None
    line = block[i + 1:line_end(block, i + 1)]
    value = value_of(line[len(prop):]).strip()[:8]
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _stale_at(block: bytes, since: date, until: date) -> date | None:
    """Where the instance was, for a stale override; else None. A stale override is one of
    one instance (RECURRENCE-ID, no RANGE) that lies surely outside [since, until] both
    where the instance was and where it moved to: expanding the series over that range
    gives the same occurrences without it. Unsure means no. Every
    line is found by a search at C speed: a series of thousands of moved instances is
    thousands of blocks."""
    rid = block.find(b"\nrecurrence-id") + 14  # where the line goes on after the name
    if rid < 14 or block.find(b"\nrecurrence-id", rid) >= 0 or any(
            w in block for w in (b"\nrrule", b"\nrdate", b"\nexdate", b"\nduration")):
        return None
    if b"range" in block[rid:line_end(block, rid)]:
        return None  # THISANDFUTURE changes every later instance too ("RANGE =" also)
    sequence = block.find(b"\nsequence") + 9
    if sequence >= 9 and (block.find(b"\nsequence", sequence) >= 0 or not _SEQUENCE.fullmatch(
            value_of(block[sequence:line_end(block, sequence)]).strip())):
        return None  # one the expansion cannot compare fails the whole series
    was = date_of(block, b"recurrence-id")
    if was is None or since <= was <= until:
        return None
    start = date_of(block, b"dtstart")
    end = date_of(block, b"dtend") or start
    if start is None or end is None or end < start:
        return None
    return was if end < since or start > until else None


_SEQUENCE = re.compile(rb"[0-9]{1,9}")
_RECURRENCE_ID = re.compile(rb"\nrecurrence-id[;:][^\r\n]*")


def stale_blocks(blocks: dict[int, bytes], uid_of: dict[int, bytes], since: date,
           until: date, exact: Callable[[int], bytes]) -> set[int]:
    """The stale overrides (_stale_at) among the blocks, left out only where that
    changes nothing: in a series with a master (RRULE or RDATE) under one UID spelled
    alike (the parse keys the instances of a series, and a lone override without its
    series as a one-off), not in one with a RANGE override (it moves the instance a stale
    one replaced, maybe into the range), nor beside another override of the same instance
    (give or take a day for time zones) that is not stale (the parse may take either).
    In a series with an override that is not stale, the first stale one stays: when the
    parse refuses the master (a bad RRULE or DTSTART), the overrides alone are the
    series, and one in the window is read as a moved instance only beside another."""
    where = {i: was for i, b in blocks.items()
             if (was := _stale_at(b, since, until)) is not None}
    stale = set(where)
    if not stale:
        return stale
    groups = {uid_of[i] for i in stale}
    spelled: dict[bytes, set[bytes]] = {}
    mastered: set[bytes] = set()
    for i, block in blocks.items():
        if uid_of[i] in groups:
            spelled.setdefault(uid_of[i], set()).add(exact(i))
            if b"\nrecurrence-id" not in block and (b"\nrrule" in block or b"\nrdate" in block):
                mastered.add(uid_of[i])
    unsure = {g for g in groups if g not in mastered or len(spelled[g]) != 1}
    taken: dict[bytes, set[date | None]] = {}
    live: set[bytes] = set()  # the series with an override that is not stale
    for i, block in blocks.items():
        if i in stale or b"\nrecurrence-id" not in block:
            continue
        live.add(uid_of[i])
        for m in _RECURRENCE_ID.finditer(block):
            if b"range" in m.group(0):
                unsure.add(uid_of[i])
            taken.setdefault(uid_of[i], set()).add(date_of(m.group(0), b"recurrence-id"))
    one_day = timedelta(days=1)

    def clash(i: int) -> bool:
        was, others = where[i], taken.get(uid_of[i], set())
        return None in others or bool({was - one_day, was, was + one_day} & others)

    drop = {i for i in stale if uid_of[i] not in unsure and not clash(i)}
    first: dict[bytes, int] = {}
    for i in sorted(stale):  # blocks are numbered in the feed's order, here and in thin.py
        if uid_of[i] in live:
            first.setdefault(uid_of[i], i)
    return drop - set(first.values())
