"""A cycle that finds another cycle holding the store's lock (the daemon while the timer
or `run --once` starts) says that it was skipped and why (issue 28.5), never "no 1:1 with
your boss found": nothing was read, so nothing can be said about the calendar."""

from __future__ import annotations

import fcntl
import os

import pytest

from manageup.cli import main

NOW = "2026-11-25T17:00:00+01:00"


def test_a_cycle_skipped_for_the_lock_says_so(make_config,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path, cfg = make_config()
    assert main(["--config", str(path), "run", "--once", "--now", NOW]) == 0  # the store
    capsys.readouterr()
    lock = cfg.store.path.with_name(cfg.store.path.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another cycle, running
        assert main(["--config", str(path), "run", "--once", "--now", NOW]) == 0
    finally:
        os.close(fd)
    err = capsys.readouterr().err
    assert "skipped this cycle: another manageup cycle" in err
    assert f"holds the lock on {cfg.store.path}" in err
    assert "No 1:1" not in err and "no 1:1" not in err
