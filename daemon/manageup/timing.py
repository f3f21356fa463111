"""When a digest is due: start − lead time, moved into the user's send window."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_window(t: time, window: tuple[time, time]) -> bool:
    lo, hi = window
    return lo <= t < hi if lo < hi else (t >= lo or t < hi)


def _at(day: datetime, t: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), t, tzinfo=zone)


def due_at(start: datetime, lead: timedelta, window: tuple[time, time], zone: ZoneInfo) -> datetime:
    """Outside the window, the digest goes at the next window opening if that is still
    before the meeting; otherwise at the last window closing before the due time."""
    # Counted in UTC: "an hour before" 03:30 on the night the clocks go forward is 01:30
    # on the clock; an hour back on the clock would be 02:30, the meeting itself.
    due = (start.astimezone(UTC) - lead).astimezone(zone)
    if in_window(due.timetz().replace(tzinfo=None), window):
        return due
    lo, hi = window
    opening = _at(due, lo, zone)
    if opening <= due:
        opening += timedelta(days=1)
    opening = _at(opening, lo, zone)  # re-anchor: a DST change can shift the added day
    if opening < start:
        return opening
    closing = _at(due, hi, zone)
    if closing > due:
        closing = _at(closing - timedelta(days=1), hi, zone)
    return closing - timedelta(minutes=1)


def backoff(attempts: int, base: timedelta = timedelta(minutes=1),
            cap: timedelta = timedelta(hours=1)) -> timedelta:
    # The exponent is bounded: 2**60 minutes is past timedelta's range, and a long outage
    # reaches 60 attempts.
    return min(base * (2 ** min(max(attempts - 1, 0), 30)), cap)
