"""What one process keeps of a Microsoft calendar (the sync state in the store) gives the
next one the same occurrences: the timer's quiet poll in a new process finds what the
first poll found in its slid window, and a later delta's changes. A read-only fetch
(preview, meetings) reads them as a saving poll does, and an event outside the window
is read for its times only. The loopback Graph and its fixtures are test_microsoft's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from manageup.config import Config
from manageup.sources import graphevents
from tests.conftest import BERLIN
from tests.contract.test_microsoft import (  # noqa: F401  (fixtures)
    WINDOW,
    FakeMicrosoft,
    ca,
    fake,
    poll,
    signed_in,
    source,
    trusted,
)


def test_a_new_process_finds_what_the_first_found_and_then_the_delta_s_changes(
        fake: FakeMicrosoft, signed_in: Config) -> None:  # noqa: F811
    first = poll(source(signed_in), *WINDOW, BERLIN)
    assert first.occurrences

    later = (WINDOW[0] + timedelta(minutes=5), WINDOW[1] + timedelta(minutes=5))
    quiet = poll(source(signed_in), *later, BERLIN)  # the timer's next `run --once`
    assert quiet.unchanged
    assert quiet.occurrences == [o for o in first.occurrences
                                 if o.end > later[0] and o.start < later[1]]

    fake.deltas["d1"] = "delta_changes"
    after = poll(source(signed_in), *later, BERLIN)
    titles = {o.title for o in after.occurrences}
    assert "Team weekly" not in titles and {"Quick sync", "Sam / Alex: planning"} <= titles


def test_a_read_only_fetch_reads_what_a_saving_poll_reads(
        fake: FakeMicrosoft, signed_in: Config) -> None:  # noqa: F811
    saved = poll(source(signed_in), *WINDOW, BERLIN)
    fake.deltas["d1"] = "delta_changes"
    changed = source(signed_in).fetch(*WINDOW, BERLIN)  # preview: reads, saves nothing
    again = poll(source(signed_in), *WINDOW, BERLIN)
    assert {o.title for o in changed.occurrences} == {o.title for o in again.occurrences}
    assert {o.key for o in changed.occurrences} == {o.key for o in again.occurrences}
    assert {o.title for o in saved.occurrences} != {o.title for o in again.occurrences}


def test_events_outside_the_window_are_not_converted() -> None:
    # Years of history come back from the store at every poll: an old event is read for
    # its times only, so even one whose attendees no longer parse costs nothing.
    def event(ident: str, day: str, attendees: Any) -> dict[str, Any]:
        return {"id": ident, "iCalUId": ident, "subject": ident, "type": "singleInstance",
                "start": {"dateTime": f"{day}T09:00:00.0000000", "timeZone": "UTC"},
                "end": {"dateTime": f"{day}T09:30:00.0000000", "timeZone": "UTC"},
                "organizer": {"emailAddress": {"address": "sam@example.com"}},
                "attendees": attendees}

    events = {"new": event("new", WINDOW[0].date().isoformat(), []),
              "old": event("old", "2019-03-04", [None])}
    got = graphevents.occurrences(events, *WINDOW, BERLIN, "work", "alex@example.com", "")
    assert [o.title for o in got.occurrences] == ["new"] and got.warnings == []
