"""The chunked pre-cut never changes what the prefilter keeps: select(precut(feed)) is byte
for byte select(feed), on every fixture, generated big feeds and fuzzed feeds, with chunks
small enough that every feed is cut into many."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from manageup.sources.ics.lines import readable
from manageup.sources.ics.precut import precut
from manageup.sources.ics.prefilter import select
from tests.conftest import ICS, ROOT
from tests.unit.test_prefilter import feeds, needles

RANGE = (date(2026, 7, 20), date(2027, 1, 1))
FILES = [*sorted(ICS.glob("*.ics")), ROOT / "examples" / "calendar.ics"]


def same(data: bytes, chunk: int = 600, *, cut: bool | None) -> bytes | None:
    """The pre-cut, without and with select's date range, changes nothing select keeps.
    `cut`: whether the pre-cut is expected to cut this feed (True) or to give up and leave
    it to select (False), so a pre-cut that always gave up would fail; None only for
    fuzzed feeds, whose outcome nobody chose."""
    whole = precut(data, needles(), chunk=chunk, min_size=0)
    if cut is not None:
        assert (whole is not None) == cut, "cut expected" if cut else "refusal expected"
    if whole is not None:
        assert len(whole) <= len(data)
        assert select(whole, needles())[0] == select(data, needles())[0]
        assert select(whole, needles(), *RANGE)[0] == select(data, needles(), *RANGE)[0]
    in_range = precut(data, needles(), chunk=chunk, min_size=0, since=RANGE[0],
                      until=RANGE[1])
    assert (in_range is None) == (whole is None)
    if in_range is not None:
        assert len(in_range) <= len(whole or data)
        assert select(in_range, needles(), *RANGE)[0] == select(data, needles(), *RANGE)[0]
    return whole


# The fixtures the pre-cut leaves whole to select, and why: select passes a feed whose
# nesting is not clean on whole (the full parse repairs it and names what it skipped).
REFUSED = {
    "bare_vevent_feed.ics": "no VCALENDAR around the events",
    "concatenated_vcalendars.ics": "a second VCALENDAR after the first",
    "component_name_with_blanks.ics": "an event begun by a line other than BEGIN:VEVENT",
    "unterminated_last_event.ics": "an event never ended",
    "unterminated_only_event.ics": "an event never ended",
}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_fixture(path: Path) -> None:
    # As the source hands it over: line ends and what precedes BEGIN:VCALENDAR read.
    same(readable(path.read_bytes()), cut=path.name not in REFUSED)


def test_generated_feed_is_cut_to_a_few_percent() -> None:
    data = generate(3000, seed=5).encode()
    for chunk in (700, 20_000, 1 << 20):
        cut = same(data, chunk, cut=True)
        assert cut is not None and len(cut) < len(data) // 10


@pytest.mark.parametrize("tail", [
    b"",  # END:VCALENDAR missing: select passes the whole feed on; so must precut
    b"END:VCALENDAR\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",
    b"BEGIN:VEVENT\r\nUID:open\r\nDTSTART:20261201T100000Z\r\n",  # unterminated
])
def test_broken_trailer_changes_nothing(tail: bytes) -> None:
    data = generate(400, seed=9).encode().removesuffix(b"END:VCALENDAR\r\n") + tail
    same(data, cut=False)


def test_odd_events_between_are_kept_or_refused() -> None:
    data = generate(400, seed=4).encode()
    odd = {  # block: whether the pre-cut can cut around it
        b"BEGIN:VEVENT\r\nUID:n\r\nBEGIN:VEVENT\r\nUID:m\r\nEND:VEVENT\r\nEND:VEVENT\r\n": False,
        b"BEGIN:VEVENT\r\nUID:a\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\n"
        b"END:VEVENT\r\n": True,
        b"BEGIN:VEVENT\r\nUID:t\r\nEND:VEVENT\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\n"
        b"END:VTIMEZONE\r\n": True,
        b"BEGIN:VEVENT\r\nUID:s\r\nEND:VALARM\r\nEND:VEVENT\r\n": False,
        b"begin:vevent\r\nuid:lower\r\nattendee:mailto:SAM@example.com\r\nend:vevent\r\n":
            False,
    }
    at = data.index(b"BEGIN:VEVENT", len(data) // 2)
    for block, cut in odd.items():
        same(data[:at] + block + data[at:], cut=cut)


def test_one_off_boss_events_outside_the_range_are_cut_too() -> None:
    data = generate(3000, seed=5).encode()
    cut = precut(data, needles(), min_size=0)
    in_range = precut(data, needles(), min_size=0, since=RANGE[0], until=RANGE[1])
    assert cut is not None and in_range is not None
    assert len(in_range) < len(cut) // 2
    # The weekly series and its overrides stay whole: they are not one-off events.
    series = b"UID:boss-weekly-1on1@example.com"
    assert in_range.count(series) == data.count(series) > 10
    same(data, 1 << 20, cut=True)


def test_uid_shared_with_a_boss_event_keeps_the_whole_series() -> None:
    data = generate(600, seed=2).encode()
    cut = same(data, 5000, cut=True)
    assert cut is not None
    # The weekly 1:1's overrides that name nobody are kept with their master.
    assert cut.count(b"UID:boss-weekly-1on1@example.com") == data.count(
        b"UID:boss-weekly-1on1@example.com")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(feeds(), st.integers(50, 400))
def test_same_on_fuzzed_feeds(data: bytes, chunk: int) -> None:
    # Padding makes the feed worth cutting; the fuzzed events sit between real ones.
    pad = generate(60, seed=1).encode()
    head, _, body = pad.partition(b"BEGIN:VEVENT")
    events = b"BEGIN:VEVENT" + body.removesuffix(b"END:VCALENDAR\r\n")
    inner = data.removeprefix(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n")
    same(head + events + inner, chunk, cut=None)  # fuzzed: either outcome, equal if cut
    same(data, chunk, cut=None)
