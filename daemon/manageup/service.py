"""The daemon: a cycle every poll interval with `schedule`, and one more at each digest's
due time when that falls between polls; systemd readiness and watchdog."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import schedule

from manageup.errors import AlreadyRunning, ManageupError, StoreError
from manageup.files import private_dir
from manageup.words import plural

if TYPE_CHECKING:
    from manageup.cycle.context import CycleReport

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


@contextlib.contextmanager
def daemon_lock(store: Path) -> Iterator[None]:
    """Held while a daemon runs on `store`, with its pid in the file: a second daemon
    would only find every cycle skipped for the cycle lock, and say little about why. The
    kernel drops the lock when its holder dies, even by SIGKILL."""
    lock = store.with_name(store.name + ".daemon")
    try:
        private_dir(lock.parent)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise StoreError(f"cannot take the daemon lock {lock}: {e.strerror}; remove it "
                         "(manageup makes a new one) and check its folder") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            raise AlreadyRunning(
                f"another manageup daemon (pid {pid}) is running on the store {store}; "
                "stop it first (systemctl --user stop manageup, or kill it), or use "
                "`manageup run --once` for one cycle beside it") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def watchdog_interval(env: dict[str, str] | None = None) -> float | None:
    e = env if env is not None else os.environ
    usec = e.get("WATCHDOG_USEC")
    pid = e.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000 / 2  # ping at half the deadline, as systemd advises


class Daemon:
    """`cycle` returns the cycle's report (or None); the digests it lists as waiting get a
    wake at their due time. A cycle running longer than `max_cycle` seconds is taken for
    hung: the watchdog pings stop and systemd restarts the service."""

    def __init__(self, cycle: Callable[[datetime], CycleReport | None],
                 interval_seconds: float, clock: Callable[[], datetime],
                 watchdog: bool = True, max_cycle: float = 900.0) -> None:
        self.cycle = cycle
        self.interval = interval_seconds
        self.clock = clock
        self.stop = threading.Event()
        self.scheduler = schedule.Scheduler()
        self.watchdog = watchdog_interval() if watchdog else None
        self.max_cycle = max_cycle
        self.cycles = 0
        self._busy_since: float | None = None
        self._wakes: set[datetime] = set()

    def one_cycle(self) -> None:
        """A job `schedule` runs. It swallows every error: an exception escaping here
        would leave run_pending and end the daemon."""
        self._busy_since = time.monotonic()
        try:
            report = self.cycle(self.clock())
            if report is not None:
                self._plan_wakes([due for _title, due in report.waiting])
        except ManageupError as e:  # a problem the user can act on: one line, no traceback
            log.error("%s; the next cycle runs in %ss", e, int(self.interval))
        except Exception:  # see the docstring: nothing may escape a job
            log.exception("this cycle failed; the next one runs in %ss", int(self.interval))
        finally:
            self._busy_since = None
            self.cycles += 1

    def _plan_wakes(self, dues: list[datetime]) -> None:
        """A cycle at each due time sooner than the next poll: with a lead time shorter
        than the poll interval, no poll may fall between the due time and the start."""
        now = self.clock()
        for due in sorted(set(dues) - self._wakes):
            # A little early (the cycle counts DUE_SLACK as due): "0m" is due at the start.
            seconds = (due - now).total_seconds() - 2
            if 0 < seconds < self.interval:
                self._wakes.add(due)
                log.debug("waking at %s for a digest due then", due.isoformat())
                self.scheduler.every(max(1, math.floor(seconds))).seconds.do(self._wake, due)

    def _wake(self, due: datetime) -> type[schedule.CancelJob]:
        self._wakes.discard(due)
        self.one_cycle()
        return schedule.CancelJob

    def _watch(self) -> None:
        """Ping the watchdog from a thread, so a long cycle (big feeds, slow servers) is
        not taken for a hang; stop pinging when a cycle outlives max_cycle."""
        assert self.watchdog is not None
        while not self.stop.wait(self.watchdog):
            busy = self._busy_since
            if busy is None or time.monotonic() - busy < self.max_cycle:
                sd_notify("WATCHDOG=1")
            else:
                log.error("a cycle has run for over %ss; letting the watchdog restart "
                          "manageup", int(self.max_cycle))

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        self.stop.set()

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.scheduler.every(max(1, round(self.interval))).seconds.do(self.one_cycle)
        if self.watchdog:
            threading.Thread(target=self._watch, name="watchdog", daemon=True).start()
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
        log.info("stopped after %s", plural(self.cycles, "cycle"))
        return 0
