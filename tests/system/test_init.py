"""`manageup init`: flags, questions on a terminal, --suggest-boss, never over an existing
config; right after it, `doctor` passes."""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from pathlib import Path

import pexpect
import pytest

from manageup.cli import main
from tests.conftest import ROOT
from tests.fresh_calendar import fresh_home, write_calendar

FLAGS = ["--me", "alex@example.com", "--boss", "sam@example.com", "--timezone",
         "Europe/Berlin"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = fresh_home(tmp_path, monkeypatch)
    write_calendar(home / "calendars" / "work.ics")
    return home


def config_path(home: Path) -> Path:
    return home / ".config" / "manageup" / "config.toml"


def test_init_with_flags_writes_a_private_working_config(home: Path, capsys) -> None:
    assert main(["init", *FLAGS, "--calendar", "~/calendars/work.ics", "--name", "Alex"]) == 0
    path = config_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = tomllib.loads(path.read_text())
    assert data["boss"]["email"] == "sam@example.com"
    assert data["calendars"][0]["path"] == "~/calendars/work.ics"
    assert (home / ".local" / "share" / "manageup").is_dir()
    assert "Wrote" in capsys.readouterr().out
    # Right after init, doctor passes, and finds the 1:1s.
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "with your boss in the next 14 days" in out


def test_init_without_a_terminal_names_the_missing_flag(home: Path, capsys) -> None:
    assert main(["init", "--me", "alex@example.com", "--timezone", "UTC"]) == 2
    err = capsys.readouterr().err
    assert "missing --calendar, --boss" in err
    assert not config_path(home).exists()


def test_init_checks_each_value_and_names_the_flag(home: Path, capsys) -> None:
    assert main(["init", *FLAGS, "--calendar", "~/nothing.ics"]) == 2
    assert "--calendar '~/nothing.ics': no file there" in capsys.readouterr().err
    assert main(["init", *FLAGS[:2], "--boss", "sam", "--calendar", "~/calendars/work.ics",
                 "--timezone", "Europe/Berlin"]) == 2
    assert "--boss 'sam': not an e-mail address" in capsys.readouterr().err
    assert main(["init", *FLAGS[:4], "--timezone", "Mars/Base", "--calendar",
                 "~/calendars/work.ics"]) == 2
    assert "--timezone 'Mars/Base'" in capsys.readouterr().err
    assert not config_path(home).exists()


def test_init_never_overwrites_without_force(home: Path, capsys) -> None:
    args = ["init", *FLAGS, "--calendar", "~/calendars/work.ics"]
    assert main(args) == 0
    path = config_path(home)
    path.write_text(path.read_text() + "# mine\n")
    before = path.read_text()
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err and path.read_text() == before
    assert main([*args, "--force"]) == 0
    assert "# mine" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_suggest_boss_lists_recurring_two_person_meetings(home: Path, capsys) -> None:
    assert main(["init", "--suggest-boss", "--me", "alex@example.com", "--calendar",
                 str(home / "calendars" / "work.ics"), "--timezone", "Europe/Berlin"]) == 0
    out = capsys.readouterr().out
    lines = [line.strip() for line in out.splitlines() if line.strip()[:2] in ("1.", "2.")]
    assert lines[0].startswith("1. sam@example.com (Sam Rivera): 8 meetings")
    assert lines[1].startswith("2. dana@example.com (Dana Park): 4 meetings")
    assert "bob@" not in out and " a@example.com" not in out  # one-off; team meeting
    assert not config_path(home).exists()  # proposals only


def test_init_asks_on_a_terminal(home: Path) -> None:
    env = {**os.environ, "HOME": str(home), "TZ": "Europe/Berlin", "NO_COLOR": "1"}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "MANAGEUP_CONFIG"):
        env.pop(var, None)
    child = pexpect.spawn(sys.executable, ["-m", "manageup", "init"], env=env, cwd=str(ROOT),
                          encoding="utf-8", timeout=60)
    child.expect("Your e-mail address")
    child.sendline("alex@example.com")
    child.expect("Your calendar")
    child.sendline("~/calendars/nowhere.ics")
    child.expect("no file there")  # asked again
    child.expect("Your calendar")
    child.sendline("~/calendars/work.ics")
    child.expect(r"1\. sam@example.com \(Sam Rivera\): 8 meeting")
    child.expect(r"Your boss's e-mail address \(or a number above\)")
    child.sendline("1")
    child.expect(r"Your time zone \[Europe/Berlin\]")
    child.sendline("")
    child.expect("Your first name")
    child.sendline("Alex")
    child.expect(r"Your boss's name \[Sam Rivera\]")
    child.sendline("")
    child.expect("Wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    data = tomllib.loads(config_path(home).read_text())
    assert data["boss"] == {"email": "sam@example.com", "name": "Sam Rivera", "aliases": []}
    assert data["me"] == {"email": "alex@example.com", "name": "Alex",
                          "timezone": "Europe/Berlin"}


def test_no_config_yet_points_to_init(home: Path, capsys) -> None:
    assert main(["meetings"]) == 2
    err = capsys.readouterr().err
    assert "no config file at" in err and "run: manageup init" in err


@pytest.mark.parametrize(("flags", "expected"), [
    (["--me", "alex@example.com", "--boss", "ALEX@example.com"],
     "--boss 'alex@example.com': is your own address (--me)"),
    (["--me", 'a"b@example.com', "--boss", "sam@example.com"], "--me 'a\"b@example.com': "),
    (["--me", "alex@example.com", "--boss", "sam@example.com."], "--boss 'sam@example.com.'"),
])
def test_init_rejects_what_the_config_would_refuse_naming_the_flag(
        home: Path, capsys, flags: list[str], expected: str) -> None:
    assert main(["init", *flags, "--calendar", "~/calendars/work.ics",
                 "--timezone", "Europe/Berlin"]) == 2
    err = capsys.readouterr().err
    assert expected in err and "would write is not valid" not in err
    assert "me.email" not in err and "boss.email" not in err
    assert not config_path(home).exists()


def test_init_on_a_terminal_asks_again_when_the_boss_is_yourself(home: Path) -> None:
    env = {**os.environ, "HOME": str(home), "TZ": "Europe/Berlin", "NO_COLOR": "1"}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "MANAGEUP_CONFIG"):
        env.pop(var, None)
    child = pexpect.spawn(sys.executable, ["-m", "manageup", "init", "--me",
                                           "alex@example.com", "--calendar",
                                           "~/calendars/work.ics"],
                          env=env, cwd=str(ROOT), encoding="utf-8", timeout=60)
    child.expect(r"Your boss's e-mail address \(or a number above\)")
    child.sendline("Alex@Example.com")
    child.expect("is your own address")  # asked again, the answers so far kept
    child.expect(r"Your boss's e-mail address")
    child.sendline("sam@example.com")
    child.expect(r"Your time zone \[Europe/Berlin\]")
    child.sendline("")
    child.expect("Your first name")
    child.sendline("")
    child.expect(r"Your boss's name")
    child.sendline("")
    child.expect("Wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert tomllib.loads(config_path(home).read_text())["boss"]["email"] == "sam@example.com"


def test_init_refuses_a_file_that_is_not_a_calendar(home: Path, capsys) -> None:
    (home / "notes.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    assert main(["init", *FLAGS, "--calendar", "~/notes.txt"]) == 2
    assert "--calendar '~/notes.txt': not an iCalendar file" in capsys.readouterr().err
    assert not config_path(home).exists()


def test_init_on_a_terminal_goes_on_when_the_calendar_url_cannot_be_read(home: Path) -> None:
    # Offline, or a feed that needs the VPN: the suggestion is a help, not a condition.
    env = {**os.environ, "HOME": str(home), "TZ": "Europe/Berlin", "NO_COLOR": "1"}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "MANAGEUP_CONFIG"):
        env.pop(var, None)
    url = "http://127.0.0.1:9/work.ics"  # the discard port: nothing listens
    child = pexpect.spawn(sys.executable, ["-m", "manageup", "init", "--me",
                                           "alex@example.com", "--calendar", url],
                          env=env, cwd=str(ROOT), encoding="utf-8", timeout=60)
    child.expect("cannot suggest your boss")
    child.expect(r"Your boss's e-mail address: ")
    child.sendline("sam@example.com")
    child.expect(r"Your time zone \[Europe/Berlin\]")
    child.sendline("")
    child.expect("Your first name")
    child.sendline("")
    child.expect(r"Your boss's name")
    child.sendline("")
    child.expect("Wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert tomllib.loads(config_path(home).read_text())["calendars"][0]["url"] == url


@pytest.mark.parametrize("verb", [["review", "--list"], ["list"], ["meetings"], ["doctor"]])
def test_reading_verbs_right_after_init_create_nothing(home: Path, capsys,
                                                       verb: list[str]) -> None:
    assert main(["init", *FLAGS, "--calendar", "~/calendars/work.ics"]) == 0
    before = sorted(home.rglob("*"))
    assert main(verb) == 0
    assert sorted(home.rglob("*")) == before


def test_init_fails_when_a_file_is_where_the_data_folder_goes(home: Path, capsys) -> None:
    (home / ".local" / "share").mkdir(parents=True)
    (home / ".local" / "share" / "manageup").write_text("")
    assert main(["init", *FLAGS, "--calendar", "~/calendars/work.ics"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file, not a folder" in err, err
    assert not config_path(home).exists()


def test_init_takes_a_webcal_link_as_https(home: Path) -> None:
    # "Subscribe" buttons (iCloud, Outlook, Google) hand out webcal:// links.
    assert main(["init", *FLAGS, "--calendar", "webcal://p01.example.com/published/x.ics"]) == 0
    data = tomllib.loads(config_path(home).read_text())
    assert data["calendars"][0]["url"] == "https://p01.example.com/published/x.ics"


def test_suggest_boss_beside_an_existing_config_reads_it_and_writes_nothing(
        home: Path, capsys) -> None:
    assert main(["init", *FLAGS, "--calendar", "~/calendars/work.ics"]) == 0
    before = config_path(home).read_bytes()
    capsys.readouterr()
    assert main(["init", "--suggest-boss"]) == 0  # no --force, no --me, no --calendar
    out = capsys.readouterr().out
    lines = [line.strip() for line in out.splitlines() if line.strip()[:2] in ("1.", "2.")]
    assert lines[0].startswith("1. sam@example.com (Sam Rivera): 8 meetings")
    assert lines[1].startswith("2. dana@example.com (Dana Park): 4 meetings")
    assert "already exists" not in out
    assert config_path(home).read_bytes() == before


def test_suggest_boss_beside_an_existing_config_takes_the_flags_first(home: Path,
                                                                      capsys) -> None:
    assert main(["init", *FLAGS, "--calendar", "~/calendars/work.ics"]) == 0
    capsys.readouterr()
    # As Dana sees it: her recurring two-person meetings are with Alex.
    assert main(["init", "--suggest-boss", "--me", "dana@example.com"]) == 0
    out = capsys.readouterr().out
    listed = [line for line in out.splitlines() if line.startswith("  ")]
    assert listed[0].startswith("  1. alex@example.com") and "sam@" not in "".join(listed)


def test_the_written_config_points_to_config_example(home: Path, capsys) -> None:
    assert main(["init", *FLAGS, "--calendar", "~/calendars/work.ics"]) == 0
    text = config_path(home).read_text()
    assert "manageup config --example" in text and "config.example.toml" not in text
    out = capsys.readouterr().out
    maildir = home / ".local" / "share" / "manageup" / "Maildir"
    assert f"Digests go to the Maildir {maildir}" in out
