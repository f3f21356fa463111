"""Names as calendars give them (issue 27.1): Outlook's "Last, First" CN turned round, an
address as the CN is no name, and the boss's name is found under any of their addresses."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from manageup.model import Occurrence, Person
from manageup.names import display_name, name_in_calendar


@pytest.mark.parametrize(("cn", "shown"), [
    ("Whitfield, Dana", "Dana Whitfield"),
    ('"Whitfield, Dana"', "Dana Whitfield"),
    ("Whitfield,  Dana M.", "Dana M. Whitfield"),
    ("Whitfield, Dana (Sales)", "Dana Whitfield"),
    ("Dana Whitfield", "Dana Whitfield"),
    ("dana.whitfield@acme.example", ""),  # Google's CN when there is no name
    ("", ""),
    ("Whitfield, Dana, PhD", "Whitfield, Dana, PhD"),  # not "Last, First": as it is
    ("Kent Michaelsen (kmichaelsen@acme.com)", "Kent Michaelsen"),
])
def test_display_name(cn: str, shown: str) -> None:
    assert display_name(cn) == shown


def occ(uid: str, *people: Person) -> Occurrence:
    start = datetime(2026, 11, 25, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    return Occurrence(uid=uid, start=start, end=start + timedelta(minutes=30), title="1:1",
                      organizer=people[0], attendees=people)


def test_the_boss_name_the_calendar_gives_most_under_any_address() -> None:
    me = Person("alex@example.com", "Chen, Alex")
    found = [occ("a", Person("Dana@Acme.example", "Whitfield, Dana"), me),
             occ("b", Person("dana@acme.example", "dana@acme.example"), me),
             occ("c", Person("dw@old.example", "Whitfield, Dana"), me),
             occ("d", Person("sam@example.com", "Rivera, Sam"), me)]
    assert name_in_calendar(found, ["dana@acme.example", "dw@old.example"]) == "Dana Whitfield"
    assert name_in_calendar(found, ["nobody@example.com"]) == ""
