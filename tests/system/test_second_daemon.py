"""A second `manageup run` on a store whose daemon already runs (issue 27.3): it names the
running daemon's pid and exits with its own code, 3, instead of running beside it."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from manageup.cli import main
from tests.conftest import ROOT


def _wait_for_pid(lock: Path, pid: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if lock.exists() and lock.read_text().strip() == str(pid):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    pytest.fail(f"the daemon never wrote its pid to {lock}")


def test_a_second_daemon_on_the_same_store_names_the_first_and_exits_3(
        example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = example / "config.toml"
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    first = subprocess.Popen([sys.executable, "-m", "manageup", "--config", str(config), "run"],
                             cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        lock = example / "state" / "manageup.sqlite3.daemon"
        _wait_for_pid(lock, first.pid, first)
        assert main(["--config", str(config), "run"]) == 3
        err = capsys.readouterr().err
        assert f"another manageup daemon (pid {first.pid}) is running" in err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert first.poll() is None  # the first one runs on, untouched
        # A preview next to it is no second daemon.
        assert main(["--config", str(config), "run", "--once", "--dry-run"]) == 0
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
    assert first.returncode == 0
    # Once it has stopped, the next daemon may start: the lock went with its holder.
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
