"""The relationship over the last six months, as the HTML part draws it (issue 26.7): one
column a month, 1:1s held of those that were planned and the user's private rating, each
a table cell whose background says how it went. Table cells with a background colour are
what mail clients keep when they strip the rest of the CSS. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from manageup.feel import rated
from manageup.model import HistoryEntry, Note

MONTHS = 6
# "planned" and past: shown ahead, then gone from the calendar (deleted), as
# relationship.state reads it.
PLANNED = ("scheduled", "moved", "cancelled", "declined", "planned")
HELD = ("scheduled", "moved")


@dataclass(frozen=True)
class Month:
    """One month of the relationship picture: 1:1s held of those planned, and the rating."""

    label: str  # "Mar"
    held: int
    planned: int
    feel: float | None  # the month's mean rating, 1-5; None when none was given

    @property
    def attendance(self) -> str:
        """good (3 in 4 or more held), some (half or more), poor, or none planned."""
        if not self.planned:
            return "none"
        share = self.held / self.planned
        return "good" if share >= 0.75 else "some" if share >= 0.5 else "poor"

    @property
    def mood(self) -> str:
        if self.feel is None:
            return "none"
        return "good" if self.feel >= 4 else "some" if self.feel >= 3 else "poor"


def _months_back(at: datetime) -> list[tuple[int, int]]:
    y, m = at.year, at.month
    out = []
    for _ in range(MONTHS):
        out.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def six_months(history: Sequence[HistoryEntry], notes: Iterable[Note], now: datetime,
               at: datetime) -> tuple[Month, ...]:
    """Oldest first, up to the month of the 1:1 `at`; what lies ahead of `now` is not
    counted yet. Empty when nothing at all is known of those months."""
    zone = at.tzinfo
    past = [h for h in history if h.start < now and h.status in PLANNED]
    ratings = rated(notes)
    out = []
    for y, m in _months_back(at):
        mine = [h for h in past if (h.start.astimezone(zone).year,
                                    h.start.astimezone(zone).month) == (y, m)]
        feel = [v for n, v in ratings
                if (n.created.astimezone(zone).year, n.created.astimezone(zone).month) == (y, m)]
        out.append(Month(datetime(y, m, 1).strftime("%b"),
                         sum(h.status in HELD for h in mine), len(mine),
                         round(sum(feel) / len(feel), 1) if feel else None))
    return tuple(out) if any(c.planned or c.feel is not None for c in out) else ()
