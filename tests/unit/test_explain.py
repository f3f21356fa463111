"""Why no 1:1 was found: near misses with why not, the likely cause, and the people the
user meets one to one, in `meetings`, `doctor` and the daemon's log."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from manageup.cli import main
from manageup.config import parse_config
from manageup.cycle import Gathered
from manageup.cycle.watch import NoneFoundWatch
from manageup.explain import why_not
from manageup.model import Occurrence, Person
from tests.conftest import ICS, at, config_text

NOW = "2026-11-25T17:00:00+01:00"


def set_boss(example: Path, address: str) -> Path:
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace('email = "sam@example.com"', f'email = "{address}"'))
    return cfg


def test_explain_lists_near_misses_with_why_not(example: Path, capsys) -> None:
    assert main(["--config", str(example / "config.toml"), "meetings", "--now", NOW,
                 "--explain"]) == 0
    out = capsys.readouterr().out
    matched, misses = out.split("Near misses (4)")
    assert matched.count("why: boss (sam@example.com)") == 2
    blocks = dict(zip(misses.splitlines()[1::2], misses.splitlines()[2::2], strict=True))
    by_title = {k.split("  ", 1)[1].strip(): v.strip() for k, v in blocks.items()}
    assert by_title["Platform team weekly"] == \
        "why not: 4 people take part; a 1:1 has at most 2 (detect.max_attendees)"
    assert by_title["Leadership offsite"] == "why not: all-day event"
    assert by_title["1:1 Jordan / Alex"] == \
        "why not: your boss is not in it; it is with jordan@example.com"


def test_explain_json_marks_near_misses(example: Path, capsys) -> None:
    assert main(["--config", str(example / "config.toml"), "meetings", "--now", NOW,
                 "--explain", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r.get("matched", True) for r in rows] == [True, True, False, False, False, False]
    assert rows[2]["title"] == "Platform team weekly" and "4 people" in rows[2]["why_not"]


def test_mistyped_boss_says_why_and_suggests_who(example: Path, capsys) -> None:
    cfg = set_boss(example, "sam@exmaple.com")
    assert main(["--config", str(cfg), "meetings", "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert "No 1:1 found: your boss's address (sam.rivera@old-domain.example, " \
           "sam@exmaple.com) appears in no event" in out
    assert "Check boss.email and boss.aliases" in out
    assert "  sam@example.com (Sam Rivera): 12 meetings, e.g. 'Alex / Sam 1:1'" in out
    assert "  jordan@example.com (Jordan Lee): 8 meetings" in out


def test_boss_only_in_large_meetings(example: Path, capsys) -> None:
    cfg = set_boss(example, "priya@example.com")
    assert main(["--config", str(cfg), "meetings", "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert "appears only in meetings of 4 or more people" in out
    assert "sam@example.com (Sam Rivera): 12 meetings" in out


def test_daemon_log_says_why_once(example: Path, capsys) -> None:
    cfg = set_boss(example, "sam@exmaple.com")
    assert main(["--config", str(cfg), "run", "--once", "--dry-run", "--now", NOW]) == 0
    err = capsys.readouterr().err
    assert "WARNING No 1:1 found: your boss's address" in err
    assert "WARNING   sam@example.com (Sam Rivera)" in err
    config = parse_config(cfg.read_text(), cfg)
    watch, now = NoneFoundWatch(), at(NOW)
    for hours in range(3):  # the daemon's later cycles: said once, not every poll
        watch.after(config, now + timedelta(hours=hours), Gathered())
    assert capsys.readouterr().err.count("No 1:1 found") == 1


def test_timer_runs_say_why_once_a_day(example: Path, capsys) -> None:
    """Each timer run is a new process: what the last one said is kept in the store."""
    cfg = set_boss(example, "sam@exmaple.com")

    def said(now: str) -> int:
        assert main(["--config", str(cfg), "run", "--once", "--now", now]) == 0
        return capsys.readouterr().err.count("No 1:1 found")

    assert said(NOW) == 1
    assert said("2026-11-25T17:10:00+01:00") == 0  # the timer's next run
    assert said("2026-11-26T17:20:00+01:00") == 1  # a day later, said again
    cfg.write_text(cfg.read_text().replace("sam@exmaple.com", "sam@example.com"))  # fixed
    assert main(["--config", str(cfg), "-v", "run", "--once", "--now",
                 "2026-11-26T17:30:00+01:00"]) == 0
    assert "1:1s with your boss are found again" in capsys.readouterr().err
    set_boss(example, "sam@exmaple.com")  # broken again: said at once
    assert said("2026-11-26T17:40:00+01:00") == 1


@pytest.mark.parametrize("change,expected", [
    ({"status": "CANCELLED"}, "cancelled"),
    ({"all_day": True}, "all-day event"),
    ({"attendees": (Person("sam@example.com"), Person("alex@example.com",
                                                      partstat="DECLINED"))},
     "you declined it"),
    ({"attendees": (Person("sam@example.com"), Person("kim@example.com"))},
     "you are not taking part (not organizer or attendee)"),
    ({"attendees": (Person("alex@example.com"), Person("kim@example.com")),
      "organizer": None, "title": "1:1 Kim"}, "your boss is not in it; it is with kim@example.com"),
])
def test_why_not(tmp_path: Path, change: dict[str, object], expected: str) -> None:
    config = parse_config(config_text("x.ics", tmp_path))
    start = at(NOW)
    occ = Occurrence("u", start, start + timedelta(minutes=30), "Sync",
                     organizer=Person("sam@example.com"),
                     attendees=(Person("sam@example.com"), Person("alex@example.com")))
    assert why_not(occ.__class__(**{**occ.__dict__, **change}), config) == expected


def test_none_ahead_but_held_before_says_when_the_last_was(example: Path, capsys) -> None:
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace("[digest]", '[detect]\nlookahead = "1d"\n\n[digest]'))
    assert main(["--config", str(cfg), "meetings", "--now", "2026-11-27T12:00+01:00"]) == 0
    out = capsys.readouterr().out
    assert "No 1:1 with your boss in the next 1 days; the last one was on Thu 26 Nov" in out
    assert "recurring two-person" not in out


@pytest.mark.parametrize("flags", [["--explain"], ["--explain", "--json"]])
def test_explain_with_unreadable_calendar_names_it_not_a_boss_typo(
        example: Path, capsys, flags: list[str]) -> None:
    # A file that is no iCalendar: the cause is the calendar, not boss.email.
    (example / "calendar.ics").write_text("root:x:0:0:root:/root:/bin/bash\n")
    assert main(["--config", str(example / "config.toml"), "meetings", "--now", NOW,
                 *flags]) == 1
    captured = capsys.readouterr()
    assert "not an iCalendar file" in captured.err
    assert "boss.email" not in captured.out + captured.err


def test_a_skipped_line_is_said_once_by_each_command(example: Path, capsys) -> None:
    """The first timer run logs what it skipped once, the next run (reusing the cached
    feed) not again, and meetings prints it once (not a log line and a printed line)."""
    cfg = example / "config.toml"
    feed = example / "calendar.ics"
    feed.write_bytes(feed.read_bytes().replace(b"BEGIN:VEVENT", b"NOT ICALENDAR\r\nBEGIN:VEVENT",
                                               1))
    for said in (1, 0):
        assert main(["--config", str(cfg), "run", "--once", "--now", NOW]) == 0
        assert capsys.readouterr().err.count("NOT ICALENDAR") == said
    assert main(["--config", str(cfg), "meetings", "--now", NOW]) == 0
    assert capsys.readouterr().err.count("NOT ICALENDAR") == 1


@pytest.mark.parametrize("attendees,expected", [
    ((Person("sam@example.com"), Person("alex.chen@corp.example", partstat="DECLINED")),
     "you declined it"),
    ((Person("sam@example.com"), Person("ALEX.CHEN@corp.example"), Person("kim@example.com")),
     "3 people take part; a 1:1 has at most 2 (detect.max_attendees)"),
])
def test_why_not_knows_the_user_under_an_alias(tmp_path: Path, attendees: tuple[Person, ...],
                                               expected: str) -> None:
    """A user invited under me.aliases takes part: explain must agree with detection,
    not tell them "you are not taking part" (issue 22)."""
    config = parse_config(config_text("x.ics", tmp_path).replace(
        'timezone = "Europe/Berlin"', 'timezone = "Europe/Berlin"\n'
        'aliases = ["alex.chen@corp.example"]', 1))
    start = at(NOW)
    occ = Occurrence("u", start, start + timedelta(minutes=30), "Sync",
                     organizer=Person("sam@example.com"), attendees=attendees)
    assert why_not(occ, config) == expected


def test_explain_names_each_person_once(example: Path, capsys) -> None:
    """Attack 2, B9: a stranger who organises an override and attends it was named twice
    ("it is with mallory@evil.example, mallory@evil.example")."""
    shutil.copy(ICS / "override_other_organizer.ics", example / "calendar.ics")
    assert main(["--config", str(example / "config.toml"), "meetings", "--now",
                 "2026-12-05T09:00:00+01:00", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "why not: your boss is not in it; it is with mallory@evil.example\n" in out
