"""`service install` where no user systemd runs (issue 27.3): it says what it wrote, what
failed and the ways forward; never leaves a daemon's and a timer's units side by side;
and `--cron` puts one cycle every 10 minutes in the crontab instead, a line that runs."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from manageup.cli import main
from manageup.crontab import MARKER
from tests.system.units_env import INIT, home, systemctl, unit_dir

__all__ = ["home", "systemctl"]  # fixtures, used by name

# What systemctl --user prints in a container or after `su` (systemd's own wording).
NO_BUS = "#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n"


def no_user_manager(systemctl: Path) -> None:
    (systemctl.parent / "bin" / "systemctl").write_text(NO_BUS)


def names(home: Path) -> list[str]:
    return sorted(p.name for p in unit_dir(home).iterdir())


def test_without_a_user_manager_it_says_what_it_wrote_what_failed_and_the_ways_forward(
        home: Path, systemctl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(INIT) == 0
    no_user_manager(systemctl)
    capsys.readouterr()
    assert main(["service", "install"]) == 1
    out, err = capsys.readouterr()
    assert f"Wrote {unit_dir(home) / 'manageup.service'}" in out
    assert "systemctl --user daemon-reload failed: Failed to connect to bus" in err
    assert "nothing was started" in err
    for way in ("loginctl enable-linger", "manageup service install --cron", "--no-start"):
        assert way in err, way
    assert "Traceback" not in err


def test_timer_after_a_failed_install_leaves_no_mix_of_units(
        home: Path, systemctl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(INIT) == 0
    no_user_manager(systemctl)
    assert main(["service", "install"]) == 1
    assert main(["service", "install", "--timer"]) == 1
    assert names(home) == ["manageup-once.service", "manageup.timer"]
    out = capsys.readouterr().out
    assert f"Removed {unit_dir(home) / 'manageup.service'}" in out


def cron_job(table: Path) -> list[str]:
    lines = table.read_text().splitlines()
    return lines[lines.index(MARKER) + 1].split(" ", 5)


def test_cron_replaces_the_units_keeps_the_users_lines_and_runs_a_cycle(
        home: Path, systemctl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = systemctl.parent / "crontab"
    table.write_text("0 7 * * * ~/bin/backup\n")
    assert main(INIT) == 0
    no_user_manager(systemctl)
    assert main(["service", "install"]) == 1
    assert main(["service", "install", "--cron"]) == 0
    assert main(["service", "install", "--cron"]) == 0  # again: still one entry
    assert names(home) == []
    lines = table.read_text().splitlines()
    assert lines[0] == "0 7 * * * ~/bin/backup" and lines.count(MARKER) == 1
    job = cron_job(table)
    assert job[:5] == ["*/10", "*", "*", "*", "*"]
    config = home / ".config" / "manageup" / "config.toml"
    exe = Path(sys.executable).parent / "manageup"
    assert shlex.split(job[5]) == [str(exe), "--config", str(config), "-q", "run", "--once"]
    assert "crontab -l" in capsys.readouterr().out
    # The line as cron runs it: sh -c, with cron's bare environment.
    done = subprocess.run(["sh", "-c", job[5].replace("\\%", "%")], capture_output=True,
                          text=True, timeout=300, cwd="/",
                          env={"HOME": str(home), "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh"})
    assert done.returncode == 0, done.stderr
    assert (home / ".local" / "share" / "manageup" / "manageup.sqlite3").is_file()
    # Back to systemd: one kind at a time, the cron entry goes.
    assert main(["service", "install", "--no-start"]) == 0
    assert table.read_text().splitlines() == ["0 7 * * * ~/bin/backup"]
    assert names(home) == ["manageup.service"]


def test_uninstall_removes_the_cron_entry(home: Path, systemctl: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    table = systemctl.parent / "crontab"
    assert main(INIT) == 0
    assert main(["service", "install", "--cron", "--no-start"]) == 0
    assert MARKER in table.read_text()
    assert main(["service", "uninstall"]) == 0
    assert MARKER not in table.read_text()
    assert "Removed the manageup entry from your crontab" in capsys.readouterr().out


def test_cron_without_a_crontab_program_says_how_to_get_one(
        home: Path, systemctl: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(INIT) == 0
    (systemctl.parent / "bin" / "crontab").unlink()
    monkeypatch.setenv("PATH", f"{systemctl.parent / 'bin'}{os.pathsep}/nonexistent")
    assert main(["service", "install", "--cron", "--no-start"]) == 1
    err = capsys.readouterr().err
    assert "crontab is not available here; install cron" in err and err.count("\n") == 1
