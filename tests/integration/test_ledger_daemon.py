"""The send ledger over simulated weeks, a crash between pending and sent, and the daemon
process itself (readiness, watchdog, SIGTERM)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from manageup.config import Config, load_config
from manageup.service import Daemon, sd_notify
from manageup.store import Store
from manageup.timing import due_at
from tests.conftest import BERLIN, CHILD_PYTHONPATH, ROOT, SmtpServer, at, run_cycles

SERIES = "weekly-1on1-sam-alex@example.com"


def override(recurrence_id: str, start: str, end: str, status: str = "CONFIRMED") -> str:
    return textwrap.dedent(f"""\
        BEGIN:VEVENT
        UID:{SERIES}
        DTSTAMP:20261120T000000Z
        RECURRENCE-ID;TZID=Europe/Berlin:{recurrence_id}
        DTSTART;TZID=Europe/Berlin:{start}
        DTEND;TZID=Europe/Berlin:{end}
        STATUS:{status}
        SUMMARY:Alex / Sam 1:1
        ORGANIZER:mailto:sam@example.com
        ATTENDEE;PARTSTAT=ACCEPTED:mailto:sam@example.com
        ATTENDEE;PARTSTAT=ACCEPTED:mailto:alex@example.com
        END:VEVENT
        """)


@pytest.fixture
def world(example: Path, smtp_server: SmtpServer):
    cfg_path = example / "config.toml"
    text = cfg_path.read_text().replace(
        '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n', smtp_server.delivery())
    cfg_path.write_text(text)
    base = (example / "calendar.ics").read_text()

    def set_calendar(*overrides: str) -> None:
        cal = base.replace("END:VCALENDAR", "".join(overrides) + "END:VCALENDAR")
        (example / "calendar.ics").write_text(cal)

    return load_config(cfg_path), smtp_server, set_calendar


def test_weeks_of_cycles_send_each_digest_once(world) -> None:
    cfg, server, set_calendar = world
    moved = override("20261203T100000", "20261204T140000", "20261204T143000")
    cancelled = override("20261210T100000", "20261210T100000", "20261210T103000", "CANCELLED")
    events = {
        at("2026-12-02T12:00+01:00"): [server.stop],
        at("2026-12-02T19:00+01:00"): [server.start],
        at("2026-12-02T21:00+01:00"): [lambda: set_calendar(moved)],
        at("2026-12-07T09:00+01:00"): [lambda: set_calendar(moved, cancelled)],
    }
    run_cycles(cfg, at("2026-11-23T00:00+01:00"), at("2026-12-12T00:00+01:00"),
             timedelta(hours=1), events)
    msgs = server.handler.messages
    sent = [(m["Date"], m["Subject"]) for m in msgs]
    assert [m["Subject"].split(", ", 1)[1][:16] for m in msgs] == [
        "Thu 26 Nov 10:00",  # on time, the day before
        "Thu 03 Dec 10:00",  # late: the server was down 12:00-19:00, sent when it came back
        "Fri 04 Dec 14:00",  # the meeting moved: a new digest for the new time
    ], sent
    assert "Wed, 25 Nov 2026 16:00:00 +0100" in msgs[0]["Date"]
    assert "Wed, 02 Dec 2026 19:00:00 +0100" in msgs[1]["Date"]
    assert "Thu, 03 Dec 2026 20:00:00 +0100" in msgs[2]["Date"]
    assert len({m["Message-ID"] for m in msgs}) == 3
    ids = [str(m["Message-ID"]) for m in msgs]
    assert msgs[2]["In-Reply-To"] == ids[1]  # one thread: each replies to the previous
    assert msgs[2]["References"] == f"{ids[0]} {ids[1]}"
    ledger = Store.open(cfg.store.path).ledger()
    assert sorted(r.state for r in ledger) == ["sent"] * 3
    failed = next(r for r in ledger if r.start.date().isoformat() == "2026-12-03")
    assert failed.attempts == 4  # 16:00, 17:00 and 18:00 failed, 19:00 went through


def test_digest_marked_missed_when_server_stays_down(world, caplog) -> None:
    cfg, server, _set = world
    server.stop()
    with caplog.at_level(logging.ERROR):
        run_cycles(cfg, at("2026-11-25T15:00+01:00"), at("2026-11-26T11:00+01:00"),
                 timedelta(hours=1))
    (row,) = Store.open(cfg.store.path).ledger()
    assert row.state == "missed" and "is the server up" in row.last_error
    assert "never delivered before the meeting started" in caplog.text


def test_permanent_failure_is_not_hammered(world) -> None:
    cfg, server, _set = world
    server.handler.reply = "550 5.7.1 Relaying denied"
    run_cycles(cfg, at("2026-11-25T16:00+01:00"), at("2026-11-25T17:00+01:00"),
             timedelta(minutes=5))
    (row,) = Store.open(cfg.store.path).ledger()
    assert row.state == "failed" and row.attempts == 1  # 12 cycles, one attempt


CRASHER = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from manageup.config import Config, load_config
from manageup.cycle import make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.store import Store

cfg = load_config(Path(sys.argv[1]))
transport = make_transport(cfg)
real_send = transport.send

def send_then_die(msg):
    real_send(msg)  # the server has the mail; the ledger still says pending
    os.kill(os.getpid(), signal.SIGKILL)

transport.send = send_then_die
run_cycle(cfg, Store.open(cfg.store.path), make_sources(cfg), transport,
          datetime.fromisoformat(sys.argv[2]))
"""


