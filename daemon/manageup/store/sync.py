"""Incremental sync state per calendar, flags (states that last, such as a dead sign-in),
and how the last cycle went (for `doctor`; in meta, so not exported)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from manageup.store.db import StoreBase
from manageup.store.items import iso


class SyncMixin(StoreBase):
    def sync_state(self, calendar: str) -> dict[str, Any] | None:
        r = self.conn.execute("SELECT * FROM sync_state WHERE calendar = ?",
                              (calendar,)).fetchone()
        if r is None:
            return None
        try:
            events = json.loads(r["events"])
        except ValueError:
            return None  # unreadable: a full sync rebuilds it
        return {"token": r["token"], "synced_from": r["synced_from"],
                "synced_until": r["synced_until"], "events": events}

    def save_sync_state(self, calendar: str, state: dict[str, Any] | None) -> None:
        if self.readonly:
            return
        with self._write() as c:
            if state is None:
                c.execute("DELETE FROM sync_state WHERE calendar = ?", (calendar,))
                return
            c.execute("INSERT OR REPLACE INTO sync_state VALUES (?,?,?,?,?)",
                      (calendar, state["token"], state["synced_from"], state["synced_until"],
                       json.dumps(state["events"])))

    def flag(self, name: str) -> tuple[str, datetime] | None:
        r = self.conn.execute("SELECT value, since FROM flags WHERE name = ?", (name,)).fetchone()
        if r is None:
            return None
        try:
            return r["value"], datetime.fromisoformat(r["since"])
        except (TypeError, ValueError):
            return None  # reported by `doctor`

    def set_flag(self, name: str, value: str | None, now: datetime) -> None:
        if self.readonly:
            return
        with self._write() as c:
            if value is None:
                c.execute("DELETE FROM flags WHERE name = ?", (name,))
            else:
                c.execute("INSERT OR IGNORE INTO flags VALUES (?,?,?)", (name, value, iso(now)))

    def record_cycle(self, now: datetime, ok: bool, said: str) -> None:
        """How the last cycle went; one row, replaced each cycle."""
        if self.readonly:
            return
        value = json.dumps({"at": iso(now), "ok": ok, "said": said})
        with self._write() as c:
            c.execute("INSERT OR REPLACE INTO meta VALUES ('last_cycle', ?)", (value,))

    def last_cycle(self) -> tuple[datetime, bool, str] | None:
        r = self.conn.execute("SELECT value FROM meta WHERE name = 'last_cycle'").fetchone()
        try:
            got = json.loads(r["value"])
            return datetime.fromisoformat(got["at"]), bool(got["ok"]), str(got["said"])
        except (TypeError, ValueError, KeyError):
            return None  # none yet, or not ours to read
