"""Reading every calendar over a cycle's window: one failing calendar never stops the
others, and what each read said is kept for the log and the commands."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from manageup.config import Config
from manageup.errors import ManageupError, SignInExpired
from manageup.model import Match, Occurrence
from manageup.sources import Source, StateStore, fetch_into, make_source

log = logging.getLogger("manageup.cycle")  # part of the cycle, and logged as it


@dataclass
class Gathered:
    """What reading every calendar once gave: occurrences, warnings and failures."""

    occurrences: list[Occurrence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Those of calendars read anew this time: the daemon's log says each once, not on
    # every quiet poll (nor on every timer run reusing a cached feed).
    fresh: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # whole calendars that could not be read
    auth_failed: bool = False  # a Google sign-in is dead: the user must sign in again


def make_sources(config: Config, readonly: bool = False) -> list[Source]:
    """The configured calendars. `readonly` is accepted for older callers only: whether a
    source may write its sync state is now passed to `gather` on every cycle."""
    return [make_source(cal, config) for cal in config.calendars]


def gather(sources: Sequence[Source], config: Config, now: datetime,
           store: StateStore | None = None, *, readonly: bool = True) -> Gathered:
    """Read every calendar over [now − history, now + lookahead]; one failing calendar does
    not stop the others. A source that keeps sync state gets `store`; it writes it only
    when not `readonly` (a dry run, a preview)."""
    start = now - timedelta(days=config.detect.history_days)
    end = now + config.detect.lookahead
    out = Gathered()
    for src in sources:
        try:
            result = fetch_into(src, start, end, config.zone, store=store, now=now,
                                readonly=readonly)
        except ManageupError as e:
            out.failures.append(str(e))
            out.auth_failed |= isinstance(e, SignInExpired)
            continue
        except Exception as e:  # a bug reading one calendar must not cost the others
            out.failures.append(f"{src.label}: could not be read this time "
                                f"({type(e).__name__}: {e}); run with -v for the details")
            log.debug("reading %s failed", src.label, exc_info=True)
            continue
        out.occurrences.extend(result.occurrences)
        out.warnings.extend(result.warnings)
        if not result.unchanged:
            out.fresh.extend(result.warnings)
    out.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
    return out


def upcoming(matches: Sequence[Match], now: datetime) -> list[Match]:
    """The 1:1s after `now`, each once: the same meeting read from two calendars (a shared
    one and the user's own) has one key, and the first calendar's copy stands for it."""
    seen: set[str] = set()
    out = []
    for m in matches:
        if m.occurrence.start > now and m.occurrence.key not in seen:
            seen.add(m.occurrence.key)
            out.append(m)
    return out
