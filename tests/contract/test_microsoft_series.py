# ruff: noqa: F811  (pytest fixtures imported by name, then taken as arguments)
"""Recurring meetings as calendarView/delta really sends them: a plain occurrence is bare
(id, seriesMasterId, type, start, end; microsoftgraph/microsoft-graph-docs issues #1716,
#7632, #22197), the series master comes as an item of its own when the series began in the
window and not otherwise, and a room booked by inviting it is a "required" attendee
(microsoft-graph-docs issue #3837) that is also in locations[] as a conferenceRoom."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from manageup.config import Config
from manageup.detect import detect
from manageup.store import Store
from tests.conftest import BERLIN, at
from tests.contract.test_microsoft import (  # noqa: F401  (fixtures)
    WINDOW,
    ca,
    fake,
    poll,
    signed_in,
    source,
    trusted,
)

SAM_ALEX = "sam-alex-weekly@contoso.example"  # the series in page1-3, master in page1
SINCE_JUNE = "AAMkAGI2TGuLAAA=-series-since-june"  # a series whose master is not sent
SINCE_JUNE_UID = "alex-sam-since-june@contoso.example"
WEEKLY = [at("2026-11-05T14:00+01:00") + timedelta(weeks=i) for i in range(6)]
GRAPH = Path(__file__).parent.parent / "fixtures" / "graph"


def _events(fake: Any) -> list[str]:
    return [unquote(p) for _m, p in fake.graph() if p.startswith("/v1.0/me/events/")]


def _found(got: Any, config: Config) -> list[Any]:
    return [m.occurrence for m in detect(got.occurrences, config)]


def _since_june(fake: Any) -> None:
    fake.errors.append((200, {}, "series_since_june"))
    fake.events[SINCE_JUNE] = "series_since_june_master"


def test_bare_occurrences_take_what_they_lack_from_the_master_in_the_same_answer(
        fake: Any, signed_in: Config) -> None:
    got = poll(source(signed_in), *WINDOW, BERLIN)
    plain = [o for o in got.occurrences
             if o.start.isoformat() in ("2026-11-05T10:00:00+01:00", "2026-11-26T10:00:00+01:00",
                                        "2026-12-03T10:00:00+01:00")]
    assert len(plain) == 3
    for o in plain:
        assert (o.uid, o.title, o.location) == (SAM_ALEX, "Sam / Alex", "Room 4.01")
        assert o.organizer and o.organizer.email == "sam@example.com"
        assert {a.email for a in o.attendees} == {"sam@example.com", "alex@example.com"}
        assert o.original_start == o.start and not o.moved  # its own time, where the rule put it
        assert o.end - o.start == timedelta(minutes=30)
        assert o.url.startswith("https://teams.microsoft.com/")
    assert len([m for m in detect(got.occurrences, signed_in)
                if m.occurrence.uid == SAM_ALEX and not m.occurrence.moved]) == 3
    assert _events(fake) == []  # the master was in the answer: nothing more to ask


def test_the_series_master_is_not_a_meeting_of_its_own(fake: Any,
                                                       signed_in: Config) -> None:
    got = poll(source(signed_in), *WINDOW, BERLIN)
    first = [o for o in got.occurrences if o.start == at("2026-11-05T10:00+01:00")]
    assert [o.key for o in first] == [f"{SAM_ALEX}|2026-11-05T10:00:00+01:00"]
    assert all(o.original_start is not None for o in got.occurrences if o.uid == SAM_ALEX)


def test_a_master_the_delta_does_not_send_is_read_once_and_kept(
        fake: Any, signed_in: Config) -> None:
    _since_june(fake)
    src = source(signed_in)
    got = poll(src, *WINDOW, BERLIN)
    assert _events(fake) == [f"/v1.0/me/events/{SINCE_JUNE}"]
    found = [m.occurrence for m in detect(got.occurrences, signed_in)]
    assert [o.start for o in found] == [at("2026-11-05T14:00+01:00") + timedelta(weeks=i)
                                        for i in range(6)]
    assert {(o.uid, o.title) for o in found} == {(SINCE_JUNE_UID, "Alex <> Sam")}
    assert all(o.original_start == o.start and o.cadence_days == 7 for o in found)
    # No ghost in June, where the master's own start is; and the read is kept:
    assert min(o.start for o in got.occurrences) >= WINDOW[0]
    for later in (src, source(signed_in)):  # the same process, then `run --once` again
        fake.requests.clear()
        again = poll(later, *WINDOW, BERLIN)
        assert [p for _m, p in fake.requests] == ["/v1.0/me/calendarView/delta"]
        assert [o.key for o in again.occurrences] == [o.key for o in got.occurrences]


def test_a_weekly_1on1_sent_bare_gets_its_digest(fake: Any, signed_in: Config,
                                                tmp_path: Path) -> None:
    from manageup.cycle import make_sources, run_cycle
    from manageup.deliver import make_transport

    _since_june(fake)
    store = Store.open(signed_in.store.path)
    try:
        report = run_cycle(signed_in, store, make_sources(signed_in),
                           make_transport(signed_in), at("2026-11-05T08:00+01:00"))
    finally:
        store.close()
    assert report.sent == [f"{SINCE_JUNE_UID}|2026-11-05T14:00:00+01:00"]
    mail = next((tmp_path / "Maildir" / "new").iterdir()).read_text()
    assert "Alex <> Sam" in mail


def test_a_series_deleted_before_its_master_is_read_is_left_out_and_asked_again_quietly(
        fake: Any, signed_in: Config) -> None:
    """Graph's ErrorItemNotFound may mean the series was deleted, or only that the mailbox
    has not caught up: it is left out of the poll, not remembered as deleted."""
    fake.errors.append((200, {}, "series_since_june"))  # and GET of its master says 404
    src = source(signed_in)
    got = poll(src, *WINDOW, BERLIN)
    assert got.occurrences == [] and not got.warnings
    fake.requests.clear()
    again = poll(src, *WINDOW, BERLIN)
    assert again.unchanged and again.occurrences == []
    assert [unquote(p) for _m, p in fake.requests] == ["/v1.0/me/calendarView/delta",
                                                       f"/v1.0/me/events/{SINCE_JUNE}"]


def test_a_master_not_found_once_is_found_at_the_next_poll_once_graph_has_it(
        fake: Any, signed_in: Config) -> None:
    """One ErrorItemNotFound (replication lag) hid a weekly 1:1 until the next full read,
    a month later (attack 05)."""
    fake.errors.append((200, {}, "series_since_june"))  # its master: ErrorItemNotFound
    src = source(signed_in)
    assert _found(poll(src, *WINDOW, BERLIN), signed_in) == []
    fake.events[SINCE_JUNE] = "series_since_june_master"
    for days in (1, 7):  # the daemon's window slides; the sync state still covers it
        start, end = (t + timedelta(days=days) for t in WINDOW)
        fake.requests.clear()
        got = _found(poll(src, start, end, BERLIN), signed_in)
        assert [o.start for o in got] == [t for t in WEEKLY if start < t < end]
        assert {o.title for o in got} == {"Alex <> Sam"}
        # Read once when Graph has it again, then kept: a quiet poll is one request.
        assert _events(fake) == ([f"/v1.0/me/events/{SINCE_JUNE}"] if days == 1 else [])


def _html_404(h: Any) -> None:
    # A proxy's own 404 page: not Graph's JSON error, so it says nothing about the event.
    data = (GRAPH / "gateway_error.html").read_bytes().replace(b"502 Bad Gateway", b"404")
    h.send_response(404)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def _hang_up(h: Any) -> None:
    h.close_connection = True  # no answer at all: as a timeout or a dropped connection


# https://learn.microsoft.com/en-us/graph/errors (error resource; generalException, 500)
SERVER_ERROR = (b'{"error": {"code": "generalException", '
                b'"message": "An unspecified error has occurred."}}')
FAILURES = {"html 404": (404, {}, _html_404), "500": (500, {}, SERVER_ERROR),
            "no answer": (200, {}, _hang_up)}


@pytest.mark.parametrize("failure", FAILURES)
def test_a_master_read_that_fails_keeps_its_meetings_as_last_read_and_warns(
        fake: Any, signed_in: Config, failure: str,
        caplog: pytest.LogCaptureFixture) -> None:
    _since_june(fake)
    src = source(signed_in)
    before = _found(poll(src, *WINDOW, BERLIN), signed_in)
    assert [o.start for o in before] == WEEKLY
    # The delta names the series again, so its master is read again, and that read fails.
    fake.errors += [(200, {}, "series_since_june_delta"), FAILURES[failure]]
    with caplog.at_level(logging.WARNING):
        during = _found(poll(src, *WINDOW, BERLIN), signed_in)
    assert [(o.start, o.title) for o in during] == [(o.start, o.title) for o in before]
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "Alex <> Sam" in warning and "next poll" in warning
    fake.requests.clear()
    fake.events[SINCE_JUNE] = {**fake.fixture("series_since_june_master"),
                               "subject": "Alex <> Sam (career)"}
    after = _found(poll(src, *WINDOW, BERLIN), signed_in)
    assert _events(fake) == [f"/v1.0/me/events/{SINCE_JUNE}"]  # asked again
    assert {o.title for o in after} == {"Alex <> Sam (career)"}
    fake.requests.clear()
    assert poll(src, *WINDOW, BERLIN).unchanged and _events(fake) == []


@pytest.mark.parametrize("failure", FAILURES)
def test_a_first_master_read_that_fails_is_not_taken_for_a_deleted_series(
        fake: Any, signed_in: Config, failure: str,
        caplog: pytest.LogCaptureFixture) -> None:
    """No copy to keep yet: the series sits out this poll, named in the log, and the next
    poll reads it (an HTML 404 from a proxy was taken for a deleted series: attack 05)."""
    fake.errors += [(200, {}, "series_since_june"), FAILURES[failure]]
    fake.events[SINCE_JUNE] = "series_since_june_master"
    src = source(signed_in)
    with caplog.at_level(logging.WARNING):
        assert _found(poll(src, *WINDOW, BERLIN), signed_in) == []
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert SINCE_JUNE in warning and "next poll" in warning
    assert [o.start for o in _found(poll(src, *WINDOW, BERLIN), signed_in)] == WEEKLY


def test_a_renamed_series_renames_its_bare_occurrences(fake: Any,
                                                       signed_in: Config) -> None:
    src = source(signed_in)
    poll(src, *WINDOW, BERLIN)
    fake.deltas["d1"] = "series_renamed"  # the delta sends the master again, renamed
    after = poll(src, *WINDOW, BERLIN)
    titles = {o.start: o.title for o in after.occurrences if o.uid == SAM_ALEX}
    assert titles[at("2026-11-05T10:00+01:00")] == "Sam / Alex (renamed)"
    assert titles[at("2026-12-03T10:00+01:00")] == "Sam / Alex (renamed)"
    assert titles[at("2026-11-13T15:00+01:00")] == "Sam / Alex (moved)"  # its own subject


def test_a_series_the_delta_names_again_has_its_master_read_again(
        fake: Any, signed_in: Config) -> None:
    _since_june(fake)
    src = source(signed_in)
    poll(src, *WINDOW, BERLIN)
    renamed = fake.fixture("series_since_june_master")
    fake.events[SINCE_JUNE] = {**renamed, "subject": "Alex <> Sam (career)"}
    fake.deltas["d1"] = "series_since_june_delta"  # one bare occurrence, sent again
    fake.requests.clear()
    after = poll(src, *WINDOW, BERLIN)
    assert _events(fake) == [f"/v1.0/me/events/{SINCE_JUNE}"]
    assert {o.title for o in after.occurrences} == {"Alex <> Sam (career)"}


def test_a_room_invited_as_a_required_attendee_is_not_a_person(
        fake: Any, signed_in: Config) -> None:
    fake.errors.append((200, {}, "room_as_required_attendee"))
    got = poll(source(signed_in), *WINDOW, BERLIN)
    [meeting] = got.occurrences
    room = next(a for a in meeting.attendees if a.email == "huddle-2@contoso.example")
    assert room.is_resource
    [found] = detect(got.occurrences, signed_in)
    assert found.occurrence.title == "Sam / Alex: quarter plan" and "2 people" in found.reason
