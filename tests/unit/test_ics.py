"""The ICS source over real files, one per edge case."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from manageup.config import Calendar
from manageup.errors import SourceError
from manageup.sources.ics import IcsSource, parse_occurrences
from tests.conftest import BERLIN, ICS, at

NOV = (at("2026-11-01T00:00+01:00"), at("2026-12-31T00:00+01:00"))


def occ(name: str, zone: ZoneInfo = BERLIN, window: tuple[datetime, datetime] = NOV):
    return parse_occurrences((ICS / name).read_bytes(), *window, zone, calendar=name)


def test_weekly_with_moved_cancelled_and_exdate() -> None:
    r = occ("weekly_moved_cancelled_exdate.ics")
    starts = [(o.start.strftime("%a %d %H:%M"), o.status) for o in r.occurrences]
    assert starts == [
        ("Thu 05 10:00", "CONFIRMED"),
        ("Fri 13 15:00", "CONFIRMED"),  # moved instance
        ("Thu 19 10:00", "CANCELLED"),  # kept so history can count it; detect drops it
        ("Thu 03 10:00", "CONFIRMED"),
        ("Thu 10 10:00", "CONFIRMED"),
    ]  # 26 Nov is EXDATE'd
    moved = r.occurrences[1]
    assert moved.moved and moved.original_start == at("2026-11-12T10:00+01:00")
    assert moved.key == "weekly@example.com|2026-11-12T10:00:00+01:00"
    assert r.occurrences[0].cadence_days == 7


def test_dst_week_europe_keeps_wall_clock() -> None:
    r = occ("dst_week_europe.ics", window=(at("2026-10-01T00:00+02:00"), NOV[1]))
    assert [o.start.strftime("%d %H:%M %Z") for o in r.occurrences] == \
        ["20 09:30 CEST", "27 09:30 CET", "03 09:30 CET"]
    assert [o.start.utcoffset() for o in r.occurrences] == \
        [timedelta(hours=2), timedelta(hours=1), timedelta(hours=1)]


def test_dst_week_us_shown_in_user_zone() -> None:
    # Berlin leaves summer time on 25 Oct, New York on 1 Nov: in the week between, the
    # 09:00 New York meeting is 14:00 in Berlin; after both changes it is 15:00.
    r = occ("dst_week_us.ics", window=(at("2026-10-01T00:00+02:00"), NOV[1]))
    assert [o.start.strftime("%d %H:%M") for o in r.occurrences] == \
        ["27 14:00", "03 15:00", "10 15:00"]
    ny = ZoneInfo("America/New_York")
    assert {o.start.astimezone(ny).strftime("%H:%M") for o in r.occurrences} == {"09:00"}


def test_outlook_windows_zone_names() -> None:
    (o,) = occ("outlook_windows_tz.ics").occurrences
    assert o.start == at("2026-11-05T14:00+01:00")
    assert "alex@example.com" in {p.email for p in o.attendees}  # folded line unfolded


def test_google_export_with_x_wr_timezone() -> None:
    r = occ("google_x_wr_timezone.ics")
    assert [o.start for o in r.occurrences] == [at("2026-11-05T16:00+01:00"),
                                                 at("2026-11-12T16:00+01:00")]


def test_x_wr_timezone_keeps_a_utc_series_on_its_wall_clock_across_dst() -> None:
    """Google writes some series in UTC and says in X-WR-TIMEZONE where they are meant:
    the 10:00 New York 1:1 stays at 10:00 after the clocks change on 1 November."""
    ny = ZoneInfo("America/New_York")
    r = occ("google_x_wr_timezone_across_dst.ics", zone=ny,
            window=(at("2026-10-01T00:00+01:00"), NOV[1]))
    assert [o.start for o in r.occurrences] == [datetime(2026, 10, 29, 10, 0, tzinfo=ny),
                                                 datetime(2026, 11, 5, 10, 0, tzinfo=ny)]


def test_floating_time_is_the_users_wall_clock() -> None:
    r = occ("personal_entry_names_boss.ics")
    assert r.occurrences[0].start == datetime(2026, 11, 5, 9, 0, tzinfo=BERLIN)
    la = ZoneInfo("America/Los_Angeles")
    r2 = occ("personal_entry_names_boss.ics", zone=la)
    assert r2.occurrences[0].start == datetime(2026, 11, 5, 9, 0, tzinfo=la)


def test_all_day_event() -> None:
    (o,) = occ("all_day_with_boss.ics").occurrences
    assert o.all_day and o.start == datetime(2026, 11, 5, tzinfo=BERLIN)


@pytest.mark.parametrize("name", ["bom_before_vcalendar.ics", "whitespace_before_vcalendar.ics"])
def test_what_comes_before_begin_vcalendar_costs_nothing(name: str) -> None:
    (o,) = occ(name).occurrences
    assert o.start == at("2026-11-05T09:00Z") and o.title == "1:1 Sam / Alex"


@pytest.mark.parametrize(("name", "named"), [
    ("vtimezone_impossible_offset.ics", ["time zone Europe/Berlin", "+5328"]),
    ("vtodo_bad_date.ics", ["to-do nan-todo@example.com", "0NaNaNaNTaNaNaN"]),
    ("valarm_bad_trigger.ics", ["alarm of event bad-alarm@example.com"]),
    ("vtimezone_tzid_value_date.ics", ["time zone 18640509"]),
])
def test_a_bad_value_nothing_reads_costs_only_its_own_part(name: str, named: list[str]) -> None:
    """One bad part is skipped and named; the rest of the feed is read as it is."""
    r = occ(name)
    (o,) = r.occurrences
    assert o.start == at("2026-11-26T09:00Z")
    (warning,) = r.warnings
    assert warning.startswith(f"{name}: skipped ") and all(n in warning for n in named)


def test_a_zone_line_icalendar_refuses_costs_only_that_line() -> None:
    """ical.js's RDATE;VALUE=DATE observances: the zone is read without those two lines
    (its later rules give -04:00 in 2026), each line named; the Paris event as it is."""
    r = occ("vtimezone_rdate_value_date.ics")
    assert [(o.uid, o.start) for o in r.occurrences] == [
        ("rdate-date-paris@example.com", at("2026-11-19T09:00Z")),
        ("rdate-date-zone@example.com", at("2026-11-26T14:00Z"))]
    (warning,) = r.warnings
    assert warning.startswith("vtimezone_rdate_value_date.ics: skipped ")
    assert all(n in warning for n in ["time zone Makebelieve/RDATE_as_date",
                                      "RDATE;VALUE=DATE:19800101",
                                      "RDATE;VALUE=DATE:19850101"])


def test_a_date_with_a_tzid_is_all_day() -> None:
    (o,) = occ("date_value_with_tzid.ics").occurrences
    assert o.all_day
    assert (o.start, o.end) == (datetime(2026, 11, 5, tzinfo=BERLIN),
                                datetime(2026, 11, 6, tzinfo=BERLIN))


def test_a_tzid_with_a_leading_space_finds_the_files_own_zone() -> None:
    (o,) = occ("tzid_leading_space.ics").occurrences
    assert (o.start, o.end) == (at("2026-11-26T05:00Z"), at("2026-11-26T05:30Z"))


def test_an_end_before_the_start_is_at_the_start() -> None:
    r = occ("dtend_before_dtstart.ics", window=(at("2025-12-01T00:00Z"), NOV[1]))
    (o,) = r.occurrences
    assert o.start == at("2026-11-05T09:00Z") and o.end == o.start
    assert any("end-before-start@example.com" in w and "DTEND" in w for w in r.warnings)


def test_thisandfuture_moves_the_rest_of_the_series() -> None:
    r = occ("thisandfuture_override.ics")
    assert [o.start.strftime("%d %H:%M") for o in r.occurrences] == \
        ["02 10:00", "09 10:00", "16 16:00", "23 16:00"]


def test_rdate_adds_an_instance() -> None:
    r = occ("rdate_extra_instance.ics")
    assert [o.start.strftime("%d.%m %H:%M") for o in r.occurrences] == \
        ["02.11 10:00", "10.11 12:00", "02.12 10:00"]


def test_malformed_component_is_skipped_by_uid() -> None:
    r = occ("malformed_component.ics")
    # The event without a UID is read under a stable identity of its own.
    assert [o.uid for o in r.occurrences][1:] == ["good@example.com"]
    assert r.occurrences[0].uid.startswith("no-uid-")
    # Said by whoever reads it: the daemon's log once, `meetings` on the terminal.
    assert any("broken-start@example.com" in w and "DTSTART" in w for w in r.warnings)


def test_not_a_calendar_is_one_clear_error() -> None:
    with pytest.raises(SourceError, match="not an iCalendar file"):
        parse_occurrences(b"<html>404</html>", *NOV, BERLIN, calendar="x")


def test_missing_file_names_the_key(tmp_path) -> None:
    src = IcsSource(Calendar(type="ics", path=tmp_path / "nope.ics"))
    with pytest.raises(SourceError, match=r"calendars\.path"):
        src.fetch(*NOV, BERLIN)


def test_unchanged_file_is_not_parsed_again(tmp_path) -> None:
    path = tmp_path / "c.ics"
    path.write_bytes((ICS / "weekly_moved_cancelled_exdate.ics").read_bytes())
    src = IcsSource(Calendar(type="ics", path=path))
    first = src.fetch(*NOV, BERLIN)
    second = src.fetch(*NOV, BERLIN)
    assert not first.unchanged and second.unchanged
    assert second.occurrences == first.occurrences
    path.write_bytes(path.read_bytes().replace(b"COUNT=6", b"COUNT=2"))
    third = src.fetch(*NOV, BERLIN)
    # Two from the rule, plus the cancelled override that still stands in the file.
    assert not third.unchanged and len(third.occurrences) == 3
