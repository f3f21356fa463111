"""What the commands ask of the calendars: the 1:1s ahead, the next digest, why none is
found. Plain functions that return data; the CLI prints it. `meetings`, `preview`, `run`
and `doctor` call these, so each command asks the same question the same way."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from manageup.config import Config
from manageup.cycle.digests import make_digest
from manageup.cycle.gather import Gathered, gather, make_sources, upcoming
from manageup.detect import detect
from manageup.errors import SourceError
from manageup.history import history_of, merged_history
from manageup.model import HistoryEntry, Match
from manageup.sources import Source
from manageup.store import Store
from manageup.timing import due_at

if TYPE_CHECKING:  # rendering loads Jinja and CSS inlining
    from manageup.digestmodel import Digest
    from manageup.explain import Diagnosis
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
    gathered = gather(sources if sources is not None else make_sources(config), config, now)
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
                                   config, calendar=found.gathered.occurrences)
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


def read_everything(config: Config, now: datetime) -> Gathered:
    """Every event in the cycle's window. An .ics feed is read past the fast path, which
    keeps only what may be a 1:1 with the boss as configured: the very thing in question.
    Fails, as `meetings` does, when no calendar could be read: "no 1:1 found" would then
    blame boss.email for a calendar that was never read."""
    from manageup.sources.ics import IcsSource

    sources: list[Source] = [IcsSource(cal) if cal.type == "ics" else s for cal, s in
                             zip(config.calendars, make_sources(config), strict=True)]
    return read_calendars(config, now, sources)


def why_none(config: Config, now: datetime, seen: Gathered | None = None,
             complete: bool = False) -> Diagnosis | None:
    """None when a 1:1 lies ahead; otherwise why not. `seen` is what the cycle read: when
    it holds earlier 1:1s it answers; otherwise the calendars are read in full (unless
    `complete` says `seen` is that already), since the fast path keeps only what matches
    the configuration in question."""
    from manageup.explain import diagnose  # only when no 1:1 lies ahead

    if seen is not None and (complete or detect(seen.occurrences, config)):
        return diagnose(seen.occurrences, config, now, seen.warnings)
    everything = read_everything(config, now)
    return diagnose(everything.occurrences, config, now, everything.warnings)
