"""The pre-cut's plain path (sources/ics/plainchunk.py) cuts on the raw lines without unfolding
them. Each event here is placed among ordinary ones and spelled so that the physical
lines and the unfolded ones select sees disagree; a plain path that trusted the physical
lines would drop something select keeps, or keep the feed's nesting looking clean when
it is not. select(precut(feed)) must stay byte for byte select(feed)."""

from __future__ import annotations

import pytest

from benchmarks.generate import generate
from manageup.sources.ics import anychunk
from manageup.sources.ics.precut import precut
from manageup.sources.ics.prefilter import select
from tests.unit.test_precut import RANGE, same
from tests.unit.test_prefilter import needles

SERIES = b"boss-weekly-1on1@example.com"


def event(*lines: bytes) -> bytes:
    body = b"".join(line + b"\r\n" for line in lines)
    return b"BEGIN:VEVENT\r\n" + body + b"END:VEVENT\r\n"


def plain_event(uid: bytes, *extra: bytes) -> bytes:
    return event(b"UID:" + uid, b"DTSTAMP:20260101T000000Z",
                 b"DTSTART:20261124T100000Z", b"DTEND:20261124T103000Z",
                 b"SUMMARY:Vendor sync", b"ATTENDEE:mailto:pat@example.com", *extra)


# An override of the boss's weekly series that names nobody: select keeps it with its
# series only when it sees the series' UID in it.
def override(uid_line: bytes) -> bytes:
    return event(uid_line, b"DTSTAMP:20260101T000000Z",
                 b"RECURRENCE-ID:20261126T090000Z", b"DTSTART:20261126T110000Z",
                 b"DTEND:20261126T113000Z", b"SUMMARY:Moved")


CASES = {
    "begin hidden by a fold": plain_event(b"a1", b"BEG", b" IN:VALARM"),
    "end hidden by a fold": plain_event(b"a2", b"EN", b" D:VEVENT"),
    "begin in lower case": plain_event(b"a3", b"begin:valarm"),
    "begin in mixed case": plain_event(b"a4", b"Begin:VALARM"),
    "end of another component": plain_event(b"a5", b"END:VALARM"),
    "nested alarm": plain_event(b"a6", b"BEGIN:VALARM", b"ACTION:DISPLAY", b"END:VALARM"),
    "start line continued": b"BEGIN:VEVENT\r\n X-ODD:1\r\nUID:a7\r\nEND:VEVENT\r\n",
    "blank line before a continuation": plain_event(b"a8", b"X-A:1", b"", b" more"),
    "blank line": plain_event(b"a9", b"X-A:1", b""),
    "end twice": plain_event(b"a10") + b"END:VEVENT\r\n",
    "end missing": plain_event(b"a11").removesuffix(b"END:VEVENT\r\n"),
    "tab fold": plain_event(b"a12", b"DESCRIPTION:long", b"\ttext"),
    "uid hidden by a fold": override(b"U\r\n ID:" + SERIES),
    "uid in lower case": override(b"uid:" + SERIES),
    "uid in mixed case": override(b"Uid:" + SERIES),
    "uid folded in its value": override(b"UID:boss-weekly-1on1@exa\r\n mple.com"),
    "uid with a parameter": override(b"UID;X-A=\"b:c\":" + SERIES),
    "uid escaped": override(b"UID:boss-weekly-1on1@example\\.com"),
    "boss address split by a fold": plain_event(
        b"a13", b"ATTENDEE:mailto:sam@exa", b" mple.com", b"ORGANIZER:mailto:alex@example.com"),
    "boss address in capitals": plain_event(b"a14", b"ATTENDEE:mailto:SAM@EXAMPLE.COM"),
    "begin:vevent in a text": plain_event(b"a15", b"DESCRIPTION:BEGIN:VEVENT"),
    "two uids": plain_event(b"a16", b"UID:" + SERIES),
    "no uid": event(b"DTSTART:20261124T100000Z", b"SUMMARY:x"),
    "lf only": plain_event(b"a17").replace(b"\r\n", b"\n"),
    "short line": plain_event(b"a18", b"X:1"),
}


# The cases whose nesting select reads as broken (it passes the feed on whole): the
# pre-cut must give up on them too. Every other case is cut, by one path or the other.
NOT_CLEAN = {"begin hidden by a fold", "end hidden by a fold", "begin in lower case",
             "begin in mixed case", "end of another component", "start line continued",
             "end twice", "end missing"}


@pytest.mark.parametrize(("name", "block"), CASES.items(), ids=CASES.keys())
@pytest.mark.parametrize("chunk", [1 << 20, 3000])
def test_odd_spelling_changes_nothing(name: str, block: bytes, chunk: int) -> None:
    data = generate(400, seed=11).encode()
    at = data.index(b"BEGIN:VEVENT", len(data) // 2)
    same(data[:at] + block + data[at:], chunk, cut=name not in NOT_CLEAN)


def test_plain_feed_is_cut_without_the_slow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A feed as generators write it never needs unfolding: the slow path is not used."""
    def refuse(*_args: object) -> bool:
        raise AssertionError("slow path used")

    monkeypatch.setattr(anychunk, "read", refuse)
    data = generate(3000, seed=5).encode()
    for chunk in (20_000, 1 << 20):
        cut = precut(data, needles(), chunk=chunk, min_size=0)
        assert cut is not None and len(cut) < len(data) // 10
        same(data, chunk, cut=True)
        # With select's date range too, still on the plain path only: the one-off boss
        # events outside the range go as well, and select keeps what it keeps.
        in_range = precut(data, needles(), chunk=chunk, min_size=0, since=RANGE[0],
                          until=RANGE[1])
        assert in_range is not None and len(in_range) < len(cut)
        assert select(in_range, needles(), *RANGE)[0] == select(data, needles(), *RANGE)[0]


def test_an_address_that_holds_no_name_is_looked_for_on_its_own() -> None:
    """The plain path looks for addresses only where a name is when every address holds
    one (its local part is a name); here one does not ("s@", too short to be a name)."""
    from manageup.sources.ics.prefilter import Needles, select

    words = Needles(["s@example.com", "sam@example.com"], ["1:1"], ["Sam Rivera", "Sam"], 3)
    data = generate(400, seed=11).encode()
    at = data.index(b"BEGIN:VEVENT", len(data) // 2)
    data = data[:at] + plain_event(b"only-s", b"ATTENDEE:mailto:s@example.com") + data[at:]
    cut = precut(data, words, chunk=1 << 20, min_size=0)
    assert cut is not None and b"UID:only-s" in cut
    assert select(cut, words)[0] == select(data, words)[0]
