"""Sending through the ledger: each mail once, retried while the server is down, and
never a third copy when the server may already have it.

Digests, review reminders and notices all go out this one way: look up the mail's ledger
row, see whether this cycle may try, build the mail, send it, record what happened."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from manageup.accounts import ACCOUNTS, DeadSignIn, dead, mark_dead
from manageup.errors import DeliveryError, DeliverySignInExpired
from manageup.store import LedgerKind, LedgerRow, LedgerState, SentDigest, Store
from manageup.timing import backoff

if TYPE_CHECKING:
    from email.message import EmailMessage

    from manageup.deliver import Transport

log = logging.getLogger("manageup.cycle")  # part of the cycle, and logged as it


@dataclass(frozen=True)
class Letter:
    """One mail the user is owed, as the ledger knows it."""

    key: str
    deadline: datetime  # the ledger row's start: a digest's meeting, a notice's last use
    due: datetime
    what: str  # for the log: "the damaged-store notice"
    kind: LedgerKind = LedgerKind.DIGEST
    series: str = ""  # a digest's calendar series: its mails share a thread (Gmail)


@dataclass(frozen=True)
class Mail:
    """One message waiting in the outbox."""

    message: EmailMessage
    record: SentDigest | None = None  # what a digest showed, kept with its "sent"
    then: Callable[[], None] | None = None  # once it is sent (a digest's archive copy)


class Outbox:
    def __init__(self, store: Store, transport: Transport, now: datetime) -> None:
        self.store, self.transport, self.now = store, transport, now

    def row(self, letter: Letter) -> LedgerRow | None:
        return self.store.ledger_get(letter.key, letter.deadline)

    def post(self, letter: Letter, build: Callable[[], Mail]) -> bool | None:
        """Send the letter if it is owed now; None when it is not (sent already, given up,
        or waiting for its retry time). `build` runs only when it is sent."""
        row = self.row(letter)
        if row is not None and not row.may_try(self.now):
            return None
        if row is not None and row.state is LedgerState.FAILED and \
                self._signed_out() is not None:
            return None  # held (see held): calling the provider cannot help until then
        mail = build()
        if not self._send(letter, row, mail):
            return False
        if mail.then is not None:
            mail.then()
        return True

    def _send(self, letter: Letter, row: LedgerRow | None, mail: Mail) -> bool:
        store, now, what = self.store, self.now, letter.what
        if row is not None and row.state is LedgerState.PENDING:
            # Only a cycle that died mid-send leaves pending behind (the cycle lock keeps
            # others out): the server may have the mail, so this resend is the last.
            row = store.mark_unconfirmed(row, now, row.last_error or "a cycle stopped while "
                                         "sending", now)
            if row.state is LedgerState.UNCERTAIN:
                _log_uncertain(what, row)
                return False
        # Pending goes to disk before the transport is touched: a crash after this point
        # leads to one resend with the same Message-ID, never to silence.
        pending = store.begin_send(row, letter.key, letter.deadline,
                                   str(mail.message["Message-ID"]), letter.due, now,
                                   letter.kind)
        try:
            self._transport(letter).send(mail.message)
        except DeliveryError as e:
            self._failed(letter, pending, e)
            return False
        store.mark_sent(pending, now, mail.record)
        log.info("sent the mail for %s (%s) via %s", what, letter.deadline.isoformat(),
                 self.transport.name)
        return True

    def _transport(self, letter: Letter) -> Transport:
        if not letter.series:
            return self.transport
        from manageup.deliver.threads import SeriesThread

        return SeriesThread(self.transport, self.store, letter.series, self.now)

    def held(self, letter: Letter) -> str:
        """What to tell the user when post left this due letter unsent after a failure (a
        dead sign-in, or its next try still to come): what waits, why and the fix. "" when
        it is not held. Every `run --once` says it: on a timer each run is all one sees."""
        row = self.row(letter)
        if row is None or row.state is not LedgerState.FAILED:
            return ""
        zone = self.now.tzinfo
        what = f"the digest for {letter.what} ({letter.deadline.astimezone(zone):%a %d %b %H:%M})"
        gone = self._signed_out()
        if gone is not None:
            return (f"{what} is held: the {gone.account.who} sign-in stopped working; "
                    f"{gone.account.fix(gone.reason)}, and it goes out at the next cycle")
        then = f"; next try at {row.next_try.astimezone(zone):%H:%M}" if row.next_try else ""
        return f"{what} is not sent: {row.last_error}{then}"

    def _signed_out(self) -> DeadSignIn | None:
        """The transport sends with a sign-in its provider refused (Gmail's is Google's):
        nothing goes out through it until the user signs in again."""
        return next((d for a in ACCOUNTS if a.delivery == self.transport.name
                     for d in [dead(self.store, a)] if d is not None), None)

    def _failed(self, letter: Letter, pending: LedgerRow, e: DeliveryError) -> None:
        store, now = self.store, self.now
        if isinstance(e, DeliverySignInExpired):
            # Held while the sign-in is dead (post), then sent at the first cycle after the
            # user signed in again, not up to an hour later: the 1:1 may be close.
            mark_dead(store, e.account, e.reason, now)  # for `doctor`, and the source
            wait, then = timedelta(0), "it goes out at the first cycle after you sign in again"
        elif e.transient:
            wait = backoff(pending.attempts)
            then = f"retrying in {wait}"
        else:
            wait, then = timedelta(hours=1), "fix this; next try in an hour"
        if e.maybe_sent:
            if store.mark_unconfirmed(pending, now, str(e), now + wait).state \
                    is LedgerState.UNCERTAIN:
                _log_uncertain(letter.what, pending, str(e))
                return
        else:
            store.mark_failed(pending, now, str(e), now + wait)
        log.error("could not send the mail for %s: %s (%s)", letter.what, e, then)


def _log_uncertain(what: str, row: LedgerRow, error: str = "") -> None:
    log.error("the mail for %s may or may not have arrived: two attempts ended without the "
              "server confirming (%s); not sending it again, to avoid more copies "
              "(Message-ID %s)", what, error or row.last_error, row.message_id)
