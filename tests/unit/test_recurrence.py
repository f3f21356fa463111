"""Series are judged by how often their rule really recurs, and a series that recurs
absurdly often is read capped inside the window, never skipped whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import vRecur

from manageup.detect import detect
from manageup.sources.ics import parse_occurrences
from tests.conftest import BERLIN, ICS, at

NOV = (at("2026-11-01T00:00+01:00"), at("2026-12-31T00:00+01:00"))


@pytest.mark.parametrize("name", ["monthly_first_thursday_outlook.ics",
                                  "monthly_first_thursday_apple.ics"])
def test_first_thursday_monthly_is_read(make_config, name: str) -> None:
    r = parse_occurrences((ICS / name).read_bytes(), *NOV, BERLIN, calendar=name)
    assert [o.start.strftime("%a %d %b") for o in r.occurrences] == ["Thu 05 Nov", "Thu 03 Dec"]
    assert r.warnings == []
    _p, cfg = make_config(ICS / name)
    assert len(detect(r.occurrences, cfg)) == 2
    assert r.occurrences[0].cadence_days == pytest.approx(30.4)


def test_weekly_rule_with_byhour_is_read() -> None:
    r = parse_occurrences((ICS / "weekly_with_byhour.ics").read_bytes(), *NOV, BERLIN)
    assert [o.start.strftime("%d %H:%M") for o in r.occurrences][:3] == \
        ["03 10:00", "10 10:00", "17 10:00"]
    assert len(r.occurrences) == 9 and r.warnings == []


@pytest.mark.parametrize(("rule", "times"), [
    ("FREQ=MONTHLY;BYDAY=TH;BYSETPOS=1", 1),
    ("FREQ=WEEKLY;BYDAY=TU;BYHOUR=10;BYMINUTE=0", 1),
    ("FREQ=DAILY;BYHOUR=9,17", 2),
    ("FREQ=HOURLY;BYHOUR=10", 1),
    ("FREQ=HOURLY;INTERVAL=24", 1),
    ("FREQ=HOURLY;INTERVAL=2", 12),
    ("FREQ=MINUTELY;BYHOUR=10;BYMINUTE=0", 1),
    ("FREQ=MINUTELY;INTERVAL=7", 206),
    ("FREQ=SECONDLY", 86400),
    ("FREQ=DAILY;BYHOUR=0,1,2;BYMINUTE=0,15,30,45", 12),
    ("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", 1),
])
def test_density_is_judged_from_the_rule(rule: str, times: int) -> None:
    from manageup.sources.ics.recurrence import per_day

    assert per_day(vRecur.from_ical(rule)) == times


def test_dense_series_is_capped_not_skipped() -> None:
    """FREQ=MINUTELY from 1990: the series is read, capped inside the window (the work
    bounded), and the real 1:1 beside it is found."""
    from manageup.sources.ics.recurrence import MAX_PER_SERIES

    r = parse_occurrences((ICS / "hourly_series_from_1990.ics").read_bytes(), *NOV, BERLIN,
                          calendar="c")
    ping = [o for o in r.occurrences if o.uid == "hourly-ping@example.com"]
    assert len(ping) == MAX_PER_SERIES
    # The last instances of the window, not its first (issue 29.1).
    assert NOV[1] - timedelta(minutes=7) <= ping[-1].start < NOV[1]
    assert ping[0].start == ping[-1].start - (MAX_PER_SERIES - 1) * timedelta(minutes=7)
    # The series' own grid (every 7 minutes since 1990), kept when its start was moved up.
    assert all((o.start - at("1990-01-01T01:00+01:00")) % timedelta(minutes=7) == timedelta(0)
               for o in ping)
    assert [o.uid for o in r.occurrences if o.uid == "real@example.com"] == ["real@example.com"]
    assert any("hourly-ping@example.com" in w and "last" in w for w in r.warnings)


def _series(rule: str, start: str = "20200106T090000Z") -> bytes:
    return (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//manageup tests//EN\r\n"
            b"BEGIN:VEVENT\r\nUID:over-the-cap@example.com\r\nDTSTAMP:20261001T000000Z\r\n"
            b"DTSTART:" + start.encode() + b"\r\nDURATION:PT20M\r\nRRULE:" + rule.encode()
            + b"\r\nSUMMARY:1:1 Sam\r\n"
            b"ORGANIZER;CN=Sam Rivera:mailto:sam@example.com\r\n"
            b"ATTENDEE;CN=Alex Chen;PARTSTAT=ACCEPTED:mailto:alex@example.com\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.mark.parametrize(("rule", "history", "year"), [
    ("FREQ=HOURLY", 90, 2026),  # recurs more than daily: its start moved up near the end
    ("FREQ=MINUTELY;INTERVAL=7", 90, 2026),
    ("FREQ=MINUTELY;INTERVAL=30;BYDAY=MO", 90, 2026),  # sparser than its FREQ: read wider
    ("FREQ=DAILY", 700, 2024),  # daily, but a long window holds over 500
])
def test_cap_keeps_the_instances_nearest_the_windows_end(rule: str, history: int,
                                                          year: int) -> None:
    """Over the cap, the instances kept are the last ones in the window: every upcoming
    instance is read, and old ones are what is left out (issue 29.1)."""
    from dateutil.rrule import rrulestr

    from manageup.sources.ics.recurrence import MAX_PER_SERIES

    now = at("2026-11-23T09:00+01:00")
    start, end = now - timedelta(days=history), now + timedelta(days=14)
    first = datetime(year, 1, 5, tzinfo=UTC)
    r = parse_occurrences(_series(rule, f"{year}0105T000000Z"), start, end, BERLIN,
                          calendar="c")
    every = rrulestr(rule, dtstart=first).between(start - timedelta(minutes=20), end)
    assert len(every) > MAX_PER_SERIES
    # As instants: a wall time in the autumn fold never equals one in another zone (PEP 495).
    kept = [o.start.timestamp() for o in r.occurrences]
    assert kept == [s.timestamp() for s in every[-MAX_PER_SERIES:]]
    # Never an old instance kept while an upcoming one is left out.
    now = now.timestamp()
    upcoming = [s.timestamp() for s in every if s.timestamp() >= now]
    assert set(upcoming) <= set(kept) or all(s >= now for s in kept)
    assert any("over-the-cap@example.com" in w and f"last {MAX_PER_SERIES}" in w
               for w in r.warnings)
