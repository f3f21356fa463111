"""The daemon: the systemd watchdog is pinged during long work, and it wakes at the next
due time, so a lead time shorter than the poll interval loses no digest."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import time_machine

from manageup.cycle import make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.service import Daemon
from manageup.store import Store
from tests.conftest import BERLIN, ICS, at


def _wait_for(condition, seconds: float = 60) -> bool:
    give_up = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > give_up:
            return False
        time.sleep(0.05)
    return True


def test_watchdog_is_pinged_while_a_cycle_runs_long(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sock_path = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(sock_path))
    listener.settimeout(30)
    monkeypatch.setenv("NOTIFY_SOCKET", str(sock_path))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # a ping every 0.1 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    pings_during_cycle = []

    def long_cycle(now: datetime) -> None:
        # Busy for as long as it takes to hear two pings (or 30 s): work that outlasts
        # the watchdog interval many times over.
        got: list[str] = []
        try:
            while sum("WATCHDOG=1" in g for g in got) < 2:
                got.append(listener.recv(4096).decode())
        except TimeoutError:
            pass
        pings_during_cycle.append(sum("WATCHDOG=1" in g for g in got))
        daemon.stop.set()

    daemon = Daemon(long_cycle, 60, clock=lambda: at("2026-11-25T16:00+01:00"))
    try:
        daemon.run()
    finally:
        listener.close()
    assert pings_during_cycle == [2]


@pytest.mark.parametrize(("lead", "wake"), [("5m", "09:55:30"), ("0m", "09:59:59")])
def test_short_lead_time_wakes_the_daemon_at_the_due_time(
        make_config, monkeypatch: pytest.MonkeyPatch, lead: str, wake: str) -> None:
    """lead_time 5m, poll_interval 15m: polls at 09:45 and 10:00 straddle the digest due
    at 09:55 for the 10:00 1:1; only a wake at 09:55 sends it. With "0m" the wake comes
    just before the start."""
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics",
                          f'[digest]\nlead_time = "{lead}"\n[service]\npoll_interval = "15m"')
    sources, transport = make_sources(cfg), make_transport(cfg)

    def cycle(now: datetime):
        store = Store.open(cfg.store.path)
        try:
            return run_cycle(cfg, store, sources, transport, now)
        finally:
            store.close()

    with time_machine.travel(at("2026-11-05T09:45:00+01:00"), tick=False) as traveller:
        daemon = Daemon(cycle, cfg.service.poll_interval.total_seconds(),
                        clock=lambda: datetime.now(BERLIN), watchdog=False)

        def drive() -> None:
            try:
                assert _wait_for(lambda: daemon.cycles >= 1)  # the 09:45 poll
                traveller.move_to(at(f"2026-11-05T{wake}+01:00"))
                _wait_for(lambda: daemon.cycles >= 2, 10)  # a wake, if there is one
                before = daemon.cycles
                traveller.move_to(at("2026-11-05T10:00:00+01:00"))  # the next poll
                assert _wait_for(lambda: daemon.cycles > before)
            finally:
                daemon.stop.set()

        driver = threading.Thread(target=drive)
        driver.start()
        daemon.run()
        driver.join()
    assert _sent(cfg) == ["weekly@example.com|2026-11-05T10:00:00+01:00"]


def _sent(cfg) -> list[str]:
    store = Store.open(cfg.store.path)
    try:
        return [r.key for r in store.ledger() if r.state == "sent"]
    finally:
        store.close()
