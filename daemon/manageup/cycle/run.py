"""The cycle itself, under the store's lock: read the calendars, keep the history, give
up on what can no longer arrive in time, look after the store, then send what is owed.

`cycle_with_store` picks the store: the real one, or for a dry run a scratch copy of it
in memory, on which the same cycle runs and from which nothing reaches the disk."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from manageup.config import Config
from manageup.cycle.backup import upkeep
from manageup.cycle.clock import held, rewound
from manageup.cycle.context import Cycle, CycleReport
from manageup.cycle.digests import BossWeekOnce, send_digest
from manageup.cycle.gather import gather, upcoming
from manageup.cycle.reminders import send_called_off, send_reminders
from manageup.cycle.signin import sign_in_notices
from manageup.detect import detect
from manageup.errors import ManageupError
from manageup.history import history_of, merged_history, to_record
from manageup.model import HistoryEntry, Match
from manageup.sources import Source
from manageup.store import Store
from manageup.words import plural

if TYPE_CHECKING:
    from manageup.deliver import Transport

log = logging.getLogger("manageup.cycle")


def cycle_with_store(config: Config, sources: Sequence[Source], transport: Transport,
                     now: datetime, dry_run: bool) -> CycleReport:
    """One cycle with the store opened for it and closed after, as `run` does each poll.
    A dry run gets a scratch copy of the store and keeps no archive: it writes nothing."""
    store = Store.scratch_copy(config.store.path) if dry_run \
        else Store.open(config.store.path)
    try:
        return run(Cycle(config, store, transport, now, sources,
                         None if dry_run else config.digest.archive_dir))
    finally:
        store.close()


def run_cycle(config: Config, store: Store, sources: Sequence[Source], transport: Transport,
              now: datetime) -> CycleReport:
    """One cycle on `store`, archiving as configured."""
    return run(Cycle(config, store, transport, now, sources, config.digest.archive_dir))


def run(cycle: Cycle) -> CycleReport:
    """One cycle, while no other cycle runs on this store (daemon, timer or `run --once`):
    two at once would both find a digest due and both send it."""
    with cycle.store.cycle_lock() as mine:
        if not mine:
            log.warning("skipped this cycle: another manageup cycle (the daemon, the timer "
                        "or `run --once`) holds the lock on %s; the next one runs as usual",
                        cycle.store.path)
            cycle.report.skipped = True
            return cycle.report
        cycle.report.held = held(cycle.store, cycle.now)
        if cycle.report.held:
            log.warning("%s", cycle.report.held)
            cycle.store.record_cycle(cycle.now, False, cycle.report.held)
            return cycle.report
        undone = rewound(cycle.store, cycle.now)
        if undone:
            log.warning("%s", undone)
        try:
            _run(cycle)
        except ManageupError as e:
            cycle.store.record_cycle(cycle.now, False, str(e))
            raise
        cycle.store.record_cycle(cycle.now, *outcome(cycle.report))
    return cycle.report


def outcome(report: CycleReport) -> tuple[bool, str]:
    """Whether the cycle went well, and what it did in a few words (`doctor` shows it).
    A cycle where something failed never says "nothing due": nobody knows that then."""
    ok = not (report.gathered.failures or report.failed or report.missed or report.stuck)
    said = [plural(len(report.sent), "message") + " sent" if report.sent
            else "nothing due" if ok else "nothing sent"]
    if report.gathered.failures:
        said.append(plural(len(report.gathered.failures), "calendar")
                    + f" not read ({report.gathered.failures[0]})")
    if report.failed:
        said.append(plural(len(report.failed), "digest") + " failed")
    if report.stuck:
        said.append(plural(len(report.stuck), "digest") + " held")
    if report.missed:
        said.append(plural(len(report.missed), "digest") + " missed its meeting")
    return ok, "; ".join(said)


def _run(cycle: Cycle) -> None:
    config, store, now, report = cycle.config, cycle.store, cycle.now, cycle.report
    # A scratch store ends with the cycle: a source carries its sync state itself then,
    # and saves no refreshed sign-in.
    gathered = gather(cycle.sources, config, now, store, readonly=store.scratch)
    report.gathered = gathered
    for failure in gathered.failures:
        log.error("%s", failure)
    for warning in gathered.fresh:
        log.warning("%s", warning)
    seen = history_of(gathered.occurrences, config)
    store.record_history(to_record(seen, now), now)
    history = merged_history(store.history(), seen)
    _mark_missed(cycle)
    upkeep(cycle)
    if gathered.auth_failed:
        sign_in_notices(cycle)
    week = BossWeekOnce(cycle)
    for match in upcoming(detect(gathered.occurrences, config), now):
        _one_digest(cycle, match, history, week)
    try:
        send_reminders(cycle, history)
        send_called_off(cycle, history)
    except ManageupError as e:
        log.error("review reminder: %s", e)


def _one_digest(cycle: Cycle, match: Match, history: Sequence[HistoryEntry],
                week: BossWeekOnce) -> None:
    occ = match.occurrence
    try:
        send_digest(cycle, match, history, week)
    except ManageupError as e:
        log.error("%s (%s): %s", occ.title, occ.start.isoformat(), e)
        cycle.report.failed.append(occ.key)
    except BrokenPipeError:
        raise  # stdout closed (`| head`): no event's fault; the CLI ends quietly
    except Exception as e:  # one bad event must never end the cycle
        log.error("unexpected error preparing %s (%s: %s); skipped this time, run with "
                  "-v for the details", occ.key, type(e).__name__, e)
        log.debug("preparing %s failed", occ.key, exc_info=True)
        cycle.report.failed.append(occ.key)


def _mark_missed(cycle: Cycle) -> None:
    # A ledger row's start is its deadline: the meeting's start for a digest, and a later
    # time for a reminder or a notice (see NUDGE_WINDOW and NOTICE_WINDOW).
    for row in cycle.store.ledger():
        if row.open and row.start <= cycle.now:
            log.error("digest for %s was never delivered before the meeting started "
                      "(last error: %s)", row.key, row.last_error or "none")
            cycle.report.missed.append(row.key)
            cycle.store.mark_missed(row, cycle.now)
