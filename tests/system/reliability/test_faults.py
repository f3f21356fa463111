"""A misbehaving SMTP server and a daemon killed at random: nothing lost, nothing doubled
except inside the documented crash window, and then with the same Message-ID."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from manageup.config import load_config
from manageup.store import Store
from tests.conftest import CHILD_PYTHONPATH, ROOT, SmtpServer, at, run_cycles
from tests.mailcheck import checked_mail
from tests.system.reliability.conftest import FIGURES


class FaultyHandler:
    """Keeps messages like the Recorder, but can misbehave after the data arrived."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.mode = ""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == "drop":
            self.raw.append(envelope.original_content)  # kept, but the client never hears
            server.transport.close()
            return "250 too late"
        if self.mode == "stall":
            await asyncio.sleep(3)
            return "451 stalled"
        self.raw.append(envelope.original_content)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.mode == "drop before data":  # the client has sent no byte of the message
            server.transport.close()
            return "250 too late"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def faulty(example: Path):
    server = SmtpServer()
    server.handler = FaultyHandler()  # type: ignore[assignment]
    server.start()
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace(
        '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n',
        server.delivery().replace("timeout = 5", "timeout = 1")))
    yield load_config(cfg), server
    server.stop()


def ids(raw: list[bytes]) -> list[str]:
    return [str(checked_mail(r)["Message-ID"]) for r in raw]


def test_drop_after_data_is_retried_once_then_uncertain(faulty, caplog) -> None:
    cfg, server = faulty
    server.handler.mode = "drop"  # the server keeps every copy but never confirms one
    run_cycles(cfg, "2026-11-25T16:00:00+01:00", "2026-11-25T16:30:00+01:00", timedelta(minutes=5))
    got = ids(server.handler.raw)
    assert len(got) == 2 and len(set(got)) == 1  # six cycles: the first try and one more
    (row,) = Store.open(cfg.store.path).ledger()
    assert row.state == "uncertain" and row.unconfirmed == 2
    assert "may or may not have arrived" in caplog.text
    server.handler.mode = ""
    run_cycles(cfg, "2026-11-25T16:30:00+01:00", "2026-11-25T18:00:00+01:00", timedelta(minutes=5))
    assert len(server.handler.raw) == 2
    FIGURES["faults injected"] += 2


def test_drop_after_data_once_then_a_healthy_server(faulty) -> None:
    cfg, server = faulty
    server.handler.mode = "drop"
    run_cycles(cfg, "2026-11-25T16:00:00+01:00", "2026-11-25T16:05:00+01:00", timedelta(minutes=5))
    server.handler.mode = ""
    run_cycles(cfg, "2026-11-25T16:05:00+01:00", "2026-11-25T18:00:00+01:00", timedelta(minutes=5))
    got = ids(server.handler.raw)
    assert len(got) == 2 and len(set(got)) == 1  # delivered twice, recognisably the same
    (row,) = Store.open(cfg.store.path).ledger()
    assert row.state == "sent"
    FIGURES["faults injected"] += 1


def test_drop_before_data_is_a_plain_failure_retried_later(faulty) -> None:
    """A connection lost before DATA: the server cannot have the message, so it is sent
    again at the next cycles, never counted as 'maybe sent' (which ends as 'uncertain',
    and an uncertain digest is never sent)."""
    cfg, server = faulty
    server.handler.mode = "drop before data"
    run_cycles(cfg, "2026-11-25T16:00:00+01:00", "2026-11-25T16:30:00+01:00", timedelta(minutes=5))
    assert server.handler.raw == []
    (row,) = Store.open(cfg.store.path).ledger()
    assert (row.state, row.unconfirmed) == ("failed", 0), row
    server.handler.mode = ""
    run_cycles(cfg, "2026-11-25T16:30:00+01:00", "2026-11-25T18:00:00+01:00", timedelta(minutes=5))
    assert len(ids(server.handler.raw)) == 1  # sent, once
    (row,) = Store.open(cfg.store.path).ledger()
    assert row.state == "sent"
    FIGURES["faults injected"] += 1


def test_stall_past_the_timeout_is_retried(faulty) -> None:
    cfg, server = faulty
    server.handler.mode = "stall"
    started = time.monotonic()
    run_cycles(cfg, "2026-11-25T16:00:00+01:00", "2026-11-25T16:05:00+01:00", timedelta(minutes=5))
    assert time.monotonic() - started < 3  # the 1 s timeout, not the server's 3 s
    (row,) = Store.open(cfg.store.path).ledger()
    assert row.state == "failed" and "did not answer" in row.last_error
    server.handler.mode = ""
    run_cycles(cfg, "2026-11-25T16:05:00+01:00", "2026-11-25T17:00:00+01:00", timedelta(minutes=5))
    assert len(ids(server.handler.raw)) == 1
    FIGURES["faults injected"] += 1


