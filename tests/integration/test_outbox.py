"""The outbox (cycle/outbox.py) against a real SMTP server on loopback and a real store:
when a failed mail is tried again and what the log says, a failure never counted as a
send, at most one resend after crashes or drops, and each mail's kind in the ledger."""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from manageup.cli import main
from manageup.config import Config, load_config
from manageup.cycle import make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.store import LedgerRow, Store
from tests.conftest import SmtpServer, at, run_cycles
from tests.integration.test_ledger_daemon import crash_mid_send, override
from tests.system.reliability.test_faults import FaultyHandler

TITLE = "Alex / Sam 1:1"  # the example calendar's weekly 1:1, Thursdays 10:00
DUE = "2026-11-25T16:00:00+01:00"  # its digest for 26 Nov: 18 hours before


@pytest.fixture
def smtp_example(example: Path):
    """The bundled example delivering to an SMTP server on loopback; `make(extra)` adds
    lines to its [digest] table and returns the config."""
    server = SmtpServer()  # started by make(): a test may give it a handler of its own

    def make(extra: str = "") -> Config:
        server.start()
        cfg = example / "config.toml"
        cfg.write_text(cfg.read_text().replace(
            '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n', server.delivery())
            .replace("[digest]\n", f"[digest]\n{extra}"))
        return load_config(cfg)

    yield make, server
    server.stop()


def only_row(cfg: Config) -> LedgerRow:
    store = Store.open(cfg.store.path)
    try:
        (row,) = store.ledger()
        return row
    finally:
        store.close()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def uncertain_line(row: LedgerRow) -> str:
    return (f"the mail for {TITLE} may or may not have arrived: two attempts ended without "
            f"the server confirming ({row.last_error}); not sending it again, to avoid more "
            f"copies (Message-ID {row.message_id})")


def test_a_second_crash_mid_send_sends_no_third_copy(example: Path, smtp_example, tmp_path,
                                                     caplog) -> None:
    """Killed right after the server took the mail, twice: the first crash earns one
    resend (DESIGN.md, delivery semantics), the second none, and the log says why."""
    make, server = smtp_example
    cfg = make(f'archive_dir = "{example / "archive"}"\n')
    crash_mid_send(cfg, tmp_path, DUE)
    crash_mid_send(cfg, tmp_path, "2026-11-25T16:10:00+01:00")  # the resend, killed too
    assert only_row(cfg).state == "pending"
    store = Store.open(cfg.store.path)
    report = run_cycle(cfg, store, make_sources(cfg), make_transport(cfg),
                       at("2026-11-25T16:20+01:00"))
    store.close()
    assert (report.sent, len(report.failed)) == ([], 1)  # given up on: not counted as sent
    assert not (example / "archive").exists()
    run_cycles(cfg, at("2026-11-25T16:40+01:00"), at("2026-11-26T10:00+01:00"),
               timedelta(minutes=20))
    msgs = server.handler.messages
    assert len(msgs) == 2 and msgs[0]["Message-ID"] == msgs[1]["Message-ID"]
    row = only_row(cfg)
    assert (row.state, row.unconfirmed, row.attempts) == ("uncertain", 2, 2)
    assert row.last_error == "a cycle stopped while sending"
    assert errors(caplog) == [uncertain_line(row)]  # said once, not every cycle


def test_a_failed_send_is_not_counted_as_sent(example: Path, smtp_example, capsys) -> None:
    make, server = smtp_example
    archive = example / "archive"
    cfg = make(f'archive_dir = "{archive}"\n')
    server.handler.reply = "451 4.3.0 Try again later"
    once = ["--config", str(cfg.source_path), "run", "--once", "--now"]
    assert main([*once, DUE]) == 1  # README: exit codes, 1 when something went wrong
    assert "nothing sent; 1 digest failed" in capsys.readouterr().out
    assert not archive.exists()  # the archive keeps digests that went out
    assert only_row(cfg).state == "failed"
    server.handler.reply = None
    assert main([*once, "2026-11-25T16:05:00+01:00"]) == 0
    assert len(list(archive.iterdir())) == 1 and len(server.handler.messages) == 1
    assert only_row(cfg).state == "sent"


