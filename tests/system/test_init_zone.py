"""init's time zone (issue 27.2): on a machine set to UTC it offers the zone the calendar
uses most (Outlook's "W. Europe Standard Time" read as Europe/Berlin), takes a city or any
case ("Berlin", "europe/berlin"), says what it chose, and an empty answer is told, not
asked again in silence."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import pexpect
import pytest

from manageup.cli import main
from tests.conftest import ROOT
from tests.fresh_calendar import fresh_home, write_calendar


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = fresh_home(tmp_path, monkeypatch)
    write_calendar(home / "calendars" / "outlook.ics", outlook=True)
    write_calendar(home / "calendars" / "utc.ics")
    return home


def zone(home: Path) -> str:
    config = home / ".config" / "manageup" / "config.toml"
    return str(tomllib.loads(config.read_text())["me"]["timezone"])


def spawn(home: Path, calendar: str) -> pexpect.spawn:
    # A machine set to UTC: init cannot take the user's zone from it.
    env = {**os.environ, "HOME": str(home), "TZ": "UTC", "NO_COLOR": "1"}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "MANAGEUP_CONFIG"):
        env.pop(var, None)
    return pexpect.spawn(sys.executable, ["-m", "manageup", "init", "--me", "alex@example.com",
                                          "--boss", "sam@example.com", "--calendar",
                                          f"~/calendars/{calendar}", "--boss-name", "Sam"],
                         env=env, cwd=str(ROOT), encoding="utf-8", timeout=60)


def finish(child: pexpect.spawn) -> None:
    child.expect("Your first name")
    child.sendline("")
    child.expect("Wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_it_offers_the_zone_the_outlook_calendar_uses(home: Path) -> None:
    child = spawn(home, "outlook.ics")
    child.expect(r"Your time zone \[Europe/Berlin\]: ")
    child.sendline("")
    child.expect("Time zone: Europe/Berlin")
    finish(child)
    assert zone(home) == "Europe/Berlin"


def test_it_takes_a_city_or_any_case_and_tells_an_empty_answer(home: Path) -> None:
    child = spawn(home, "utc.ics")  # all in UTC: nothing to offer
    child.expect(r"Your time zone: ")
    child.sendline("")
    child.expect("an answer is needed here")
    child.expect(r"Your time zone: ")
    child.sendline("europe/berlin")
    child.expect("Time zone: Europe/Berlin")
    finish(child)
    assert zone(home) == "Europe/Berlin"


@pytest.mark.parametrize("typed", ["Berlin", "europe/berlin", "W. Europe Standard Time"])
def test_the_flag_takes_a_city_or_any_case(home: Path, typed: str) -> None:
    assert main(["init", "--me", "alex@example.com", "--boss", "sam@example.com",
                 "--calendar", "~/calendars/utc.ics", "--timezone", typed]) == 0
    assert zone(home) == "Europe/Berlin"


def test_without_a_terminal_on_a_utc_machine_the_calendar_zone_is_taken_and_said(
        home: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("manageup.init.local_timezone", lambda: "")  # a machine set to UTC
    assert main(["init", "--me", "alex@example.com", "--boss", "sam@example.com",
                 "--calendar", "~/calendars/outlook.ics"]) == 0
    assert zone(home) == "Europe/Berlin"
    assert "Time zone: Europe/Berlin, the one your calendar uses" in capsys.readouterr().out


def test_an_unknown_zone_offers_the_close_ones(home: Path, capsys) -> None:
    assert main(["init", "--me", "alex@example.com", "--boss", "sam@example.com",
                 "--calendar", "~/calendars/utc.ics", "--timezone", "york"]) == 2
    assert "--timezone 'york': unknown; did you mean America/New_York" in \
        capsys.readouterr().err
