"""Plain functions over the pipeline that the commands share: the 1:1s ahead, the next
digest, one cycle with its store. They return data; the CLI prints it.

cycle.py holds the stages themselves; this module only strings them together for
`meetings`, `preview`, `run` and `doctor`, so each command asks the same question the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from manageup.config import Config
from manageup.cycle import (
    CycleReport,
    Gathered,
    gather,
    history_of,
    make_digest,
    make_sources,
    merged_history,
    run_cycle,
    upcoming,
)
from manageup.detect import detect
from manageup.errors import ManageupError, SourceError
from manageup.model import HistoryEntry, Match
from manageup.sources import Source
from manageup.store import Store
from manageup.timing import due_at

if TYPE_CHECKING:  # rendering loads Jinja and CSS inlining, delivery the mail libraries
    from manageup.deliver import Transport
    from manageup.digestmodel import Digest
    from manageup.render import Rendered

log = logging.getLogger(__name__)


@dataclass
class Upcoming:
    """The 1:1s ahead as of `now`, and everything read to find them."""

    now: datetime
    matches: list[Match]
    gathered: Gathered
    seen_history: list[HistoryEntry]

    def history(self, stored: Sequence[HistoryEntry]) -> list[HistoryEntry]:
        return merged_history(stored, self.seen_history)


def read_calendars(config: Config, now: datetime,
                   sources: Sequence[Source] | None = None) -> Gathered:
    """Every calendar over the cycle's window, read-only (no sync state saved). Fails only
    when no calendar at all could be read; a single failing one is logged."""
    gathered = gather(sources if sources is not None else make_sources(config, readonly=True),
                      config, now)
    if gathered.failures and not gathered.occurrences:
        # One calendar, one line; several, one line each, so that none is lost off-screen.
        sep = " " if len(gathered.failures) == 1 else "\n  "
        raise SourceError("no calendar could be read:" + sep + sep.join(gathered.failures))
    for failure in gathered.failures:
        log.warning("%s", failure)
    return gathered


def upcoming_meetings(config: Config, now: datetime, gathered: Gathered | None = None) \
        -> Upcoming:
    gathered = gathered if gathered is not None else read_calendars(config, now)
    matches = upcoming(detect(gathered.occurrences, config), now)
    return Upcoming(now, matches, gathered, history_of(gathered.occurrences, config))


def next_digest(config: Config, store: Store, found: Upcoming) \
        -> tuple[Match, Digest, Rendered] | None:
    """The digest of the next 1:1, whatever its send time; None when there is no 1:1."""
    if not found.matches:
        return None
    match = found.matches[0]
    digest, rendered = make_digest(store, match, found.history(store.history()), found.now,
                                   config)
    return match, digest, rendered


def meeting_row(match: Match, config: Config) -> dict[str, object]:
    """One 1:1 as `meetings --json` prints it (the DESIGN contract: uid, start, end, title,
    reason, ISO-8601 with offset in the user's zone)."""
    o = match.occurrence
    return {
        "uid": o.uid,
        "key": o.key,
        "start": o.start.isoformat(),
        "end": o.end.isoformat(),
        "title": o.title,
        "reason": match.reason,
        "recurrence_id": o.original_start.isoformat() if o.original_start else None,
        "location": o.location,
        "calendar": o.calendar,
        "digest_due": due_at(o.start, config.digest.lead_time, config.digest.send_window,
                             config.zone).isoformat(),
    }


def cycle_with_store(config: Config, sources: Sequence[Source], transport: Transport,
                     now: datetime, dry_run: bool) -> CycleReport:
    """One cycle with the store opened for it and closed after, as `run` does each poll.
    A dry run opens the store read-only: it records nothing."""
    store = Store.open(config.store.path, readonly=dry_run)
    try:
        return run_cycle(config, store, sources, transport, now, dry_run=dry_run)
    finally:
        store.close()



class NoneFoundWatch:
    """Tells the log when the cycles find no 1:1 ahead, with the likely cause (a mistyped
    boss address, say), and once when they find one again. What was said is kept in the
    store, so the timer's runs, a process each, say it once a day and not every poll."""

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
        from manageup.explain import why_none

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
