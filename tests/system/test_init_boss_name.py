"""The boss's name from the calendar (issue 27.1): init takes Outlook's "Last, First" CN
as "First Last", offers it on a terminal, `--boss-name` sets another, and the digest greets
the boss by name, never by the bare address where a name is known."""

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

FLAGS = ["init", "--me", "alex@example.com", "--boss", "sam@example.com", "--timezone",
         "Europe/Berlin", "--calendar", "~/calendars/work.ics"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = fresh_home(tmp_path, monkeypatch)
    write_calendar(home / "calendars" / "work.ics", outlook=True)
    return home


def boss(home: Path) -> dict[str, object]:
    config = home / ".config" / "manageup" / "config.toml"
    return tomllib.loads(config.read_text())["boss"]


def test_init_takes_the_boss_name_from_an_outlook_calendar(home: Path, capsys) -> None:
    assert main(FLAGS) == 0
    assert boss(home)["name"] == "Sam Rivera"
    out = capsys.readouterr().out
    assert "Your boss: Sam Rivera <sam@example.com>, the name from your calendar" in out
    assert "--boss-name" in out
    capsys.readouterr()
    assert main(["preview"]) == 0
    digest = capsys.readouterr().out
    assert "Sam Rivera" in digest and "Rivera, Sam" not in digest
    assert "of sam@example.com" not in digest and "sam@example.com's" not in digest


def test_boss_name_flag_wins(home: Path, capsys) -> None:
    assert main([*FLAGS, "--boss-name", "Sam R."]) == 0
    assert boss(home)["name"] == "Sam R."
    assert "the name from your calendar" not in capsys.readouterr().out


def test_a_config_without_the_name_takes_it_from_the_meeting(home: Path, capsys) -> None:
    assert main(FLAGS) == 0
    config = home / ".config" / "manageup" / "config.toml"
    config.write_text(config.read_text().replace('name = "Sam Rivera"', 'name = ""'))
    capsys.readouterr()
    assert main(["preview"]) == 0
    digest = capsys.readouterr().out
    assert "Sam Rivera" in digest and "sam@example.com's" not in digest


def test_init_on_a_terminal_offers_the_name_turned_round(home: Path) -> None:
    env = {**os.environ, "HOME": str(home), "TZ": "Europe/Berlin", "NO_COLOR": "1"}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "MANAGEUP_CONFIG"):
        env.pop(var, None)
    child = pexpect.spawn(sys.executable, ["-m", "manageup", "init", "--me", "alex@example.com",
                                           "--calendar", "~/calendars/work.ics"],
                          env=env, cwd=str(ROOT), encoding="utf-8", timeout=60)
    child.expect(r"1\. sam@example.com \(Sam Rivera\): 8 meeting")
    child.expect(r"Your boss's e-mail address \(or a number above\)")
    child.sendline("1")
    child.expect(r"Your time zone")
    child.sendline("Europe/Berlin")
    child.expect("Your first name")
    child.sendline("")
    child.expect(r"Your boss's name \[Sam Rivera\]")
    child.sendline("")
    child.expect("Wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert boss(home)["name"] == "Sam Rivera"
