"""The daemon: a cycle every poll interval with `schedule`, systemd readiness and watchdog."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType

import schedule

from manageup.errors import ManageupError

log = logging.getLogger(__name__)


def sd_notify(message: str, env: dict[str, str] | None = None) -> bool:
    """Send one datagram to $NOTIFY_SOCKET; a few lines instead of libsystemd."""
    addr = (env if env is not None else os.environ).get("NOTIFY_SOCKET", "")
    if not addr:
        return False
    if addr.startswith("@"):
        addr = "\0" + addr[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(addr)
            s.sendall(message.encode())
        return True
    except OSError as e:
        log.debug("sd_notify failed: %s", e)
        return False


def watchdog_interval(env: dict[str, str] | None = None) -> float | None:
    e = env if env is not None else os.environ
    usec = e.get("WATCHDOG_USEC")
    pid = e.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000 / 2  # ping at half the deadline, as systemd advises


class Daemon:
    def __init__(self, cycle: Callable[[datetime], object], interval_seconds: float,
                 clock: Callable[[], datetime], watchdog: bool = True) -> None:
        self.cycle = cycle
        self.interval = interval_seconds
        self.clock = clock
        self.stop = threading.Event()
        self.scheduler = schedule.Scheduler()
        self.watchdog = watchdog_interval() if watchdog else None
        self.cycles = 0

    def one_cycle(self) -> None:
        """A job `schedule` runs. It swallows every error: an exception escaping here
        would leave run_pending and end the daemon."""
        try:
            self.cycle(self.clock())
        except ManageupError as e:  # a problem the user can act on: one line, no traceback
            log.error("%s; the next cycle runs in %ss", e, int(self.interval))
        except Exception:  # see the docstring: nothing may escape a job
            log.exception("this cycle failed; the next one runs in %ss", int(self.interval))
        finally:
            self.cycles += 1

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        self.stop.set()

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.scheduler.every(max(1, round(self.interval))).seconds.do(self.one_cycle)
        if self.watchdog:
            self.scheduler.every(max(1, int(self.watchdog))).seconds.do(sd_notify, "WATCHDOG=1")
        sd_notify("READY=1\nSTATUS=starting the first cycle")
        log.info("manageup running; a cycle every %ss", int(self.interval))
        self.one_cycle()
        sd_notify("STATUS=waiting for the next cycle")
        while not self.stop.is_set():
            self.scheduler.run_pending()
            idle = self.scheduler.idle_seconds
            self.stop.wait(timeout=max(0.05, min(idle if idle is not None else 1.0, 1.0)))
        sd_notify("STOPPING=1")
        self.scheduler.clear()
        log.info("stopped after %d cycles", self.cycles)
        return 0
