"""The send ledger: one row per mail manageup owes the user, and what became of it.

A row moves only along named transitions:

    (none) ─> pending ─> sent | failed | uncertain | missed
              failed  ─> pending | missed
              pending ─> pending   (a crash left it: one resend, same Message-ID)
              missed  ─> pending   (only before its deadline: see LedgerRow.may_try)

`pending` is on disk before the transport is touched, so a crash leads to at most one
resend, never to silence. An attempt whose outcome is unknown (the connection dropped
after DATA, or the process died mid-send) counts as unconfirmed: after MAX_UNCONFIRMED of
them the row is `uncertain` and nothing more is sent for it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from manageup.errors import StoreError
from manageup.store.db import StoreBase, parse_rows
from manageup.store.digests import SentDigest, write_sent_digest
from manageup.store.items import iso

MAX_UNCONFIRMED = 2  # the first try plus at most one more when the outcome is unknown


class LedgerState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # the server may have it; not sent again
    MISSED = "missed"  # the deadline passed before it went out


class LedgerKind(StrEnum):
    DIGEST = "digest"
    NUDGE = "nudge"  # the review reminder after a 1:1
    NOTICE = "notice"  # e.g. the Google sign-in died


TRANSITIONS: dict[LedgerState | None, frozenset[LedgerState]] = {
    None: frozenset({LedgerState.PENDING}),
    LedgerState.PENDING: frozenset(LedgerState),
    LedgerState.FAILED: frozenset({LedgerState.PENDING, LedgerState.MISSED}),
    LedgerState.SENT: frozenset(),
    LedgerState.UNCERTAIN: frozenset(),
    LedgerState.MISSED: frozenset({LedgerState.PENDING}),
}


@dataclass(frozen=True)
class LedgerRow:
    """One row of the send ledger."""

    key: str
    start: datetime  # the meeting's start for a digest; the deadline for a reminder/notice
    state: LedgerState
    message_id: str
    due_at: datetime
    attempts: int = 0
    next_try: datetime | None = None
    last_error: str = ""
    kind: LedgerKind = LedgerKind.DIGEST
    unconfirmed: int = 0  # attempts that ended without knowing if the server took the mail

    def may_try(self, now: datetime) -> bool:
        """Whether a cycle at `now` should (re)send this row's mail."""
        if self.state is LedgerState.PENDING:
            return True  # a crash mid-send; the caller decides between resend and uncertain
        if self.state is LedgerState.FAILED:
            return self.next_try is None or now >= self.next_try
        if self.state is LedgerState.MISSED:
            # Marked by a cycle whose clock was ahead (a wrong --now, a clock that jumped):
            # while the deadline is still to come by this cycle's clock, it is not lost.
            return now < self.start
        return False

    @property
    def open(self) -> bool:
        return self.state in (LedgerState.PENDING, LedgerState.FAILED)