def crash_mid_send(cfg: Config, tmp_path: Path, now: str) -> None:
    """A cycle at `now` in its own process, killed right after the server took the mail."""
    script = tmp_path / "crash.py"
    script.write_text(CRASHER)
    proc = subprocess.run([sys.executable, str(script), str(cfg.source_path), now], cwd=ROOT,
                          capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": CHILD_PYTHONPATH})
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()


def test_crash_between_pending_and_sent_resends_once_with_same_id(world, tmp_path) -> None:
    cfg, server, _set = world
    crash_mid_send(cfg, tmp_path, "2026-11-25T16:00:00+01:00")
    (row,) = Store.open(cfg.store.path).ledger()
    assert row.state == "pending"
    run_cycles(cfg, at("2026-11-25T16:10+01:00"), at("2026-11-25T18:00+01:00"),
             timedelta(minutes=10))
    msgs = server.handler.messages
    assert len(msgs) == 2  # the one before the crash and exactly one resend
    assert msgs[0]["Message-ID"] == msgs[1]["Message-ID"]
    (row,) = Store.open(cfg.store.path).ledger()
    assert row.state == "sent"
    assert Store.open(cfg.store.path).conn.execute("PRAGMA integrity_check").fetchone()[0] \
        == "ok"


def test_due_time_moves_into_the_send_window() -> None:
    window = (datetime.strptime("07:00", "%H:%M").time(),
              datetime.strptime("21:00", "%H:%M").time())
    lead = timedelta(hours=18)
    # 10:00 meeting: due 16:00 the day before, inside the window.
    assert due_at(at("2026-11-26T10:00+01:00"), lead, window, BERLIN) == \
        at("2026-11-25T16:00+01:00")
    # 21:30 meeting: due 03:30, outside; the window opens at 07:00, before the meeting.
    assert due_at(at("2026-11-26T21:30+01:00"), lead, window, BERLIN) == \
        at("2026-11-26T07:00+01:00")
    # 06:30 meeting with a 2h lead: due 04:30; the window opens only after the meeting,
    # so the last minute of the window the evening before.
    assert due_at(at("2026-11-26T06:30+01:00"), timedelta(hours=2), window, BERLIN) == \
        at("2026-11-25T20:59+01:00")


# --- the daemon process ----------------------------------------------------------------------


def test_one_bad_cycle_does_not_end_the_daemon(caplog) -> None:
    calls = []

    def cycle(now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("boom")

    d = Daemon(cycle, 60, clock=lambda: at("2026-11-25T16:00+01:00"), watchdog=False)
    d.one_cycle()
    d.one_cycle()
    assert len(calls) == 2 and d.cycles == 2
    assert "this cycle failed" in caplog.text


def test_daemon_ready_watchdog_and_sigterm(example: Path, tmp_path: Path) -> None:
    sock_path = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(sock_path))
    listener.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "2000000"}
    env.pop("WATCHDOG_PID", None)
    proc = subprocess.Popen([sys.executable, "-m", "manageup", "--config",
                             str(example / "config.toml"), "run"], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        got = []
        while not any("WATCHDOG=1" in g for g in got):
            got.append(listener.recv(4096).decode())
        assert got[0].startswith("READY=1")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 1.0
        listener.settimeout(1)
        assert "STOPPING=1" in listener.recv(4096).decode()
        assert "received SIGTERM; stopping" in proc.stderr.read()
    finally:
        proc.kill()
        listener.close()


def test_sd_notify_abstract_and_missing_socket() -> None:
    assert sd_notify("READY=1", env={}) is False
    assert sd_notify("READY=1", env={"NOTIFY_SOCKET": "/nonexistent/sock"}) is False


def test_journald_priority_prefixes(monkeypatch, capsys) -> None:
    from manageup.cli import setup_logging

    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    setup_logging(0, daemon=True)
    logging.getLogger("x").error("bad")
    logging.getLogger("x").info("fine")
    err = capsys.readouterr().err
    assert "<3>bad" in err and "<6>fine" in err


@pytest.mark.parametrize("unit", ["manageup.service", "manageup-once.service"])
def test_units_pass_systemd_analyze_verify(unit: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is needed; scripts/test installs it"
    for f in (ROOT / "systemd").iterdir():
        # %h is the user's home under --user; verify in system mode with a real binary.
        text = f.read_text().replace("%h/.local/bin/manageup", sys.executable)
        (tmp_path / f.name).write_text(text.replace("%h", str(tmp_path)))
    out = subprocess.run([analyze, "verify", str(tmp_path / unit)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "manageup" not in out.stderr, out.stderr  # no warning about our units


# --- one cycle at a time, and what a digest showed written with its `sent` --------------------

OVERLAP = """
import sys
from datetime import datetime, timedelta
from pathlib import Path
from manageup.config import Config, load_config
from manageup.cycle import make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.store import Store

cfg = load_config(Path(sys.argv[1]))
sources, transport = make_sources(cfg), make_transport(cfg)
Path(sys.argv[2]).touch()
while not Path(sys.argv[3]).exists():  # start together, as a timer and the daemon may
    pass
now = datetime.fromisoformat("2026-11-25T16:00:00+01:00")
for step in range(8):  # the same due time, as overlapping processes see it
    try:
        store = Store.open(cfg.store.path)
    except Exception as e:
        import traceback; traceback.print_exception(e.__context__); raise
    run_cycle(cfg, store, sources, transport, now + timedelta(seconds=step))
    store.close()
"""


class SlowRecorder:
    """Takes a moment to accept each message, as a real server does under load."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        import asyncio

        await asyncio.sleep(0.3)
        self.raw.append(envelope.original_content)
        return "250 OK"


def test_overlapping_cycles_send_each_digest_once(example: Path, tmp_path: Path) -> None:
    server = SmtpServer()
    server.handler = SlowRecorder()  # type: ignore[assignment]
    server.start()
    try:
        cfg_path = example / "config.toml"
        cfg_path.write_text(cfg_path.read_text().replace(
            '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n', server.delivery()))
        script, go = tmp_path / "overlap.py", tmp_path / "go"
        script.write_text(OVERLAP)
        env = {**os.environ, "PYTHONPATH": CHILD_PYTHONPATH}
        procs = [subprocess.Popen([sys.executable, str(script), str(cfg_path),
                                   str(tmp_path / f"ready{n}"), str(go)], cwd=ROOT, env=env,
                                  stderr=subprocess.PIPE, text=True) for n in range(3)]
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"ready{n}").exists() for n in range(3)):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        go.touch()
        for p in procs:
            assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
        assert len(server.handler.raw) == 1
        (row,) = Store.open(cfg_path.parent / "state" / "manageup.sqlite3").ledger()
        assert row.state == "sent" and row.attempts == 1
    finally:
        server.stop()


TORN = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from manageup.config import Config, load_config
from manageup.cycle import make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.store import Store

cfg = load_config(Path(sys.argv[1]))
store = Store.open(cfg.store.path)

def die_while_recording(sql):
    if sql.lstrip().startswith("INSERT INTO digests"):
        os.kill(os.getpid(), signal.SIGKILL)

store.conn.set_trace_callback(die_while_recording)
run_cycle(cfg, store, make_sources(cfg), make_transport(cfg),
          datetime.fromisoformat(sys.argv[2]))
"""


def test_sent_and_the_record_of_what_it_showed_are_one_write(example: Path,
                                                            tmp_path: Path) -> None:
    script = tmp_path / "torn.py"
    script.write_text(TORN)
    cfg = load_config(example / "config.toml")
    proc = subprocess.run([sys.executable, str(script), str(cfg.source_path),
                           "2026-11-25T16:00:00+01:00"], cwd=ROOT, capture_output=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": CHILD_PYTHONPATH})
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    store = Store.open(cfg.store.path)
    (row,) = store.ledger()
    # Never `sent` without the record `review` and carry-over counts depend on.
    assert row.state == "pending" and store.digests() == []
    store.close()
    run_cycles(cfg, at("2026-11-25T16:10+01:00"), at("2026-11-25T16:30+01:00"),
               timedelta(minutes=10))
    store = Store.open(cfg.store.path)
    assert [r.state for r in store.ledger()] == ["sent"]
    assert len(store.digests()) == 1


def test_a_store_error_in_the_daemon_is_one_line_each_cycle(caplog) -> None:
    from manageup.store import StoreDamaged

    def cycle(now):
        raise StoreDamaged("the store at /x is damaged (file is not a database); restore", "x")

    d = Daemon(cycle, 60, clock=lambda: at("2026-11-25T16:00+01:00"), watchdog=False)
    d.one_cycle()
    d.one_cycle()
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 2 and all(r.exc_info is None for r in errors)
    assert "is damaged" in errors[0].getMessage()


def test_a_long_outage_never_overflows_the_backoff(world, caplog) -> None:
    """Backoff doubled per attempt with no bound on the exponent: past about 50 attempts
    (a notice retried through a long outage, or an imported row) timedelta overflowed and
    every cycle raised."""
    import sqlite3

    from manageup.timing import backoff

    assert backoff(10**6) == timedelta(hours=1)
    cfg, server, _set = world
    server.stop()
    run_cycles(cfg, at("2026-11-25T16:00+01:00"), at("2026-11-25T16:01+01:00"))
    with sqlite3.connect(cfg.store.path) as c:
        c.execute("UPDATE ledger SET attempts = 100, next_try = NULL")
    with caplog.at_level(logging.ERROR):
        run_cycles(cfg, at("2026-11-25T17:00+01:00"), at("2026-11-25T17:01+01:00"))
    (row,) = Store.open(cfg.store.path).ledger()
    assert row.state == "failed" and row.attempts == 101 and row.next_try is not None
