"""The relationship's history: which 1:1 occurrences were seen, and what became of them.

A calendar only shows the present; the store keeps what it showed before. Both are merged
here, the calendar winning for an occurrence it still shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from manageup.config import Config
from manageup.detect import verdicts
from manageup.model import HistoryEntry, Occurrence, address


def history_of(occurrences: Sequence[Occurrence], config: Config) -> list[HistoryEntry]:
    """Every occurrence shaped like a 1:1 with the boss, held or not (cancelled, declined,
    moved), so the relationship section can count them."""
    entries = []
    for v in verdicts(occurrences, config):
        if v.reason is None:
            continue
        occ = v.occurrence
        status = v.lost or ("moved" if occ.moved else "scheduled")
        entries.append(HistoryEntry(occ.key, occ.uid, occ.start, status,
                                    address(occ.organizer.email) if occ.organizer else "",
                                    occ.cadence_days))
    return entries


def merged_history(stored: Sequence[HistoryEntry], seen: Sequence[HistoryEntry]) \
        -> list[HistoryEntry]:
    by_key = {h.key: h for h in stored}
    by_key.update({h.key: h for h in seen})
    return sorted(by_key.values(), key=lambda h: h.start)


def to_record(seen: Sequence[HistoryEntry], now: datetime) -> list[HistoryEntry]:
    """What the store keeps of what the calendar shows now. A future instance is kept as
    "planned", not as held: if it is taken out of the series later (EXDATE) it leaves no
    trace in the calendar, and the store's "planned" is then the slot that was lost."""
    return [replace(h, status="planned") if h.start >= now and h.status == "scheduled"
            else h for h in seen]
