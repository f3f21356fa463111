"""What the cycle does besides digests: the store's health and daily backup, and the one
short mail that says a sign-in died or the store is damaged, so no 1:1 passes in silence."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

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


def notice_google_auth(config: Config, store: Store, transport: Transport, now: datetime) -> None:
    """One short mail when the Google sign-in dies, so no 1:1 passes in silence."""
    from manageup import google

    if config.delivery.method == "gmail":
        return  # Gmail needs the same sign-in: the log and `doctor` must do
    _notice_sign_in(config, store, transport, now, google.AUTH_FLAG, "google", "Google",
                    "Google refused manageup's stored sign-in (it was revoked, or it "
                    "expired: apps in Testing status lose it after 7 days). Until you "
                    f"sign in again no prep digest can be sent. To fix it, {google.REAUTH}")


def notice_microsoft_auth(config: Config, store: Store, transport: Transport,
                           now: datetime) -> None:
    """The same one short mail when the Microsoft 365 sign-in dies."""
    from manageup import microsoft

    _notice_sign_in(config, store, transport, now, microsoft.AUTH_FLAG, "microsoft",
                    "Microsoft 365",
                    "Microsoft refused manageup's stored sign-in (it was revoked, it "
                    "expired, or the app registration changed). Until you sign in again "
                    f"no prep digest can be sent. To fix it, {microsoft.REAUTH}")


def _notice_sign_in(config: Config, store: Store, transport: Transport, now: datetime,
                    flag_name: str, provider: str, who: str, body: str) -> None:
    """Through the ledger like a digest: once, retried while the mail server is down."""
    flag = store.flag(flag_name)
    if flag is None:
        return
    key = f"notice|{provider}-auth"
    deadline = flag[1] + NOTICE_WINDOW
    row = store.ledger_get(key, deadline)
    if not should_try(row, now):
        return
    from manageup.deliver import build_notice

    msg = build_notice(config, now, key, flag[1], f"manageup cannot read your {who} calendar",
                       body)
    send_once(store, transport, msg, key, deadline, now, row, now,
               f"the {who.split()[0]} sign-in notice", kind=LedgerKind.NOTICE)
