"""Issue 24 (attack2 B1, B5): a feed's line endings, CR, LF, CRLF or any mix of them, never
change what is read: the full parse and the fast path find the same 1:1s, in a small feed
and in one over a megabyte (the chunked pre-cut)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.generate import generate
from manageup.cli import main
from manageup.config import Calendar
from manageup.sources.ics import IcsSource, parse_occurrences
from manageup.sources.ics.lines import line_ends
from manageup.sources.ics.precut import precut
from tests.conftest import BERLIN, ICS
from tests.unit.test_never_stricter import DEFAULT, NOV, found
from tests.unit.test_prefilter import needles

CASES = {
    # The header and the first 1:1 end in CR alone, the rest in CRLF (B1).
    "mixed_endings_head_cr.ics": [("mixed-head-cr@example.com", "2026-11-26T10:00:00+01:00"),
                                  ("mixed-tail-crlf@example.com",
                                   "2026-12-03T10:00:00+01:00")],
    # A CRLF feed in which only the 1:1 ends its lines in CR alone (B5).
    "mixed_event_cr.ics": [("mixed-event-cr@example.com", "2026-11-26T10:00:00+01:00")],
    # CR alone everywhere but the last line (B5).
    "cr_only_but_last.ics": [("cr-only-but-last@example.com", "2026-11-26T10:00:00+01:00")],
}


def over_a_megabyte(data: bytes) -> bytes:
    """The fixture with 4,000 unrelated events before its END:VCALENDAR, each line ending
    as the fixture's line before that point ends: the fixture's own mix is kept."""
    at_ = data.rindex(b"END:VCALENDAR")
    ending = b"\r" if data[at_ - 1:at_] == b"\r" else b"\r\n"
    big = generate(4000, seed=3).encode()
    filler = big[big.index(b"BEGIN:VEVENT"):big.rindex(b"END:VCALENDAR")]
    return data[:at_] + filler.replace(b"\r\n", ending) + data[at_:]


def fast(path: Path) -> list[tuple[str, str]]:
    return found(IcsSource(Calendar(type="ics", path=path), DEFAULT)
                 .fetch(*NOV, BERLIN).occurrences, DEFAULT)


@pytest.mark.parametrize("name", CASES)
def test_small_feed_reads_the_same_on_both_paths(name: str) -> None:
    full = found(parse_occurrences((ICS / name).read_bytes(), *NOV, BERLIN).occurrences,
                 DEFAULT)
    assert full == CASES[name]
    assert fast(ICS / name) == full


@pytest.mark.parametrize("name", CASES)
def test_feed_over_a_megabyte_reads_the_same_on_both_paths(name: str,
                                                           tmp_path: Path) -> None:
    data = over_a_megabyte((ICS / name).read_bytes())
    assert len(data) > 1 << 20
    path = tmp_path / name
    path.write_bytes(data)
    assert precut(line_ends(data), needles()) is not None  # the chunked pre-cut runs
    full = [f for f in found(parse_occurrences(data, *NOV, BERLIN).occurrences, DEFAULT)
            if f in CASES[name]]
    assert full == CASES[name]
    assert [f for f in fast(path) if f in CASES[name]] == CASES[name]


@pytest.mark.parametrize("data", [b"A\rB\r\nC\nD\r", b"A\r\rB", b"\rA\r\n\r\n", b"A\nB",
                                  b"A\r\nB\r", b"\r", b"A\r\n\r\rB\r\n", b"\xff\r\xfe"])
def test_every_line_ending_becomes_one(data: bytes) -> None:
    """Lines as every reader here splits them (at LF, a CR before it dropped) are the
    lines the feed has, whatever ends them."""
    out = line_ends(data)
    assert re.split(rb"\r?\n", out) == re.split(rb"\r\n|\r|\n", data)


def test_no_event_read_does_not_blame_boss_email(make_config, tmp_path: Path,
                                                 capsys) -> None:
    """A feed whose only event could not be read (its DTSTART is broken): the hint names
    what was skipped and does not send the user to check boss.email."""
    feed = tmp_path / "work.ics"
    text = (ICS / "mixed_event_cr.ics").read_bytes().replace(b"\r\n", b"\r")
    feed.write_bytes(text.replace(b"\r", b"\r\n").replace(
        b"DTSTART;TZID=Europe/Berlin:20261126T100000", b"DTSTART;TZID=Europe/Berlin:x"))
    path, _cfg = make_config(feed)
    assert main(["--config", str(path), "meetings", "--now", "2026-11-20T08:00:00+01:00"]) == 0
    out, err = capsys.readouterr()
    assert "boss.email" not in out + err
    assert "could not be read" in out and "mixed-event-cr@example.com" in err


@pytest.mark.parametrize("data", [b"A\r\nB\r\n", b"A\nB", b"", b"\xff\r\n\xfe\r\n"])
def test_a_feed_without_a_lone_cr_is_read_as_it_is(data: bytes) -> None:
    """No copy of a 15 MB feed when none is needed (the common case)."""
    assert line_ends(data) is data
