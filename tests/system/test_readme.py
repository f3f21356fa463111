"""The README's "Use it" commands, run as written in a fresh home folder: a step that
fails there fails here. `pipx install .` is the one step taken as done (this test runs
the installed `manageup` of the test environment); systemctl is a recording stand-in,
since no user manager runs here, and the units written are checked with systemd-analyze."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fresh_calendar import write_calendar


def use_it_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Use it\n", 1)[1].split("\n## ", 1)[0]
    section = section.split("\n### ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(words)
    return commands


def test_readme_use_it_walkthrough(tmp_path: Path) -> None:
    commands = use_it_commands()
    assert commands[0][:2] == ["pipx", "install"]
    assert [c[:3] for c in commands[1:3]] == [["manageup", "init", "--me"],
                                              ["manageup", "service", "install"]]
    home = tmp_path / "home"
    # As Outlook exports it: "Rivera, Sam" in the CN, a Windows zone (issue 27.1).
    write_calendar(home / "calendars" / "work.ics", outlook=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "systemctl.log"
    (bin_dir / "systemctl").write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    (bin_dir / "systemctl").chmod(0o755)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("XDG_") and k != "MANAGEUP_CONFIG"}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), NO_COLOR="1",
               PATH=f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                    f"{env['PATH']}")
    for command in commands[1:]:
        done = subprocess.run(command, cwd=home, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{shlex.join(command)}:\n{done.stdout}{done.stderr}"
        assert "Traceback" not in done.stderr
        if command[1] == "doctor":
            assert "All checks passed" in done.stdout
        if command[1] == "meetings":
            assert "Alex / Sam 1:1" in done.stdout
        if command[1] == "init":  # the boss's name, from the calendar, said
            assert "Your boss: Sam Rivera <sam@example.com>" in done.stdout
        if command[1] == "preview":  # and the digest uses it
            assert "Sam Rivera" in done.stdout and "Rivera, Sam" not in done.stdout
            # The address only where it says which address matched (the reason).
            assert [x for x in done.stdout.splitlines() if "sam@example.com" in x
                    and "boss (sam@example.com) is" not in x] == []
    assert "--user enable --now manageup.service" in log.read_text()
    unit = home / ".config" / "systemd" / "user" / "manageup.service"
    assert shutil.which("systemd-analyze"), "scripts/test installs systemd-analyze"
    verified = subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], env=env,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0 and "manageup" not in verified.stdout + verified.stderr, \
        verified.stdout + verified.stderr


@pytest.mark.parametrize("command", use_it_commands()[1:])
def test_every_readme_verb_exists(command: list[str]) -> None:
    assert command[0] == "manageup"
    from manageup.cli import build_parser

    build_parser().parse_args(command[1:])  # exits 2 on an unknown verb or option


def test_use_it_offers_the_secret_ical_address_first() -> None:
    # Issue 27.4: the easy path before the file export, with each provider's steps.
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Use it\n", 1)[1].split("\n## ", 1)[0]
    first = section.index("```sh")
    for step in ("Integrate calendar", "Secret address in iCal format", "Publish a calendar",
                 "Public Calendar", "Fastmail", "`boss.name`", "--explain"):
        assert -1 < section.find(step) < first, step
