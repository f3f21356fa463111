"""What the service tests share: a fresh home folder with a calendar, and stand-ins for
systemctl (recording its arguments) and crontab (keeping the table in a file) first on
PATH, so no test reaches the machine's own user manager or crontab."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.fresh_calendar import fresh_home, write_calendar

INIT = ["init", "--me", "alex@example.com", "--boss", "sam@example.com", "--timezone",
        "Europe/Berlin", "--calendar", "~/calendars/work.ics"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = fresh_home(tmp_path, monkeypatch)
    write_calendar(home / "calendars" / "work.ics")
    return home


@pytest.fixture
def systemctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A systemctl that records its arguments, first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "systemctl.log"
    script = bin_dir / "systemctl"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    script.chmod(0o755)
    table = tmp_path / "crontab"
    fake_crontab(bin_dir, table)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def unit_dir(home: Path) -> Path:
    return home / ".config" / "systemd" / "user"


def verify(home: Path, *names: str) -> None:
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze is missing; scripts/test installs it (apt: systemd)")
    # A short runtime folder: systemd-analyze also reads the system's user sockets (gpg-agent)
    # under it, and a socket path over 108 bytes fails their verification, not ours.
    runtime = Path(tempfile.mkdtemp(prefix="mu-run-", dir="/tmp"))
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    try:
        done = _analyze(home, names, env)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if "manageup" in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def _analyze(home: Path, names: tuple[str, ...], env: dict[str, str]) \
        -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "--user", "verify", *[str(unit_dir(home) / n) for n in names]],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def settings(path: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )


def fake_crontab(bin_dir: Path, table: Path) -> None:
    """crontab -l and crontab - as cronie and Debian's cron answer them."""
    script = bin_dir / "crontab"
    script.write_text(f"""#!/bin/sh
case "$1" in
  -l) if [ -f "{table}" ]; then cat "{table}"; else echo "no crontab for $USER" >&2; exit 1; fi ;;
  -) cat > "{table}" ;;
  *) exit 2 ;;
esac
""")
    script.chmod(0o755)
