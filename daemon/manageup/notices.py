"""What the cycle does besides digests: the store's health and daily backup, and the one
short mail that says a sign-in died or the store is damaged, so no 1:1 passes in silence."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from manageup.accounts import dead_sign_ins
from manageup.config import Config
from manageup.errors import ManageupError
from manageup.sending import send_once, should_try
from manageup.store import LedgerKind, Store

if TYPE_CHECKING:
    from manageup.deliver import Transport

log = logging.getLogger("manageup.cycle")  # part of the cycle, and logged as it

NOTICE_WINDOW = timedelta(days=7)  # keep retrying a notice this long
DAMAGED_FLAG = "store-damaged"


def upkeep(config: Config, store: Store, transport: Transport, now: datetime) -> None:
    """The store's health each cycle, then the daily backup. A damaged store is an error
    every cycle and one notice mail; its damaged copies never replace good backups."""
    problems = store.integrity()
    try:
        if not problems:
            if store.flag(DAMAGED_FLAG):  # repaired or restored
                store.set_flag(DAMAGED_FLAG, None, now)
            store.daily_backup(config.store.backup_folder, now.date(), config.store.backups)
            return
        log.error("the store at %s is damaged (%s); backups stop until it is repaired and "
                  "the older ones are kept; run `manageup doctor` to see how to restore",
                  store.path, problems[0])
        store.set_flag(DAMAGED_FLAG, problems[0][:200], now)
        flag = store.flag(DAMAGED_FLAG)
        if flag is None:
            return
        key = "notice|store-damaged"
        deadline = flag[1] + NOTICE_WINDOW
        row = store.ledger_get(key, deadline)
        if not should_try(row, now):
            return
        from manageup.deliver import build_notice

        msg = build_notice(config, now, key, flag[1], "manageup's store is damaged",
                           f"SQLite's integrity check found damage in {store.path} "
                           f"({problems[0][:200]}). manageup keeps running, but stopped "
                           "replacing your backups with damaged copies. Run `manageup "
                           "doctor`: it names the newest good backup and how to restore it.")
        send_once(store, transport, msg, key, deadline, now, row, now,
                   "the damaged-store notice", kind=LedgerKind.NOTICE)
    except ManageupError as e:
        log.error("%s", e)


def notice_dead_sign_ins(config: Config, store: Store, transport: Transport,
                         now: datetime) -> None:
    """One short mail for each sign-in that died, so no 1:1 passes in silence. Through the
    ledger like a digest: once, retried while the mail server is down."""
    for gone in dead_sign_ins(store):
        account = gone.account
        if account.delivery == config.delivery.method:
            continue  # the mail would need the same sign-in: the log and `doctor` must do
        key = f"notice|{account.flag}"
        deadline = gone.since + NOTICE_WINDOW
        row = store.ledger_get(key, deadline)
        if not should_try(row, now):
            continue
        from manageup.deliver import build_notice

        provider = account.who.split()[0]
        msg = build_notice(config, now, key, gone.since,
                           f"manageup cannot read your {account.who} calendar",
                           f"{provider} refused manageup's stored sign-in "
                           f"({account.cause(gone.reason)}). Until you sign in again no prep "
                           f"digest can be sent. To fix it, {account.fix(gone.reason)}")
        send_once(store, transport, msg, key, deadline, now, row, now,
                  f"the {provider} sign-in notice", kind=LedgerKind.NOTICE)
