"""A 1:1 moved "this and all following" (RECURRENCE-ID;RANGE=THISANDFUTURE, issue 24.2):
every later instance takes the edit's shift and properties, an RDATE after it too (as
recurring-ical-events expands them), and each is its own meeting, known by its own
original start. Before, every later instance carried the edit's RECURRENCE-ID: all had
one key, so the digest, `meetings` and the history kept one of them (in the peer file
issue_75_range_parameter.ics, 9 of its 193 instances)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.generate import generate
from manageup.config import Calendar, parse_config
from manageup.cycle.gather import upcoming
from manageup.detect import boss_names, detect
from manageup.history import history_of
from manageup.sources.ics import IcsSource, parse_occurrences
from manageup.sources.ics.precut import MIN_SIZE, precut
from manageup.sources.ics.prefilter import Needles
from tests.conftest import BERLIN, ICS, ROOT, at, config_text

FIXTURE = ICS / "thisandfuture_every_later_instance.ics"
PEER = ROOT / "tests/fixtures/peers/recurring_ical_events-3.8.2/recurring_ical_events" \
    "/test/calendars/issue_75_range_parameter.ics"
CONFIG = parse_config(config_text(FIXTURE, Path("/nonexistent")))
UID = "taf-series@example.com"
# (original start, where it is now) of each instance from 3 November on.
MOVED = [(at(f"2026-{day}T10:00+01:00"), at(f"2026-{day}T14:00+01:00"))
         for day in ("11-03", "11-10", "11-17", "11-24", "11-26", "12-01", "12-08", "12-15",
                     "12-22")]


def padded(data: bytes) -> bytes:
    """The feed inside a generated one over a megabyte: the pre-cut reads it in chunks."""
    big = generate(4000, seed=3).encode()
    assert len(big) > MIN_SIZE
    events = data[data.index(b"BEGIN:VEVENT"):data.rindex(b"END:VCALENDAR")]
    at_ = big.index(b"BEGIN:VEVENT", len(big) // 2)
    return big[:at_] + events + big[at_:]


def read(path: Path, how: str, window: tuple[datetime, datetime]) -> list:
    if how == "full parse":
        return parse_occurrences(path.read_bytes(), *window, BERLIN).occurrences
    if how.endswith("pre-cut"):  # it does cut this feed, chunk by chunk
        c = CONFIG
        needles = Needles(c.boss_addresses, c.detect.title_patterns, boss_names(c),
                          c.detect.max_attendees)
        assert precut(path.read_bytes(), needles) is not None
    return IcsSource(Calendar(type="ics", path=path), CONFIG).fetch(*window, BERLIN).occurrences


@pytest.mark.parametrize("how", ["full parse", "fast path", "fast path, pre-cut"])
@pytest.mark.parametrize("window", [
    (at("2026-10-01T00:00+02:00"), at("2027-01-31T00:00+01:00")),  # the edit inside
    (at("2026-12-01T00:00+01:00"), at("2027-01-31T00:00+01:00")),  # edit and series before
], ids=["edit in the window", "edit weeks before the window"])
def test_every_instance_after_the_edit_is_its_own_meeting(
        tmp_path: Path, how: str, window: tuple[datetime, datetime]) -> None:
    path = tmp_path / "feed.ics"
    data = FIXTURE.read_bytes()
    path.write_bytes(padded(data) if how.endswith("pre-cut") else data)
    occs = [o for o in read(path, how, window) if o.uid == UID]
    want = [(was, now) for was, now in MOVED if now >= window[0]]
    got = [o for o in occs if o.start >= MOVED[0][1]]
    assert [(o.original_start, o.start) for o in got] == want
    assert len({o.key for o in got}) == len(want)
    assert [o.key for o in got] == [f"{UID}|{was.isoformat()}" for was, _now in want]
    for o in got:  # the edit's properties: its title and its length
        assert o.title == "1:1 Sam / Alex (afternoons)"
        assert o.end - o.start == timedelta(minutes=45)
    assert all(o.start.hour == 10 for o in occs if o not in got)  # before it: unmoved
    # The digest and the history see each of them.
    matches = detect(occs, CONFIG)
    assert len(upcoming(matches, window[0])) == len(occs)
    assert len(history_of(occs, CONFIG)) == len(occs)


def test_the_peer_file_keeps_all_193_instances_apart() -> None:
    """recurring-ical-events' own test file: two THISANDFUTURE edits, a single move and an
    RDATE, 193 instances in all; each has its own key."""
    lo, hi = at("2024-08-30T00:00+02:00"), at("2025-10-04T00:00+02:00")
    occs = parse_occurrences(PEER.read_bytes(), lo, hi, BERLIN).occurrences
    assert len(occs) == 193
    assert len({o.key for o in occs}) == 193
    by_start = {o.start: o for o in occs}
    # The RDATE after the first edit moved with it (-3h); its own date stays its key.
    rdate = by_start[at("2024-09-14T06:00Z")]
    assert rdate.original_start == at("2024-09-14T09:00Z")
    # After the second edit: +1 day +2h22, each instance known by its own date.
    later = by_start[at("2024-09-24T14:22Z")]
    assert later.original_start == at("2024-09-23T12:00Z")
    assert later.end - later.start == timedelta(hours=1, minutes=51)


def test_the_older_fixture_too() -> None:
    occs = parse_occurrences((ICS / "thisandfuture_override.ics").read_bytes(),
                             at("2026-11-01T00:00+01:00"), at("2026-12-31T00:00+01:00"),
                             BERLIN).occurrences
    assert [o.key.split("|")[1] for o in occs] == [
        "2026-11-02T10:00:00+01:00", "2026-11-09T10:00:00+01:00",
        "2026-11-16T10:00:00+01:00", "2026-11-23T10:00:00+01:00"]
