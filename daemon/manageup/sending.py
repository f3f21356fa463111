"""Sending through the ledger: each mail once, retried while the server is down, and
never a third copy when the server may already have it.

The cycle sends digests, review reminders and notices this one way."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from manageup.accounts import mark_dead
from manageup.errors import DeliveryError, DeliverySignInExpired
from manageup.store import LedgerKind, LedgerRow, LedgerState, SentDigest, Store
from manageup.timing import backoff

if TYPE_CHECKING:
    from email.message import EmailMessage

    from manageup.deliver import Transport

log = logging.getLogger("manageup.cycle")  # part of the cycle, and logged as it


def should_try(row: LedgerRow | None, now: datetime) -> bool:
    return row is None or row.may_try(now)


def send_once(store: Store, transport: Transport, msg: EmailMessage, key: str,
               start: datetime, due: datetime, row: LedgerRow | None, now: datetime,
               what: str, *, kind: LedgerKind = LedgerKind.DIGEST,
               record: SentDigest | None = None) -> bool:
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
    pending = store.begin_send(row, key, start, str(msg["Message-ID"]), due, now, kind)
    try:
        transport.send(msg)
    except DeliveryError as e:
        wait = backoff(pending.attempts) if e.transient else timedelta(hours=1)
        if e.maybe_sent:
            if store.mark_unconfirmed(pending, now, str(e), now + wait).state \
                    is LedgerState.UNCERTAIN:
                _log_uncertain(what, pending, str(e))
                return False
        else:
            store.mark_failed(pending, now, str(e), now + wait)
        if isinstance(e, DeliverySignInExpired):
            mark_dead(store, e.account, e.reason, now)  # for `doctor`, and the source
        log.error("could not send the mail for %s: %s (%s)", what, e,
                  f"retrying in {wait}" if e.transient else "fix this; next try in an hour")
        return False
    store.mark_sent(pending, now, record)
    log.info("sent the mail for %s (%s) via %s", what, start.isoformat(), transport.name)
    return True


def _log_uncertain(what: str, row: LedgerRow, error: str = "") -> None:
    log.error("the mail for %s may or may not have arrived: two attempts ended without the "
              "server confirming (%s); not sending it again, to avoid more copies "
              "(Message-ID %s)", what, error or row.last_error, row.message_id)
