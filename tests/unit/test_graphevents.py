"""Graph's events as manageup keys them (sources/graphevents.py), on their own: an event's
key never changes between polls, and a series master that could not be read is named in
the log with what became of its meetings. The loopback Graph of tests/contract drives the
same code through the source."""

from __future__ import annotations

from typing import Any

import pytest

from manageup.sources.graphevents import GONE, READ, STALE, MasterUnread, known_uid, with_masters


def test_an_event_keeps_the_ical_uid_it_was_first_seen_with() -> None:
    sent = {"id": "e1", "iCalUId": "uid-1", "subject": "Sam / Alex 1:1"}
    assert known_uid(sent, {}) == sent  # nothing known: as sent
    assert known_uid(sent, {"e1": {"iCalUId": "uid-1"}}) == sent
    bare = {"id": "e1", "subject": "Sam / Alex 1:1"}  # sent without it: the one known
    assert known_uid(bare, {"e1": {"iCalUId": "uid-1"}}) == {**bare, "iCalUId": "uid-1"}
    assert known_uid(bare, {"e2": {"iCalUId": "uid-2"}}) == bare


def _unreadable(ident: str) -> dict[str, Any]:
    raise MasterUnread("HTTP 503")


@pytest.mark.parametrize("known, says, kept", [
    ({"m1": {"id": "m1", "type": "seriesMaster", "subject": "Sam / Alex 1:1 " + "x" * 150}},
     f"work: could not read the series {('Sam / Alex 1:1 ' + 'x' * 150)[:100]!r} (Graph id "
     "m1) (HTTP 503); its meetings stay as last read, the next poll asks again", True),
    ({"m1": {"id": "m1", "type": "seriesMaster", "subject": "Sam / Alex 1:1", GONE: True}},
     "work: could not read the series 'Sam / Alex 1:1' (Graph id m1) (HTTP 503); its "
     "meetings are left out of this poll, the next poll asks again", False),
    ({}, "work: could not read the series with Graph id m1 (HTTP 503); its meetings are "
     "left out of this poll, the next poll asks again", False),
])
def test_a_master_that_cannot_be_read_is_named_with_what_became_of_its_meetings(
        caplog: pytest.LogCaptureFixture, known: dict[str, Any], says: str,
        kept: bool) -> None:
    occurrence = {"id": "o1", "seriesMasterId": "m1", "type": "occurrence"}  # bare
    state = {"events": {"o1": occurrence}}
    out = with_masters(state, _unreadable, known, "work")
    assert caplog.messages == [says]
    if kept:  # kept as last read, marked to be read again
        assert out["events"]["m1"] == {**known["m1"], READ: True, STALE: True}
    else:
        assert "m1" not in out["events"]
