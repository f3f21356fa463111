"""1:1s around DST changes in many zones, the boss elsewhere, and clocks that jump."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from manageup.cycle import make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.detect import detect
from manageup.sources.ics import parse_occurrences
from manageup.store import Store
from manageup.timing import due_at, in_window
from tests.mailcheck import checked_maildir
from tests.system.reliability.conftest import FIGURES

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata",
         "America/Sao_Paulo", "Australia/Sydney", "Europe/London", "America/Santiago"]


def transitions(zone: str, year: int = 2026) -> list[date]:
    """Days whose UTC offset differs from the day before; Berlin's for zones without DST."""
    z = ZoneInfo(zone)
    days = []
    d = datetime(year, 1, 1, 12, tzinfo=UTC)
    prev = d.astimezone(z).utcoffset()
    while d.year == year:
        d += timedelta(hours=1)
        off = d.astimezone(z).utcoffset()
        if off != prev:
            days.append(d.astimezone(z).date())
            prev = off
    return days or transitions("Europe/Berlin", year)


def ics_for(zone: str, days: list[date]) -> str:
    events = []
    for n, day in enumerate(days):
        for shift in (0, 1):  # the day of the change and the day after
            d = day + timedelta(days=shift)
            for hh in ("0900", "0130"):  # 01:30 may not exist, or exist twice
                events.append(
                    f"BEGIN:VEVENT\r\nUID:dst-{n}-{shift}-{hh}@example.com\r\n"
                    f"DTSTAMP:20260101T000000Z\r\n"
                    f"DTSTART;TZID={zone}:{d:%Y%m%d}T{hh}00\r\nDURATION:PT30M\r\n"
                    f"SUMMARY:1:1\r\nORGANIZER:mailto:sam@example.com\r\n"
                    f"ATTENDEE:mailto:alex@example.com\r\nEND:VEVENT\r\n")
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//dst//EN\r\n" + "".join(events)
            + "END:VCALENDAR\r\n")


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("user_zone", ["same", "Europe/Berlin", "Asia/Tokyo"])
def test_digest_due_times_around_dst(zone: str, user_zone: str, make_config,
                                     tmp_path: Path) -> None:
    me = zone if user_zone == "same" else user_zone
    cal = tmp_path / "dst.ics"
    days = transitions(zone)
    cal.write_text(ics_for(zone, days))
    _p, cfg = make_config(cal, "")
    cfg_text = _p.read_text().replace('timezone = "Europe/Berlin"', f'timezone = "{me}"')
    _p.write_text(cfg_text)
    from manageup.config import load_config

    cfg = load_config(_p)
    user = ZoneInfo(me)
    sources, transport = make_sources(cfg), make_transport(cfg)
    start_of_year = datetime(2026, 1, 1, tzinfo=user)
    occs = parse_occurrences(cal.read_bytes(), start_of_year,
                             start_of_year + timedelta(days=366), user).occurrences
    matches = detect(occs, cfg)
    assert len(matches) == 4 * len(days)
    sent = 0
    for m in matches:
        occ = m.occurrence
        local = occ.start.astimezone(ZoneInfo(zone))
        assert local.strftime("%H:%M") in ("09:00", "01:30", "02:30")  # 02:30: 01:30 skipped
        due = due_at(occ.start, cfg.digest.lead_time, cfg.digest.send_window, user)
        assert due < occ.start
        assert in_window(due.astimezone(user).time(), cfg.digest.send_window)
        # Exact, in absolute time: counted in UTC (on the clock it would be an hour off
        # across a change, and land on the meeting itself in a spring-forward gap).
        exact = occ.start.astimezone(UTC) - cfg.digest.lead_time
        if in_window(exact.astimezone(user).time(), cfg.digest.send_window):
            assert due == exact
        # The real cycle: nothing a minute before the due time, the digest at it.
        store = Store.open(cfg.store.path)
        before = len(store.ledger())
        run_cycle(cfg, store, sources, transport, due - timedelta(minutes=1))
        assert all(r.key != occ.key for r in store.ledger()[before:])
        run_cycle(cfg, store, sources, transport, due)
        row = store.ledger_get(occ.key, occ.start)
        assert row is not None and row.state == "sent", (occ.start, due)
        store.close()
        sent += 1
    FIGURES["DST digests checked"] += sent


def test_floating_and_all_day(make_config, tmp_path: Path) -> None:
    cal = tmp_path / "f.ics"
    cal.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        "BEGIN:VEVENT\r\nUID:float\r\nDTSTART:20261129T100000\r\nDURATION:PT30M\r\n"
        "SUMMARY:1:1 Sam\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:allday\r\nDTSTART;VALUE=DATE:20261130\r\n"
        "SUMMARY:1:1 Sam\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    _p, cfg = make_config(cal)
    zone = cfg.zone
    occs = parse_occurrences(cal.read_bytes(), datetime(2026, 11, 20, tzinfo=zone),
                             datetime(2026, 12, 10, tzinfo=zone), zone).occurrences
    (m,) = detect(occs, cfg)  # the all-day one is not a 1:1
    assert m.occurrence.start == datetime(2026, 11, 29, 10, tzinfo=zone)
    assert due_at(m.occurrence.start, cfg.digest.lead_time, cfg.digest.send_window, zone) == \
        datetime(2026, 11, 28, 16, tzinfo=zone)


def test_clock_jumps(example: Path) -> None:
    """A laptop asleep through the send time, a clock set back, a jump past the meeting."""
    from manageup.config import load_config

    cfg = load_config(example / "config.toml")
    sources, transport = make_sources(cfg), make_transport(cfg)
    z = cfg.zone

    def cycle(when: datetime) -> None:
        store = Store.open(cfg.store.path)
        run_cycle(cfg, store, sources, transport, when)
        store.close()

    def sent() -> list[str]:
        box = checked_maildir(example / "state" / "Maildir")
        return sorted(m["Subject"] for m in box)

    cycle(datetime(2026, 11, 25, 9, tzinfo=z))  # Wednesday morning, nothing due
    cycle(datetime(2026, 11, 26, 9, 50, tzinfo=z))  # wakes 10 min before the 1:1: send now
    assert len(sent()) == 1
    cycle(datetime(2026, 11, 25, 18, tzinfo=z))  # the clock is set back: no second copy
    assert len(sent()) == 1
    cycle(datetime(2026, 12, 3, 10, 5, tzinfo=z))  # asleep past the next 1:1: too late
    assert len(sent()) == 1
    cycle(datetime(2026, 12, 9, 20, tzinfo=z))  # and the one after goes out as usual
    assert len(sent()) == 2
