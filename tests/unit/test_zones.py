"""Time zones as people and Outlook name them (issue 27.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from manageup.zones import candidates, most_used, to_iana
from tests.fresh_calendar import write_calendar


@pytest.mark.parametrize(("typed", "zone"), [
    ("Europe/Berlin", "Europe/Berlin"),
    ("europe/berlin", "Europe/Berlin"),
    ("Berlin", "Europe/Berlin"),
    ("new york", "America/New_York"),
    ("W. Europe Standard Time", "Europe/Berlin"),   # Windows names, as Outlook writes them
    ('"Eastern Standard Time"', "America/New_York"),
    ("UTC", "UTC"),
    ("Mars/Base", ""),
    ("", ""),
])
def test_to_iana(typed: str, zone: str) -> None:
    assert to_iana(typed) == zone


def test_candidates_for_a_part_of_a_name() -> None:
    assert "America/New_York" in candidates("york")
    assert candidates("") == []


def test_the_zone_an_outlook_calendar_uses_most(tmp_path: Path) -> None:
    data = write_calendar(tmp_path / "work.ics", outlook=True).read_bytes()
    assert most_used(data) == "Europe/Berlin"
    assert most_used(write_calendar(tmp_path / "utc.ics").read_bytes()) == ""  # all in UTC
    assert most_used(b"BEGIN:VEVENT\r\nDTSTART;TZID=America/Chicago:20261125T100000\r\n"
                     b"DTSTART;VALUE=DATE-TIME;TZID=\"Pacific Standard Time\":20261126T1000"
                     b"00\r\nDTEND;TZID=Pacific Standard Time:20261126T110000\r\n") \
        == "America/Los_Angeles"
