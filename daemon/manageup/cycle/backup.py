"""The store's health each cycle and its daily backup; a damaged store is an error every
cycle and one notice mail, and its damaged copies never replace good backups."""

from __future__ import annotations

import logging
from datetime import timedelta

from manageup.cycle.context import Cycle
from manageup.cycle.outbox import Letter, Mail
from manageup.errors import ManageupError
from manageup.store import LedgerKind

log = logging.getLogger("manageup.cycle")  # part of the cycle, and logged as it

NOTICE_WINDOW = timedelta(days=7)  # keep retrying a notice this long
DAMAGED_FLAG = "store-damaged"


def upkeep(cycle: Cycle) -> None:
    store, now = cycle.store, cycle.now
    problems = store.integrity()
    try:
        if not problems:
            if store.flag(DAMAGED_FLAG):  # repaired or restored
                store.set_flag(DAMAGED_FLAG, None, now)
            store.daily_backup(cycle.config.store.backup_folder, now.date(),
                               cycle.config.store.backups)
            return
        log.error("the store at %s is damaged (%s); backups stop until it is repaired and "
                  "the older ones are kept; run `manageup doctor` to see how to restore",
                  store.path, problems[0])
        store.set_flag(DAMAGED_FLAG, problems[0][:200], now)
        _notice_damaged(cycle, problems[0][:200])
    except ManageupError as e:
        log.error("%s", e)


def _notice_damaged(cycle: Cycle, problem: str) -> None:
    flag = cycle.store.flag(DAMAGED_FLAG)
    if flag is None:
        return
    key = "notice|store-damaged"

    def build() -> Mail:
        from manageup.deliver import build_notice

        return Mail(build_notice(
            cycle.config, cycle.now, key, flag[1], "manageup's store is damaged",
            f"SQLite's integrity check found damage in {cycle.store.path} ({problem}). "
            "manageup keeps running, but stopped replacing your backups with damaged "
            "copies. Run `manageup doctor`: it names the newest good backup and how to "
            "restore it."))

    cycle.outbox.post(Letter(key, flag[1] + NOTICE_WINDOW, cycle.now,
                             "the damaged-store notice", LedgerKind.NOTICE), build)
