"""A calendar path or store path that is not a file (issue 24.7): a named pipe (FIFO), a
device (/dev/zero) or a folder is one clear error, at once, naming the key. Before, a FIFO
hung meetings, run and doctor at the open, and /dev/zero was read until the kernel killed
the process.

Each command runs in its own process under a timeout and a memory limit: a guard so a
hang or an endless read fails the test instead of stalling or starving the suite, not a
measure of speed."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ICS, ROOT, config_text

GUARD = 60  # seconds; the commands take about one
NOW = "2026-11-03T08:00:00+01:00"


def _limit_memory() -> None:
    two_gb = 2 << 30
    resource.setrlimit(resource.RLIMIT_AS, (two_gb, two_gb))


def manageup(config: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    try:
        return subprocess.run([sys.executable, "-m", "manageup", "--config", str(config),
                               *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=GUARD, preexec_fn=_limit_memory, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"manageup {' '.join(argv)} still running after {GUARD} s")


def write_config(tmp_path: Path, calendar: Path | str, store: Path | None = None) -> Path:
    text = config_text(calendar, tmp_path)
    if store is not None:
        text = text.replace(str(tmp_path / "store.sqlite3"), str(store))
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


def said(done: subprocess.CompletedProcess[str]) -> str:
    text = done.stdout + done.stderr
    assert "Traceback" not in text, text
    return text


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
@pytest.mark.parametrize("argv", [["meetings", "--now", NOW], ["run", "--once"], ["doctor"]],
                         ids=["meetings", "run", "doctor"])
def test_a_calendar_path_that_is_not_a_file_is_one_clear_error(
        tmp_path: Path, kind: str, argv: list[str]) -> None:
    where = {"fifo": lambda: fifo(tmp_path, "work.ics"), "device": lambda: Path("/dev/zero"),
             "folder": lambda: tmp_path}[kind]()
    done = manageup(write_config(tmp_path, where), *argv)
    text = said(done)
    assert done.returncode != 0, text
    what = {"fifo": "is a named pipe (FIFO)", "device": "is a device",
            "folder": "is a folder"}[kind]
    assert f"{where} {what}, not a file" in text and "calendars.path" in text, text


@pytest.mark.parametrize("kind", ["fifo", "device"])
@pytest.mark.parametrize("argv", [["list"], ["run", "--once"], ["doctor"]],
                         ids=["list", "run", "doctor"])
def test_a_store_path_that_is_not_a_file_is_refused_naming_the_key(
        tmp_path: Path, kind: str, argv: list[str]) -> None:
    store = fifo(tmp_path, "store.sqlite3") if kind == "fifo" else Path("/dev/zero")
    done = manageup(write_config(tmp_path, ICS / "weekly_moved_cancelled_exdate.ics", store),
                    *argv)
    text = said(done)
    assert done.returncode != 0, text
    what = "is a named pipe (FIFO)" if kind == "fifo" else "is a device"
    assert f"store.path {store} {what}, not a file" in text, text
    if kind == "device":
        assert Path("/dev/zero").is_char_device()  # nothing was written over it


@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "link to fifo",
                                  "link to device", "link to folder"])
@pytest.mark.parametrize("argv", [["list"], ["run", "--once"]], ids=["list", "run"])
def test_a_store_path_that_is_not_a_file_is_a_config_error(tmp_path: Path, kind: str,
                                                           argv: list[str]) -> None:
    """Attack2 B8: a config problem exits 2, as the README says, not 1."""
    target = {"fifo": lambda: fifo(tmp_path, "pipe"), "device": lambda: Path("/dev/zero"),
              "folder": lambda: tmp_path / "folder"}[kind.removeprefix("link to ")]()
    if kind.endswith("folder"):
        target.mkdir()
    store = target
    if kind.startswith("link"):
        store = tmp_path / "store-link.sqlite3"
        store.symlink_to(target)
    done = manageup(write_config(tmp_path, ICS / "weekly_moved_cancelled_exdate.ics", store),
                    *argv)
    text = said(done)
    assert done.returncode == 2, text
    assert f"store.path {store} is" in text, text
