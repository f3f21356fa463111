"""Temporary is temporary (issue 28.3): a mail server that greylists the recipient (450
at RCPT TO) and a full disk under the Maildir are retried at the next cycles, as any other
temporary failure, so a digest with a lead time under an hour still arrives in time.
Before, both counted as permanent: next try in an hour, after the 1:1 had begun."""

from __future__ import annotations

import errno
import mailbox
import os
from datetime import timedelta
from typing import Any

import pytest

from manageup.config import Smtp
from manageup.deliver import build_notice
from manageup.deliver.maildir import MaildirTransport
from manageup.deliver.smtp import SmtpTransport
from manageup.errors import DeliveryError
from manageup.store import Store
from tests.conftest import ICS, Recorder, SmtpServer, at, run_cycles
from tests.mailcheck import checked_maildir

MEETING = at("2026-11-05T10:00+01:00")  # the first of weekly_moved_cancelled_exdate.ics
SHORT_LEAD = '[digest]\nlead_time = "30m"\n'

# What Postfix answers with postgrey as its policy service: postgrey(8), option
# --greylist-text, default "Greylisted, see http://postgrey.schweikert.ch/help/%r.html",
# sent as 450 4.2.0 "Recipient address rejected".
GREYLISTED = ("450 4.2.0 <alex@example.com>: Recipient address rejected: Greylisted, see "
              "http://postgrey.schweikert.ch/help/example.com.html")


class Greylist(Recorder):
    """Defers the recipient of the first `defer` transactions, then accepts them."""

    def __init__(self, defer: int) -> None:
        super().__init__()
        self.defer = defer

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.defer:
            self.defer -= 1
            return GREYLISTED
        envelope.rcpt_tos.append(address)
        return "250 OK"


def _only_row(path: Any) -> Any:
    store = Store.open(path)
    try:
        (row,) = store.ledger()
        return row
    finally:
        store.close()


def test_greylisted_recipient_is_tried_again_soon(make_config) -> None:
    server = SmtpServer()
    server.handler = Greylist(defer=1)
    server.start()
    try:
        _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics", SHORT_LEAD,
                              server.delivery())
        run_cycles(cfg, MEETING - timedelta(minutes=35), MEETING, timedelta(minutes=5))
        assert len(server.handler.messages) == 1  # deferred at 9:30, taken at 9:35
    finally:
        server.stop()
    row = _only_row(cfg.store.path)
    assert row.state == "sent" and row.attempts == 2


def test_greylisting_is_a_temporary_failure(make_config) -> None:
    server = SmtpServer()
    server.handler = Greylist(defer=1)
    server.start()
    try:
        transport = SmtpTransport(Smtp(host="127.0.0.1", port=server.port, security="none",
                                       timeout=30), password=lambda: "")
        _p, cfg = make_config()
        msg = build_notice(cfg, MEETING, "notice|test", MEETING, "subject", "text")
        with pytest.raises(DeliveryError) as caught:
            transport.send(msg)
    finally:
        server.stop()
    assert caught.value.transient and not caught.value.maybe_sent
    assert "450" in str(caught.value) and "check digest.to" not in str(caught.value)


def _full_disk_once(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    real = mailbox.Maildir.add
    calls = []

    def add(self: mailbox.Maildir, message: Any) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise OSError(code, os.strerror(code))
        return real(self, message)

    monkeypatch.setattr(mailbox.Maildir, "add", add)


def test_full_disk_under_the_maildir_is_tried_again_soon(make_config, tmp_path,
                                                          monkeypatch) -> None:
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics", SHORT_LEAD)
    _full_disk_once(monkeypatch, errno.ENOSPC)
    run_cycles(cfg, MEETING - timedelta(minutes=35), MEETING, timedelta(minutes=5))
    assert len(list(checked_maildir(tmp_path / "Maildir"))) == 1
    row = _only_row(cfg.store.path)
    assert row.state == "sent" and row.attempts == 2


@pytest.mark.parametrize(("code", "transient"), [(errno.ENOSPC, True), (errno.EDQUOT, True),
                                                 (errno.EACCES, False)])
def test_maildir_failures_classified(make_config, tmp_path, monkeypatch, code: int,
                                     transient: bool) -> None:
    _p, cfg = make_config()
    _full_disk_once(monkeypatch, code)
    msg = build_notice(cfg, MEETING, "notice|test", MEETING, "subject", "text")
    with pytest.raises(DeliveryError) as caught:
        MaildirTransport(tmp_path / "Maildir").send(msg)
    assert caught.value.transient is transient
