"""A clock far ahead for one cycle (a wrong `--now`, a machine clock that jumped) never
turns a digest waiting for its retry into a loss (issue 28.4): when the clock is back and
the 1:1 has not begun, it is sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

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


SERIES = ICS / "weekly_since_march_no_end.ics"  # Tuesdays 14:00 Berlin, without end
TODAY = at("2026-12-07T13:00+01:00")  # a Monday; the next 1:1 is Tuesday 2026-12-08
AHEAD = at("2031-01-06T20:00+01:00")  # a wrong clock: a Monday four years on


def _state(cfg: Any, maildir: Path) -> tuple[int, list[datetime], list[datetime]]:
    """Mails sent, the 1:1s the history holds after 2027, and the digests the ledger holds."""
    store = Store.open(cfg.store.path)
    try:
        future = [h.start for h in store.history() if h.start.year > 2027]
        ledger = sorted(r.start for r in store.ledger())
    finally:
        store.close()
    sent = len(list((maildir / "new").iterdir())) if (maildir / "new").exists() else 0
    return sent, future, ledger


def test_a_cycle_with_the_clock_years_ahead_sends_nothing_and_records_nothing_ahead(
        make_config, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One cycle at a wrong clock (attack 02) sent the 2031 digest, marked it sent, so
    nothing went out when 2031 really came, and left 2030's 1:1s in the history."""
    path, cfg = make_config(SERIES, '[digest]\nlead_time = "18h"\n')
    maildir = tmp_path / "Maildir"
    run_cycles(cfg, TODAY, TODAY + timedelta(minutes=10), timedelta(minutes=10))
    assert main(["--config", str(path), "run", "--once", "--now", AHEAD.isoformat()]) == 0
    out, err = capsys.readouterr()
    assert out == "This cycle did nothing; the warning above says why.\n"
    [warning] = [line for line in err.splitlines() if "clock" in line]
    assert "WARNING" in warning and "1491 days after the last cycle" in warning
    assert "2031-01-06 20:00" in warning and "2026-12-07 13:00" in warning
    assert _state(cfg, maildir) == (0, [], [])
    # The clock is back: the 1:1 of tomorrow gets its digest, once.
    evening = at("2026-12-07T20:00+01:00")
    run_cycles(cfg, evening, evening + timedelta(minutes=20), timedelta(minutes=10))
    assert _state(cfg, maildir) == (1, [], [at("2026-12-08T14:00+01:00")])
    # 2031 really comes (the machine was off for four years): its first cycle is held,
    # the next, ten minutes on, confirms the clock and sends the digest of 2031-01-07.
    run_cycles(cfg, AHEAD, AHEAD + timedelta(minutes=20), timedelta(minutes=10))
    sent, _future, ledger = _state(cfg, maildir)
    assert (sent, ledger[-1]) == (2, at("2031-01-07T14:00+01:00"))


def test_four_weeks_off_and_a_clock_put_back_are_not_held(make_config, tmp_path: Path) -> None:
    path, cfg = make_config(SERIES, '[digest]\nlead_time = "18h"\n')
    maildir = tmp_path / "Maildir"
    run_cycles(cfg, TODAY - timedelta(days=28), TODAY - timedelta(days=28, minutes=-10),
               timedelta(minutes=10))
    before = _state(cfg, maildir)[0]
    # Back after four weeks off: the first cycle sends what is due.
    evening = at("2026-12-07T20:00+01:00")
    run_cycles(cfg, evening, evening + timedelta(minutes=10), timedelta(minutes=10))
    assert _state(cfg, maildir)[0] == before + 1
    # A clock a year ahead for one cycle, then put right: the cycle after runs as usual.
    assert main(["--config", str(path), "run", "--once", "--now",
                 (evening + timedelta(days=365)).isoformat()]) == 0
    run_cycles(cfg, at("2026-12-14T20:00+01:00"), at("2026-12-14T20:10+01:00"),
               timedelta(minutes=10))
    assert _state(cfg, maildir)[0] == before + 2


def test_a_dry_run_at_a_date_ahead_shows_what_would_go_out_then(
        make_config, capsys: pytest.CaptureFixture[str]) -> None:
    """A dry run keeps nothing: it may look ahead, which is what `--now` is for there."""
    path, cfg = make_config(SERIES, '[digest]\nlead_time = "18h"\n')
    run_cycles(cfg, TODAY, TODAY + timedelta(minutes=10), timedelta(minutes=10))
    assert main(["--config", str(path), "run", "--once", "--dry-run", "--now",
                 AHEAD.isoformat()]) == 0
    assert "Tue 07 Jan" in capsys.readouterr().out


def test_digests_sent_under_a_clock_that_stayed_ahead_are_due_again_when_it_is_put_back(
        make_config, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A clock years ahead for two cycles is taken as right (the second confirms it): the
    digest of the 1:1 of 2031-01-07 went out then and was marked sent, so when 2031 really
    came nothing went out. Put back, the clock is before those records: they are forgotten,
    said in one warning, and the digest goes out in its time."""
    _path, cfg = make_config(SERIES, '[digest]\nlead_time = "18h"\n')
    maildir = tmp_path / "Maildir"
    run_cycles(cfg, TODAY, TODAY + timedelta(minutes=10), timedelta(minutes=10))
    run_cycles(cfg, AHEAD, AHEAD + timedelta(minutes=20), timedelta(minutes=10))
    assert _state(cfg, maildir)[0] == 1  # the digest of 2031-01-07, years early
    evening = at("2026-12-07T20:00+01:00")
    caplog.clear()
    with caplog.at_level("WARNING", logger="manageup"):
        run_cycles(cfg, evening, evening + timedelta(minutes=20), timedelta(minutes=10))
    [warning] = [r.getMessage() for r in caplog.records if "clock" in r.getMessage()]
    assert "2026-12-07 20:00" in warning and "2031-01-06 20:10" in warning
    assert "1 mail" in warning
    sent, _future, ledger = _state(cfg, maildir)
    assert (sent, ledger) == (2, [at("2026-12-08T14:00+01:00")])  # tomorrow's, as usual
    # 2031 really comes: the first cycle is held, the next sends the digest of 2031-01-07.
    run_cycles(cfg, AHEAD, AHEAD + timedelta(minutes=20), timedelta(minutes=10))
    sent, _future, ledger = _state(cfg, maildir)
    assert (sent, ledger[-1]) == (3, at("2031-01-07T14:00+01:00"))
