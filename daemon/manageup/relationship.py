"""How the 1:1s with the boss went: held against expected, who cancelled or moved, the strip.

Pure over the history entries. Every 1:1 with the boss counts, whichever series it belongs
to: a boss with a short Tue/Fri check-in and a longer Mon/Thu 1:1 has two series, and each
is expected at its own cadence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from manageup.config import Config
from manageup.digestmodel import StripCell
from manageup.model import HistoryEntry, address, cadence_days

HELD = ("scheduled", "moved")
STRIP_LENGTH = 12


@dataclass(frozen=True)
class Counts:
    held: int
    expected: int
    cancelled: int
    moved: int
    series: int
    one_offs: int
    who: tuple[str, ...]
    strip: tuple[StripCell, ...]


def _expected_in_series(entries: Sequence[HistoryEntry], upcoming: datetime | None) -> int:
    """Slots the series planned from its first instance in the window up to now.

    An instance deleted from the calendar (EXDATE) leaves no entry, so counting entries
    alone would hide it; the cadence fills such gaps in, up to the series' next instance
    when it goes on. Without a known cadence (history kept from an earlier run) the
    entries are all there is.
    """
    slots = sorted({e.slot for e in entries})
    cadence = next((e.cadence_days for e in entries if e.cadence_days), None)
    if cadence is None and len(slots) >= 3:
        cadence = cadence_days(slots)
    if not cadence or (len(slots) < 2 and upcoming is None):
        return len(slots)
    # Rounding, not flooring: a Tue/Fri series has gaps of 3 and 4 days around its 3.5.
    if upcoming is not None:
        planned = round((upcoming - slots[0]).total_seconds() / 86400 / cadence)
    else:
        planned = round((slots[-1] - slots[0]).total_seconds() / 86400 / cadence) + 1
    return max(planned, len(slots))


def carry_keys(history: Sequence[HistoryEntry], now: datetime) -> frozenset[str]:
    """The 1:1s an open item can be carried through: those that took place before `now`,
    each occurrence once. A one-off between the regular 1:1s (a topic meeting the boss
    booked) is extra time, not a round the item waited through; with no series at all,
    every 1:1 is a one-off and each counts."""
    held = [h for h in history if h.status in HELD and h.start < now]
    regular = any(h.in_series for h in history)
    return frozenset(h.key for h in held if h.in_series or not regular)


def organizer_name(organizer: str, config: Config) -> str:
    """Who an organiser is to the user: the boss's name, "you", or "" when unknown."""
    organizer = address(organizer)
    if organizer and organizer in config.boss_addresses:
        return config.boss.name or config.boss.email
    if organizer and organizer in config.me_addresses:
        return "you"
    return ""


def _who(entry: HistoryEntry, config: Config) -> str:
    return "you" if entry.status == "declined" else organizer_name(entry.organizer, config)


def _state(entry: HistoryEntry) -> str:
    return "held" if entry.status == "scheduled" else entry.status


def counts(history: Sequence[HistoryEntry], now: datetime, config: Config) -> Counts:
    since = now - timedelta(days=config.detect.history_days)
    past = [h for h in history if h.start < now]
    recent = [h for h in past if since <= h.start]
    upcoming: dict[str, datetime] = {}
    for h in history:
        if h.start >= now and h.in_series:
            upcoming[h.uid] = min(h.slot, upcoming.get(h.uid, h.slot))
    by_series: dict[str, list[HistoryEntry]] = {}
    one_offs = 0
    for h in recent:
        if h.in_series:
            by_series.setdefault(h.uid, []).append(h)
        else:
            one_offs += 1
    expected = one_offs + sum(_expected_in_series(v, upcoming.get(uid))
                              for uid, v in by_series.items())
    held = sum(h.status in HELD for h in recent)

    tally: dict[tuple[str, str], int] = {}
    for h in recent:
        if h.status in ("cancelled", "declined", "moved"):
            key = (h.status, _who(h, config))
            tally[key] = tally.get(key, 0) + 1
    who = tuple(f"{n} {status}" + (f" by {person}" if person and status != "declined"
                                   else " by you" if status == "declined" else "")
                for (status, person), n in sorted(
                    tally.items(), key=lambda kv: (("cancelled", "declined", "moved")
                                                   .index(kv[0][0]), kv[0][1])))
    cancelled = sum(h.status in ("cancelled", "declined") for h in recent)
    expected = max(expected, held)
    # Slots the cadence expects but no entry shows: deleted from the calendar (EXDATE).
    if expected > held + cancelled:
        who += (f"{expected - held - cancelled} removed from the calendar",)
    last = sorted((h for h in past if h.start < now), key=lambda h: h.start)[-STRIP_LENGTH:]
    strip = tuple(StripCell(h.start.astimezone(config.zone), _state(h),
                            "" if h.status == "scheduled" else _who(h, config)) for h in last)
    return Counts(
        held=held,
        expected=expected,
        cancelled=cancelled,
        moved=sum(h.status == "moved" for h in recent),
        series=len(by_series),
        one_offs=one_offs,
        who=who,
        strip=strip,
    )
