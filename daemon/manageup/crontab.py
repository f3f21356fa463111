"""`manageup service install --cron`: one cycle every 10 minutes from the user's crontab,
for machines where no user systemd runs (a container, a shared server without lingering).

The entry is two lines, a marker comment and the job, so that install replaces it and
uninstall removes it without touching the user's other lines.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

from manageup.errors import ManageupError


class NoCrontab(ManageupError):
    """No crontab program here."""

MARKER = "# manageup: one cycle every 10 minutes (manageup service install --cron)"
SCHEDULE = "*/10 * * * *"


def job_line(command: Sequence[str], config_path: Path) -> str:
    """The crontab line. cron hands the command to sh, and reads an unescaped % as a line
    break; -q keeps cron's mail to warnings and errors."""
    argv = [*command, "--config", str(config_path), "-q", "run", "--once"]
    return f"{SCHEDULE} " + shlex.join(argv).replace("%", "\\%")


def read() -> list[str]:
    done = _crontab(["-l"])
    if done.returncode != 0:
        said = (done.stderr or "").strip()
        if "no crontab" in said.lower():
            return []
        raise ManageupError(f"crontab -l failed: {said or done.returncode}")
    return done.stdout.splitlines()


def write(lines: Sequence[str]) -> None:
    done = _crontab(["-"], "".join(f"{line}\n" for line in lines))
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise ManageupError(f"crontab - failed: {said[-1] if said else done.returncode}; "
                            "is cron allowed for you (cron.allow, cron.deny)?")


def without_entry(lines: Sequence[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for line in lines:
        if skip:
            skip = False
            continue
        if line.strip() == MARKER:
            skip = True  # and the job line after it
            continue
        out.append(line)
    return out


def entry(lines: Sequence[str]) -> str:
    """The job line manageup wrote, or ""."""
    for i, line in enumerate(lines):
        if line.strip() == MARKER and i + 1 < len(lines):
            return lines[i + 1]
    return ""


def install(command: Sequence[str], config_path: Path) -> str:
    """Add (or replace) the entry; returns its job line."""
    line = job_line(command, config_path)
    write([*without_entry(read()), MARKER, line])
    return line


def remove() -> bool:
    """Remove the entry; whether there was one. No crontab program: nothing to remove."""
    try:
        lines = read()
    except NoCrontab:
        return False
    if not entry(lines) and MARKER not in (line.strip() for line in lines):
        return False
    write(without_entry(lines))
    return True


def _crontab(args: Sequence[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["crontab", *args], input=stdin, capture_output=True,
                              text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise NoCrontab("crontab is not available here; install cron (Debian/Ubuntu: "
                            "apt install cron), or run `manageup run` yourself") from None
    except subprocess.TimeoutExpired:
        raise ManageupError(f"crontab {' '.join(args)} did not finish in 60s") from None
