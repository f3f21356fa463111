"""The log's "no 1:1 with your boss found", with the likely cause (a mistyped boss
address, say), said once a day while it lasts and once when 1:1s are found again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from manageup.config import Config
from manageup.cycle.gather import Gathered, upcoming
from manageup.cycle.queries import why_none
from manageup.detect import detect
from manageup.errors import ManageupError
from manageup.store import Store

log = logging.getLogger(__name__)


class NoneFoundWatch:
    """What was said is kept in the store, so the timer's runs, a process each, say it
    once a day and not every poll."""

    FLAG = "none-found"
    SAY_AGAIN = timedelta(days=1)

    def __init__(self, remember: bool = True) -> None:
        self.remember = remember  # False for a dry run: it writes nothing
        self.said: datetime | None = None
        self.loaded = False

    def after(self, config: Config, now: datetime, gathered: Gathered) -> None:
        if gathered.failures and not gathered.occurrences:
            return  # nothing was read: the failure itself is logged
        if not self.loaded:
            self.loaded = True
            self.said = self._remembered(config)
        if upcoming(detect(gathered.occurrences, config), now):
            if self.said is not None:
                log.info("1:1s with your boss are found again")
                self._keep(config, None, now)
            self.said = None
            return
        if self.said is not None and timedelta(0) <= now - self.said < self.SAY_AGAIN:
            return
        self.said = now
        self._keep(config, "said", now)
        why = why_none(config, now, gathered)
        for line in why.lines() if why else ["No 1:1 with your boss found."]:
            log.warning("%s", line)

    def _remembered(self, config: Config) -> datetime | None:
        if not self.remember or not config.store.path.exists():
            return None
        try:
            store = Store.open(config.store.path, readonly=True)
        except ManageupError:
            return None  # the cycle says what is wrong with the store
        try:
            flag = store.flag(self.FLAG)
        finally:
            store.close()
        return flag[1] if flag else None

    def _keep(self, config: Config, value: str | None, now: datetime) -> None:
        if not self.remember:
            return
        try:
            store = Store.open(config.store.path)
        except ManageupError:
            return
        try:
            store.set_flag(self.FLAG, None, now)
            if value is not None:
                store.set_flag(self.FLAG, value, now)
        finally:
            store.close()
