"""One bad thing never stops the rest: a broken calendar, a crash on one 1:1, an absurd
line, another feed's time zones."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from manageup.config import Calendar
from manageup.cycle import gather, run_cycle
from manageup.deliver import make_transport
from manageup.errors import SourceError
from manageup.sources import FetchResult
from manageup.sources.ics import IcsSource
from manageup.store import Store
from tests.conftest import BERLIN, ICS, at

NOW = at("2026-11-04T12:00+01:00")
WINDOW = (at("2026-11-01T00:00+01:00"), at("2026-12-31T00:00+01:00"))


class BrokenSource:
    """A calendar whose reading hits a bug (an exception no one planned for)."""

    label = "broken"

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        raise RuntimeError("list index out of range")


def test_unexpected_error_in_one_calendar_spares_the_others(
        make_config, caplog: pytest.LogCaptureFixture) -> None:
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics",
                          '[digest]\nlead_time = "24h"')
    sources = [BrokenSource(), IcsSource(cfg.calendars[0], cfg)]
    caplog.set_level(logging.DEBUG)
    store = Store.open(cfg.store.path)
    try:
        report = run_cycle(cfg, store, sources, make_transport(cfg), NOW)
    finally:
        store.close()
    assert report.sent  # the healthy calendar's 1:1 on 5 Nov got its digest
    assert any("broken" in f for f in report.gathered.failures)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "broken" in r.message]
    assert len(errors) == 1 and errors[0].exc_info is None  # one line, no traceback
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)


def test_unexpected_error_on_one_1on1_spares_the_others(
        make_config, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import manageup.cycle.digests as cycle

    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics",
                          '[digest]\nlead_time = "30d"')
    real = cycle.make_digest
    calls = []

    def flaky(store, match, *args, **kwargs):
        calls.append(match.occurrence.key)
        if len(calls) == 1:
            raise KeyError("boom")
        return real(store, match, *args, **kwargs)

    monkeypatch.setattr(cycle, "make_digest", flaky)
    caplog.set_level(logging.DEBUG)
    store = Store.open(cfg.store.path)
    try:
        report = run_cycle(cfg, store, [IcsSource(cfg.calendars[0], cfg)],
                           make_transport(cfg), NOW)
    finally:
        store.close()
    assert len(report.failed) == 1 and report.sent
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)


def _feed(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + "".join(events)
            + "END:VCALENDAR\r\n").encode()


REAL = ("BEGIN:VEVENT\r\nUID:real@example.com\r\nDTSTART:20261126T090000Z\r\n"
        "DTEND:20261126T093000Z\r\nSUMMARY:Sam / Alex\r\nORGANIZER:mailto:sam@example.com\r\n"
        "ATTENDEE:mailto:alex@example.com\r\nEND:VEVENT\r\n")


def test_absurd_line_skips_only_its_event(make_config, tmp_path: Path) -> None:
    """A stranger's invite with the boss on it and a 3 MB line: that event is skipped and
    named, the rest of the feed read."""
    spam = ("BEGIN:VEVENT\r\nUID:spam@evil.example\r\nDTSTART:20261126T120000Z\r\n"
            "ORGANIZER:mailto:stranger@evil.example\r\nATTENDEE:mailto:sam@example.com\r\n"
            "X-JUNK:" + "a" * 3_000_000 + "\r\nEND:VEVENT\r\n")
    path = tmp_path / "cal.ics"
    path.write_bytes(_feed(spam, REAL).replace(b"PRODID:x", b"X-HEADER-JUNK:" + b"b" * 2_000_000))
    _p, cfg = make_config(path)
    result = IcsSource(cfg.calendars[0], cfg).fetch(*WINDOW, BERLIN)
    assert [o.uid for o in result.occurrences] == ["real@example.com"]
    assert any("spam@evil.example" in w and "3000007 bytes" in w for w in result.warnings)
    assert any("2000014 bytes" in w for w in result.warnings)


def test_size_cap_still_refuses_the_whole_feed(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    path.write_bytes(_feed(REAL))
    with pytest.raises(SourceError, match="over the limit"):
        IcsSource(Calendar(type="ics", path=path, max_bytes=100)).fetch(*WINDOW, BERLIN)


def test_one_feeds_time_zones_never_move_anothers_events(make_config, tmp_path: Path) -> None:
    """Two calendars define TZID "Office Time" differently (+01:00 and +05:00), read in one
    daemon: each keeps its own. icalendar caches custom zones by TZID for the process."""
    _p, cfg = make_config()
    one = IcsSource(Calendar(type="ics", path=ICS / "custom_tzid_office_plus1.ics"), cfg)
    five = IcsSource(Calendar(type="ics", path=ICS / "custom_tzid_office_plus5.ics"), cfg)
    for order in ([one, five], [five, one]):
        for src in order:  # a fresh read each time, as after the file changed
            src._state.stat, src._state.reduced = None, None
        got = gather(order, cfg, NOW)
        starts = {o.uid: o.start for o in got.occurrences}
        assert starts == {"office-1@example.com": at("2026-11-05T09:00Z"),
                          "office-5@example.com": at("2026-11-05T05:00Z")}
    # A later version of the same feed with another definition is read by it, not the old.
    path = tmp_path / "office.ics"
    path.write_bytes((ICS / "custom_tzid_office_plus1.ics").read_bytes())
    src = IcsSource(Calendar(type="ics", path=path), cfg)
    assert src.fetch(*WINDOW, BERLIN).occurrences[0].start == at("2026-11-05T09:00Z")
    path.write_bytes((ICS / "custom_tzid_office_plus5.ics").read_bytes()
                     .replace(b"office-5", b"office-1"))
    assert src.fetch(*WINDOW, BERLIN).occurrences[0].start == at("2026-11-05T05:00Z")


def test_junk_line_between_components_costs_only_itself(make_config) -> None:
    """icalendar refuses a whole feed over one unparseable line outside any component;
    manageup drops the line, says so, and reads every event."""
    _p, cfg = make_config(ICS / "junk_line_between_components.ics")
    result = IcsSource(cfg.calendars[0], cfg).fetch(*WINDOW, BERLIN)
    assert [o.uid for o in result.occurrences] == ["before-junk@example.com",
                                                   "after-junk@example.com"]
    assert sum("not iCalendar" in w for w in result.warnings) == 2
