"""`doctor` asks systemd whether the service runs (issue 27.3): unit files that nothing
runs send nothing, so "installed and matching the config" alone is no pass. Tested with
no reachable user manager, with a systemctl stand-in reporting inactive units (answering
as systemctl does: is-enabled exits 1, is-active 3) and with a running timer; the last
cycle's outcome comes from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from manageup.cli import main
from tests.system.units_env import INIT, home, systemctl

__all__ = ["home", "systemctl"]  # fixtures, used by name

NO_BUS = "#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n"
INACTIVE = """#!/bin/sh
case "$2" in
  is-enabled) echo disabled; exit 1 ;;
  is-active) echo inactive; exit 3 ;;
  show) echo "LastTriggerUSec=n/a"; echo "NextElapseUSecRealtime=" ;;
esac
"""
RUNNING_TIMER = """#!/bin/sh
case "$2" in
  is-enabled) echo enabled ;;
  is-active) echo active ;;
  show) echo "LastTriggerUSec=Wed 2026-11-25 16:50:01 CET"
        echo "NextElapseUSecRealtime=Wed 2026-11-25 17:00:01 CET" ;;
esac
"""


def answer_as(systemctl: Path, script: str) -> None:
    (systemctl.parent / "bin" / "systemctl").write_text(script)


def doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["doctor"])
    return code, capsys.readouterr().out


def test_no_reachable_systemd_is_installed_but_not_running(
        home: Path, systemctl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(INIT) == 0
    assert main(["service", "install", "--no-start"]) == 0
    answer_as(systemctl, NO_BUS)
    code, out = doctor(capsys)
    assert code == 1 and "All checks passed" not in out
    assert ("FAIL  service: manageup.service installed, but not running: no digest will "
            "arrive (systemd cannot be asked: Failed to connect to bus") in out
    assert "manageup service install --cron" in out


@pytest.mark.parametrize(("flags", "unit"), [([], "manageup.service"),
                                             (["--timer"], "manageup.timer")])
def test_units_systemd_reports_inactive_are_not_running(
        home: Path, systemctl: Path, capsys: pytest.CaptureFixture[str],
        flags: list[str], unit: str) -> None:
    assert main(INIT) == 0
    assert main(["service", "install", "--no-start", *flags]) == 0
    answer_as(systemctl, INACTIVE)
    code, out = doctor(capsys)
    assert code == 1
    assert (f"FAIL  service: {unit} installed, but not running: no digest will arrive "
            f"(not enabled, not active); run: systemctl --user enable --now {unit}") in out


def test_a_running_timer_shows_its_runs_and_the_last_cycle(
        home: Path, systemctl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(INIT) == 0
    assert main(["service", "install", "--no-start", "--timer"]) == 0
    assert main(["run", "--once"]) == 0  # what the timer runs
    answer_as(systemctl, RUNNING_TIMER)
    code, out = doctor(capsys)
    assert code == 0, out
    assert ("ok    service: manageup-once.service, manageup.timer installed and matching "
            "the config; enabled and running; last run Wed 2026-11-25 16:50:01 CET; next "
            "run Wed 2026-11-25 17:00:01 CET") in out
    assert "ok    last cycle: " in out and ", nothing due" in out


def test_a_last_cycle_that_could_not_read_the_calendar_fails(
        home: Path, systemctl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(INIT) == 0
    calendar = home / "calendars" / "work.ics"
    calendar.rename(calendar.with_suffix(".away"))
    assert main(["run", "--once"]) == 1
    calendar.with_suffix(".away").rename(calendar)  # back before doctor reads it
    code, out = doctor(capsys)
    assert code == 1
    line = next(x for x in out.splitlines() if "last cycle:" in x)
    assert line.startswith("FAIL") and "1 calendar not read (" in line


def test_a_cron_entry_with_no_cycle_for_long_is_not_running(
        home: Path, systemctl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(INIT) == 0
    assert main(["service", "install", "--cron", "--no-start"]) == 0
    code, out = doctor(capsys)  # no cycle yet: nothing to hold against it
    assert code == 0 and "ok    service: a cycle every 10 minutes from your crontab" in out
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    assert main(["run", "--once", "--now", long_ago.isoformat()]) == 0
    code, out = doctor(capsys)
    assert code == 1
    assert ("FAIL  service: crontab entry installed, but not running: no digest will arrive "
            "(no cycle since") in out and "is cron running?" in out
