"""A clock far ahead for one cycle (a wrong `--now`, a machine clock that jumped) never
turns a digest waiting for its retry into a loss (issue 28.4): when the clock is back and
the 1:1 has not begun, it is sent."""

from __future__ import annotations

from datetime import timedelta

from manageup.cli import main
from manageup.store import Store
from tests.conftest import ICS, SmtpServer, at, run_cycles

MEETING = at("2026-11-05T10:00+01:00")  # the first of weekly_moved_cancelled_exdate.ics


def test_a_retry_survives_a_cycle_with_the_clock_a_year_ahead(make_config) -> None:
    server = SmtpServer()  # down at first
    path, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics",
                            '[digest]\nlead_time = "30m"\n', server.delivery())
    run_cycles(cfg, MEETING - timedelta(minutes=30), MEETING - timedelta(minutes=25))
    ahead = (MEETING + timedelta(days=365)).isoformat()
    assert main(["--config", str(path), "run", "--once", "--now", ahead]) == 0
    server.start()
    try:
        run_cycles(cfg, MEETING - timedelta(minutes=20), MEETING, timedelta(minutes=5))
        assert len(server.handler.messages) == 1
    finally:
        server.stop()
    store = Store.open(cfg.store.path)
    try:
        (row,) = [r for r in store.ledger() if r.start == MEETING]
    finally:
        store.close()
    assert row.state == "sent"