class LedgerMixin(StoreBase):
    def ledger_get(self, key: str, start: datetime) -> LedgerRow | None:
        r = self.conn.execute("SELECT * FROM ledger WHERE key = ? AND start = ?",
                              (key, iso(start))).fetchone()
        rows = parse_rows([r] if r else [], ledger_from_row, "ledger")
        return rows[0] if rows else None

    def ledger(self) -> list[LedgerRow]:
        return parse_rows(self.conn.execute("SELECT * FROM ledger ORDER BY due_at"),
                          ledger_from_row, "ledger")

    def ledger_set(self, key: str, start: datetime, state: str, message_id: str,
                   due_at: datetime, now: datetime, *, attempts: int | None = None,
                   next_try: datetime | None = None, error: str = "",
                   kind: str = LedgerKind.DIGEST, unconfirmed: int = 0) -> None:
        """Write a row as given, without checking the transition (tests, import)."""
        row = LedgerRow(key, start, LedgerState(state), message_id, due_at, attempts or 0,
                        next_try, error, LedgerKind(kind), unconfirmed)
        with self._write() as c:
            _put(c, row, now)

    # -- named transitions ----------------------------------------------------------------

    def begin_send(self, row: LedgerRow | None, key: str, start: datetime, message_id: str,
                   due_at: datetime, now: datetime,
                   kind: LedgerKind = LedgerKind.DIGEST) -> LedgerRow:
        """→ pending, before the transport is touched."""
        new = LedgerRow(key, start, LedgerState.PENDING, message_id, due_at,
                        kind=kind) if row is None else row
        new = replace(new, state=LedgerState.PENDING, message_id=message_id,
                      attempts=new.attempts + 1, next_try=None)
        return self._move(row, new, now)

    def mark_sent(self, row: LedgerRow, now: datetime,
                  record: SentDigest | None = None) -> LedgerRow:
        """pending → sent, with the record of what the digest showed in the same
        transaction: a crash can never leave one without the other."""
        return self._move(row, replace(row, state=LedgerState.SENT, last_error=""), now,
                          record)

    def mark_failed(self, row: LedgerRow, now: datetime, error: str,
                    next_try: datetime) -> LedgerRow:
        return self._move(row, replace(row, state=LedgerState.FAILED, last_error=error,
                                       next_try=next_try), now)

    def mark_unconfirmed(self, row: LedgerRow, now: datetime, error: str,
                         next_try: datetime) -> LedgerRow:
        """An attempt whose outcome is unknown: failed (one more try) or, after
        MAX_UNCONFIRMED such attempts, uncertain."""
        count = row.unconfirmed + 1
        state = LedgerState.UNCERTAIN if count >= MAX_UNCONFIRMED else LedgerState.FAILED
        return self._move(row, replace(row, state=state, unconfirmed=count, last_error=error,
                                       next_try=None if state is LedgerState.UNCERTAIN
                                       else next_try), now)

    def mark_missed(self, row: LedgerRow, now: datetime) -> LedgerRow:
        return self._move(row, replace(row, state=LedgerState.MISSED, next_try=None), now)

    def _move(self, old: LedgerRow | None, new: LedgerRow, now: datetime,
              record: SentDigest | None = None) -> LedgerRow:
        before = old.state if old else None
        if new.state not in TRANSITIONS[before]:
            raise StoreError(f"ledger: {new.key} cannot go from {before or 'nothing'} to "
                             f"{new.state}")
        with self._write() as c:
            _put(c, new, now)
            if record is not None:
                write_sent_digest(c, record, now)
        return new

    def forget_ahead(self, now: datetime, margin: timedelta) -> tuple[int, datetime | None]:
        """Forget the rows written by a clock more than `margin` ahead of `now` for mails
        whose time (the meeting, the deadline) is still to come, so each is owed again in
        its time, and the question uses written then, so none rests until that date.
        Returns how many rows went, and the latest time written ahead."""
        limit, rows, latest = now + margin, [], None
        for key, start, updated in self.conn.execute("SELECT key, start, updated FROM ledger"):
            try:
                written, due = _aware(updated), _aware(start)
            except (TypeError, ValueError):
                continue  # reported by `doctor`
            if written > limit and due > now:
                rows.append((key, start))
                latest = max(latest or written, written)
        uses = [(rowid,) for rowid, used in self.conn.execute(
            "SELECT rowid, used_at FROM question_use") if _after(used, limit)]
        if rows or uses:
            with self._write() as c:
                c.executemany("DELETE FROM ledger WHERE key = ? AND start = ?", rows)
                c.executemany("DELETE FROM question_use WHERE rowid = ?", uses)
        return len(rows), latest

    def sent_message_ids(self, series: str, before: datetime) -> list[str]:
        """Message-IDs of the digests actually sent for a series (a UID) whose 1:1 started
        before `before`, oldest first: what a new digest's mail threads under."""
        like = series.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%"
        rows = self.conn.execute(
            "SELECT key, start, message_id FROM ledger WHERE state = 'sent' AND kind = 'digest' "
            "AND (key = ? OR key LIKE ? ESCAPE '\\')", (series, like))
        found = []
        for key, start, mid in rows:  # LIKE ignores case: the exact match is checked here
            # A digest's key is the UID, or UID|original start for one instance of a series.
            rest = key[len(series):]
            if not key.startswith(series) or (rest and not _is_iso(rest.removeprefix("|"))):
                continue
            try:
                sent_for = _aware(start)
            except (TypeError, ValueError):
                continue  # reported by `doctor`
            if sent_for < before:
                found.append((sent_for, mid))
        return [mid for _at, mid in sorted(found)]

    def last_sent(self, key: str) -> datetime | None:
        """When a digest was last sent for an occurrence (its key), for any start."""
        r = self.conn.execute("SELECT max(updated) FROM ledger WHERE key = ? AND state = "
                              "'sent' AND kind = 'digest'", (key,)).fetchone()
        try:
            return datetime.fromisoformat(r[0]) if r and r[0] else None
        except (TypeError, ValueError):
            return None  # reported by `doctor`

    def sent_digest_times(self) -> list[datetime]:
        """When each digest went out, oldest first: reminders and notices are not digests
        and never make a question rest."""
        out = []
        for r in self.conn.execute("SELECT updated FROM ledger WHERE state = 'sent' AND "
                                   "kind = 'digest'"):
            try:
                out.append(datetime.fromisoformat(r[0]))
            except (TypeError, ValueError):
                continue  # reported by `doctor`
        return sorted(out)


def _put(c: sqlite3.Connection, row: LedgerRow, now: datetime) -> None:
    c.execute(
        """INSERT INTO ledger (key, start, state, message_id, due_at, attempts, next_try,
           last_error, updated, kind, unconfirmed) VALUES (?,?,?,?,?,?,?,?,?,?,?)
           ON CONFLICT(key, start) DO UPDATE SET state=excluded.state,
           message_id=excluded.message_id, attempts=excluded.attempts,
           next_try=excluded.next_try, last_error=excluded.last_error,
           updated=excluded.updated, kind=excluded.kind, unconfirmed=excluded.unconfirmed""",
        (row.key, iso(row.start), str(row.state), row.message_id, iso(row.due_at),
         row.attempts, iso(row.next_try), row.last_error, iso(now), str(row.kind),
         row.unconfirmed),
    )


def _is_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _after(text: str, limit: datetime) -> bool:
    try:
        return _aware(text) > limit
    except (TypeError, ValueError):
        return False


def _aware(text: str) -> datetime:
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return dt


def ledger_from_row(r: sqlite3.Row) -> LedgerRow:
    return LedgerRow(r["key"], _aware(r["start"]), LedgerState(r["state"]), r["message_id"],
                     _aware(r["due_at"]), int(r["attempts"]),
                     _aware(r["next_try"]) if r["next_try"] else None, r["last_error"],
                     LedgerKind(r["kind"]), int(r["unconfirmed"]))