def test_a_permanent_failure_waits_an_hour_and_says_fix_this(smtp_example, caplog) -> None:
    make, server = smtp_example
    cfg = make()
    server.handler.reply = "550 5.7.1 Relaying denied"
    run_cycles(cfg, DUE, "2026-11-25T16:01:00+01:00")
    row = only_row(cfg)
    assert row.state == "failed" and row.next_try == at("2026-11-25T17:00+01:00")
    assert errors(caplog) == [f"could not send the mail for {TITLE}: {row.last_error} "
                              "(fix this; next try in an hour)"]
    assert "550" in row.last_error
    server.handler.reply = None  # fixed: sent at the next try, not before
    with caplog.at_level(logging.INFO):
        run_cycles(cfg, "2026-11-25T16:05:00+01:00", "2026-11-25T17:05:00+01:00",
                   timedelta(minutes=5))
    (msg,) = server.handler.messages
    assert parsedate_to_datetime(msg["Date"]) == at("2026-11-25T17:00+01:00")
    assert f"sent the mail for {TITLE} (2026-11-26T10:00:00+01:00) via smtp" in caplog.messages


def test_a_temporary_failure_is_tried_again_within_minutes(smtp_example, caplog) -> None:
    make, server = smtp_example
    cfg = make()
    server.handler.reply = "451 4.3.0 Try again later"
    run_cycles(cfg, DUE, "2026-11-25T16:01:00+01:00")
    row = only_row(cfg)
    assert row.next_try == at("2026-11-25T16:01+01:00")  # backoff(1): a minute
    assert errors(caplog) == [f"could not send the mail for {TITLE}: {row.last_error} "
                              "(retrying in 0:01:00)"]


def test_maybe_sent_is_tried_once_more_at_its_retry_time(smtp_example, caplog) -> None:
    """The connection dropped after DATA: the server may have the mail. One more try, at
    its backoff time and not at once, and "may or may not have arrived" only after it."""
    make, server = smtp_example
    server.handler = FaultyHandler()
    server.handler.mode = "drop"
    cfg = make()
    run_cycles(cfg, DUE, "2026-11-25T16:01:00+01:00", timedelta(seconds=30))
    row = only_row(cfg)
    assert (row.state, row.unconfirmed, len(server.handler.raw)) == ("failed", 1, 1)
    assert row.next_try == at("2026-11-25T16:01+01:00")
    assert errors(caplog) == [f"could not send the mail for {TITLE}: {row.last_error} "
                              "(retrying in 0:01:00)"]
    caplog.clear()
    run_cycles(cfg, "2026-11-25T16:01:00+01:00", "2026-11-25T18:00:00+01:00",
               timedelta(minutes=5))
    row = only_row(cfg)
    assert (row.state, row.unconfirmed, len(server.handler.raw)) == ("uncertain", 2, 2)
    assert errors(caplog) == [uncertain_line(row)]


def test_reminders_and_notices_are_not_digests_in_the_ledger(example: Path) -> None:
    """A review reminder and a called-off notice go through the outbox too, each recorded
    as its own kind: counted as digests, they would thread and rest questions as one."""
    cfg_path = example / "config.toml"
    cfg_path.write_text(cfg_path.read_text().replace(
        "[digest]", '[review]\nnudge_after = "30m"\n\n[digest]'))
    cfg = load_config(cfg_path)
    run_cycles(cfg, DUE, "2026-11-26T12:00:00+01:00", timedelta(minutes=30))  # and a nudge
    cal = example / "calendar.ics"
    cancelled = override("20261126T100000", "20261126T100000", "20261126T103000", "CANCELLED")
    cal.write_text(cal.read_text().replace("END:VCALENDAR", cancelled + "END:VCALENDAR"))
    run_cycles(cfg, "2026-11-26T12:00:00+01:00", "2026-11-26T13:00:00+01:00")
    store = Store.open(cfg.store.path)
    key = "weekly-1on1-sam-alex@example.com|2026-11-26T10:00:00+01:00"
    assert sorted((row.key, row.kind, row.state) for row in store.ledger()) == [
        (f"notice|cancelled|{key}", "notice", "sent"), (f"nudge|{key}", "nudge", "sent"),
        (key, "digest", "sent")]
    assert len(store.sent_digest_times()) == 1
