"""The 1:1s seen in the calendar and what became of each (held, moved, cancelled)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from manageup.model import HistoryEntry
from manageup.store.db import StoreBase, parse_rows
from manageup.store.items import iso

# planned: seen ahead in the calendar; still "planned" once its time has passed, it was
# taken out of the calendar (relationship.state calls it deleted).
HISTORY_STATUSES = ("scheduled", "moved", "cancelled", "declined", "planned")


class HistoryMixin(StoreBase):
    def record_history(self, entries: Iterable[HistoryEntry], now: datetime) -> None:
        if self.readonly:
            return
        with self._write() as c:
            for e in entries:
                c.execute(
                    """INSERT INTO history (key, uid, start, status, organizer, first_seen,
                       last_seen) VALUES (?,?,?,?,?,?,?)
                       ON CONFLICT(key) DO UPDATE SET start=excluded.start,
                       status=excluded.status, organizer=excluded.organizer,
                       last_seen=excluded.last_seen""",
                    (e.key, e.uid, iso(e.start), e.status, e.organizer, iso(now), iso(now)),
                )

    def history(self) -> list[HistoryEntry]:
        return parse_rows(self.conn.execute("SELECT * FROM history ORDER BY start"),
                          history_from_row, "history")


def history_from_row(r: sqlite3.Row) -> HistoryEntry:
    start = datetime.fromisoformat(r["start"])
    if start.tzinfo is None:
        raise ValueError(f"start {r['start']!r} has no UTC offset")
    return HistoryEntry(r["key"], r["uid"], start, r["status"], r["organizer"])
