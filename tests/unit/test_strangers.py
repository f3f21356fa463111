"""Issue 24.5: strangers and look-alikes. An event that reuses a 1:1's UID does not hide the
series; an unanswered invitation from someone who is not the boss, moved again and again,
costs at most one digest per occurrence a day and says what it is."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from manageup.cli import main
from manageup.detect import detect
from manageup.sources.ics import parse_occurrences
from tests.conftest import BERLIN, ICS, at

NOV = (at("2026-11-01T00:00+01:00"), at("2026-12-31T00:00+01:00"))
SHARED = ICS / "foreign_event_reuses_uid.ics"


def test_foreign_event_reusing_the_uid_keeps_the_series(make_config) -> None:
    _p, cfg = make_config(SHARED)
    r = parse_occurrences(SHARED.read_bytes(), *NOV, BERLIN, "work")
    assert [f"{m.occurrence.start:%d %H:%M} {m.occurrence.title}"
            for m in detect(r.occurrences, cfg)] == [
        "03 10:00 Sam / Alex", "11 14:00 Sam / Alex (moved)", "17 10:00 Sam / Alex",
        "24 10:00 Sam / Alex", "01 10:00 Sam / Alex", "08 10:00 Sam / Alex"]
    # The other event is read too (once: its exact copy is one event), as itself.
    assert [o.title for o in r.occurrences].count("Dentist") == 1
    assert r.warnings == ["work: 2 different events share the UID weekly-1on1@example.com; "
                          "each is read on its own (the calendar that wrote them should give "
                          "each its own UID)"]


def test_meetings_with_a_shared_uid_names_the_uid_not_boss_email(make_config,
                                                                capsys) -> None:
    path, _cfg = make_config(SHARED)
    assert main(["--config", str(path), "meetings", "--now", "2026-11-02T08:00:00+01:00"]) == 0
    out, err = capsys.readouterr()
    assert "Sam / Alex" in out and "boss.email" not in out + err
    assert "share the UID weekly-1on1@example.com" in err


MOVED = ICS / "stranger_invitation_moved.ics"


def _moving_feed(path: Path) -> dict:
    """Before each poll the organiser moves the meeting by one more minute."""
    text = MOVED.read_text()
    polls: dict = {}
    now = at("2026-11-03T12:00+01:00")
    for n in range(45):
        start = at("2026-11-05T10:00+01:00") + timedelta(minutes=n + 1)
        end = start + timedelta(minutes=30)

        def move(start=start, end=end) -> None:
            path.write_text(text.replace("20261105T100000", f"{start:%Y%m%dT%H%M%S}")
                            .replace("20261105T103000", f"{end:%Y%m%dT%H%M%S}"))

        polls[now + timedelta(hours=n)] = [move]
    return polls


def test_stranger_invitation_moved_before_each_poll_one_digest_a_day(tmp_path: Path,
                                                                     make_config) -> None:
    from tests.conftest import run_cycles

    feed = tmp_path / "work.ics"
    feed.write_text(MOVED.read_text())
    _p, cfg = make_config(feed, '[digest]\nlead_time = "40h"\nsend_window = "00:00-23:59"')
    assert len(detect(parse_occurrences(feed.read_bytes(), *NOV, BERLIN).occurrences,
                      cfg)) == 1  # it counts: a 1:1 title, and the boss is invited
    run_cycles(cfg, "2026-11-03T12:00+01:00", "2026-11-05T09:00+01:00",
               timedelta(hours=1), _moving_feed(feed))
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in
             sorted((tmp_path / "Maildir" / "new").iterdir())]
    dates = sorted(parsedate_to_datetime(m["Date"]) for m in mails)
    # Due from the first poll on; without a limit, one digest per poll (45).
    assert len(dates) == 2 and dates[1] - dates[0] >= timedelta(days=1)
    body = mails[0].get_body(("plain",)).get_content()
    assert "not answered" in body and "morgan@elsewhere.example" in body
    assert "not your boss" in body
    html = mails[0].get_body(("html",)).get_content()
    assert "who is not your boss" in html


def test_only_an_unanswered_invitation_from_a_stranger_is_one(make_config) -> None:
    from manageup.detect import stranger

    _p, cfg = make_config(MOVED)
    (occ,) = parse_occurrences(MOVED.read_bytes(), *NOV, BERLIN).occurrences
    assert stranger(occ, cfg) == "morgan@elsewhere.example"
    answered = [occ.attendees[0].__class__(occ.attendees[0].email, partstat="ACCEPTED"),
                *occ.attendees[1:]]
    assert stranger(replace(occ, attendees=tuple(answered)), cfg) == ""
    boss = occ.organizer.__class__("Sam@Example.com")  # type: ignore[union-attr]
    assert stranger(replace(occ, organizer=boss), cfg) == ""
    assert stranger(replace(occ, attendees=()), cfg) == ""  # not an invitation to the user
