"""How the 1:1s with the boss went: held against expected, who cancelled or moved, the strip.

Pure over the history entries. Every 1:1 with the boss counts, whichever series it belongs
to: a boss with a short Tue/Fri check-in and a longer Mon/Thu 1:1 has two series, and each
is expected at its own cadence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from manageup.config import Config
from manageup.model import HistoryEntry, address, cadence_days

if TYPE_CHECKING:
    from manageup.digestmodel import StripCell

HELD = ("scheduled", "moved")
STRIP_LENGTH = 12


@dataclass(frozen=True)
class Counts:
    """1:1s held and expected over a window."""

    held: int
    expected: int
    cancelled: int
    moved: int
    series: int
    one_offs: int
    who: tuple[str, ...]
    strip: tuple[StripCell, ...]
    declined: int = 0
    deleted: int = 0
    trend: str = ""


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


LOST = ("cancelled", "deleted", "declined")  # slots that did not happen, in the order told


def state(entry: HistoryEntry, now: datetime) -> str:
    """What became of a slot: held, moved, cancelled, declined, or deleted (the calendar
    showed it ahead, and it was gone from the series when its time came)."""
    if entry.status == "planned":
        return "deleted" if entry.start < now else "planned"
    return "held" if entry.status == "scheduled" else entry.status


def _tally(states: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(state, who) -> how many, in the order they are told: cancelled, deleted, declined,
    moved."""
    tally: dict[tuple[str, str], int] = {}
    for st, who in states:
        if st != "held":
            tally[(st, who)] = tally.get((st, who), 0) + 1
    order = (*LOST, "moved")
    return dict(sorted(tally.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])))


def _told(st: str, who: str, n: int) -> str:
    by = " by you" if st == "declined" else f" by {who}" if who and st != "deleted" else ""
    return f"{n} {st}{by}"


def trend(last: Sequence[tuple[str, str]]) -> str:
    """The last few slots in a sentence that says what did not happen and whose doing it
    was: "3 of the last 4 did not happen: 1 cancelled by Sam, 1 deleted, 1 declined by
    you; 1 was moved by Sam." """
    n = len(last)
    tally = _tally(last)
    lost = ", ".join(_told(st, who, k) for (st, who), k in tally.items() if st in LOST)
    lost_n = sum(k for (st, _w), k in tally.items() if st in LOST)
    moved = [(who, k) for (st, who), k in tally.items() if st == "moved"]
    moved_n = sum(k for _w, k in moved)
    moved_by = " and ".join(f"{k} by {who}" if who else str(k) for who, k in moved)
    shifted = (f"{moved_n} {'was' if moved_n == 1 else 'were'} moved" +
               (f" by {moved[0][0]}" if len(moved) == 1 and moved[0][0] else "")) \
        if len(moved) <= 1 else f"{moved_n} were moved ({moved_by})"
    if lost_n == n > 1:
        return f"None of the last {n} took place: {lost}."
    if lost_n:
        return f"{lost_n} of the last {n} did not happen: {lost}" + \
            (f"; {shifted}." if moved_n else ".")
    if moved_n:
        return f"The last {n} took place; {shifted}."
    return f"The last {n} took place as planned."


def counts(history: Sequence[HistoryEntry], now: datetime, config: Config) -> Counts:
    # Here, not at the top: the quiet timer cycle reads HELD and organizer_name (calledoff)
    # and must not load the digest's records for them.
    from manageup.digestmodel import StripCell

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
    states = [(state(h, now), _who(h, config)) for h in recent]
    held = sum(st in ("held", "moved") for st, _w in states)
    expected = max(expected, len(states))
    # Slots the cadence expects but no entry shows: deleted before manageup saw them.
    unseen = expected - len(states)
    tally = _tally([*states, *[("deleted", "")] * unseen])
    who = tuple(_told(st, w, n) for (st, w), n in tally.items())
    last = sorted(past, key=lambda h: h.start)[-STRIP_LENGTH:]
    strip = tuple(StripCell(h.start.astimezone(config.zone), state(h, now),
                            "" if h.status == "scheduled" else _who(h, config)) for h in last)
    by_state = {st: sum(n for (s2, _w), n in tally.items() if s2 == st)
                for st in (*LOST, "moved")}
    return Counts(
        held=held,
        expected=expected,
        cancelled=by_state["cancelled"],
        moved=by_state["moved"],
        series=len(by_series),
        one_offs=one_offs,
        who=who,
        strip=strip,
        declined=by_state["declined"],
        deleted=by_state["deleted"],
        trend=trend([(state(h, now), _who(h, config)) for h in last[-4:]]),
    )