@pytest.mark.parametrize("reply", ["421 4.3.2 closing", "451 4.3.0 later", "550 5.1.1 no"])
def test_error_replies_then_recovery(faulty, reply: str) -> None:
    cfg, server = faulty
    rec = server.handler

    async def answer(server_: Any, session: Any, envelope: Any) -> str:
        return reply

    original = rec.handle_DATA
    rec.handle_DATA = answer  # type: ignore[method-assign]
    run_cycles(cfg, "2026-11-25T16:00:00+01:00", "2026-11-25T16:30:00+01:00", timedelta(minutes=5))
    rec.handle_DATA = original  # type: ignore[method-assign]
    run_cycles(cfg, "2026-11-25T16:30:00+01:00", "2026-11-26T09:55:00+01:00", timedelta(minutes=5))
    # Transient or permanent, the digest arrives once the server is healthy, before the 1:1.
    assert len(ids(rec.raw)) == 1
    FIGURES["faults injected"] += 1


SOAK_SECONDS = 20.0

SOAK = """
import sys
from datetime import datetime, timedelta
from pathlib import Path
from manageup.config import load_config
from manageup.cycle import make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.store import Store

cfg = load_config(Path(sys.argv[1]))
clock, end = Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
sources, transport = make_sources(cfg), make_transport(cfg)
while True:
    now = datetime.fromisoformat(clock.read_text())
    if now >= end:
        break
    store = Store.open(cfg.store.path)
    run_cycle(cfg, store, sources, transport, now)
    store.close()
    tmp = clock.with_suffix(".tmp")
    tmp.write_text((now + timedelta(hours=2)).isoformat())
    tmp.replace(clock)
"""


def test_random_kills_over_many_cycles(example: Path, smtp_server: SmtpServer,
                                       tmp_path: Path) -> None:
    cfg_path = example / "config.toml"
    cfg_path.write_text(cfg_path.read_text().replace(
        '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n', smtp_server.delivery()))
    assert subprocess.run([sys.executable, "-m", "manageup", "--config", str(cfg_path),
                           "import", str(example / "notes.json")], cwd=ROOT,
                          capture_output=True).returncode == 0
    script, clock = tmp_path / "soak.py", tmp_path / "clock"
    script.write_text(SOAK)
    clock.write_text("2026-11-23T00:00:00+01:00")
    end = "2027-02-05T00:00:00+01:00"
    rng = random.Random(20261123)
    env = {**os.environ, "PYTHONPATH": CHILD_PYTHONPATH}
    kills = 0
    # Bounded by time, not by a count of kills: on a slow or loaded machine there are
    # fewer kills, never a failure. Each kill comes only after the process made progress
    # (finished a cycle) since it started, so every run moves the period forward.
    killing_until = time.monotonic() + SOAK_SECONDS
    while True:
        proc = subprocess.Popen([sys.executable, str(script), str(cfg_path), str(clock), end],
                                cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        if time.monotonic() >= killing_until:
            assert proc.wait(timeout=900) == 0  # the rest of the period, undisturbed
            break
        started_at = clock.read_text()
        while proc.poll() is None and clock.read_text() == started_at:
            time.sleep(0.01)
        if proc.poll() is not None:
            assert proc.returncode == 0
            break  # reached the end of the period
        time.sleep(rng.uniform(0, 0.3))  # somewhere inside a later cycle
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    assert clock.read_text() == end
    assert kills >= 3
    thursdays = [at("2026-11-26T10:00+01:00") + timedelta(weeks=w) for w in range(11)]
    expected = {f"{t:%d %b}" for t in thursdays}  # every 1:1 from 26 Nov to 4 Feb
    msgs = [checked_mail(r) for r in smtp_server.handler.raw]
    by_id = Counter(str(m["Message-ID"]) for m in msgs)
    got = {str(m["Subject"]).split(", ")[1][4:10] for m in msgs}
    lost = len(expected - got)
    assert lost == 0, (expected, got)
    assert len(by_id) == len(expected)  # any duplicate carries the same Message-ID
    # A kill between the server's answer and the ledger's commit resends once, by design;
    # a third copy under the same Message-ID is a digest sent again and again.
    assert max(by_id.values()) <= 2, by_id
    store = Store.open(example / "state" / "manageup.sqlite3")
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(store.items()) == 17  # every committed item survived (examples/notes.json)
    assert {r.state for r in store.ledger()} == {"sent"}
    FIGURES["kills survived"] += kills
    FIGURES["digests lost"] += lost
    FIGURES["duplicates (same Message-ID)"] += len(msgs) - len(by_id)
