"""What each sent digest showed (for `review` and carry-over), and notes from reviews."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from manageup.errors import UsageError
from manageup.model import Note, PastDigest
from manageup.store.db import StoreBase, parse_rows
from manageup.store.items import check_id, iso


@dataclass(frozen=True)
class DigestRecord:
    """A digest as the store keeps it."""

    id: int
    key: str
    start: datetime
    title: str
    sent_at: datetime
    reviewed_at: datetime | None
    shown: dict[str, Any]


@dataclass(frozen=True)
class SentDigest:
    """What a digest showed, written in the same transaction as its ledger `sent`."""

    key: str
    item_ids: Sequence[int] = ()
    question_ids: Sequence[str] = ()
    start: datetime | None = None
    title: str = ""
    shown: dict[str, Any] = field(default_factory=dict)


def write_sent_digest(c: sqlite3.Connection, rec: SentDigest, now: datetime) -> None:
    """Item carry-over counts, question rotation, and the record `review` walks through."""
    if rec.start is not None:
        c.execute(
            """INSERT INTO digests (key, start, title, sent_at, shown)
               VALUES (?,?,?,?,?) ON CONFLICT(key, start) DO UPDATE SET
               sent_at=excluded.sent_at, shown=excluded.shown""",
            (rec.key, iso(rec.start), rec.title, iso(now), json.dumps(rec.shown)))
    c.executemany("INSERT OR IGNORE INTO appearances VALUES (?,?,?)",
                  [(i, rec.key, iso(now)) for i in rec.item_ids])
    c.executemany("INSERT OR IGNORE INTO question_use VALUES (?,?,?)",
                  [(q, rec.key, iso(now)) for q in rec.question_ids])


class DigestsMixin(StoreBase):
    def record_sent_digest(self, key: str, item_ids: Iterable[int], question_ids: Iterable[str],
                           now: datetime, *, start: datetime | None = None, title: str = "",
                           shown: dict[str, Any] | None = None) -> None:
        if self.readonly:
            return
        rec = SentDigest(key, tuple(item_ids), tuple(question_ids), start, title, shown or {})
        with self._write() as c:
            write_sent_digest(c, rec, now)

    def digests(self) -> list[DigestRecord]:
        return parse_rows(self.conn.execute("SELECT * FROM digests ORDER BY start"),
                          digest_from_row, "digests")

    def digest(self, digest_id: int) -> DigestRecord:
        check_id(digest_id, "digest")
        r = self.conn.execute("SELECT * FROM digests WHERE id = ?", (digest_id,)).fetchone()
        if r is None:
            raise UsageError(f"no digest with id {digest_id}; `manageup review --list` shows them")
        return digest_from_row(r)

    def mark_reviewed(self, digest_id: int, now: datetime) -> None:
        with self._write() as c:
            c.execute("UPDATE digests SET reviewed_at = ? WHERE id = ?", (iso(now), digest_id))

    def review_progress(self, digest_id: int) -> frozenset[str]:
        """What a review of this digest stopped half-way already asked and heard an answer
        to, skips included: started again, it goes on from there. Kept in meta, so not
        exported: it matters only until that review is finished."""
        r = self.conn.execute("SELECT value FROM meta WHERE name = ?",
                              (f"review:{digest_id}",)).fetchone()
        try:
            return frozenset(str(k) for k in json.loads(r["value"]))
        except (TypeError, ValueError):
            return frozenset()  # none yet, or not ours to read

    def note_progress(self, digest_id: int, key: str) -> None:
        keys = sorted(self.review_progress(digest_id) | {key})
        with self._write() as c:
            c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                      (f"review:{digest_id}", json.dumps(keys)))

    def add_note(self, text: str, now: datetime, digest_id: int | None = None,
                 question_id: str = "") -> int:
        """A note; the same words for the same question of the same 1:1 (a review run
        again) are the one note, dated now: the newest word on it, as a rating is read."""
        with self._write() as c:
            same = c.execute("SELECT id FROM notes WHERE digest_id IS ? AND question_id = ? "
                             "AND text = ?", (digest_id, question_id, text.strip())).fetchone()
            if same and digest_id is not None:
                c.execute("UPDATE notes SET created = ? WHERE id = ?", (iso(now), same[0]))
                return int(same[0])
            cur = c.execute("INSERT INTO notes (digest_id, question_id, text, created) "
                            "VALUES (?,?,?,?)", (digest_id, question_id, text.strip(), iso(now)))
            return int(cur.lastrowid or 0)

    def notes(self) -> list[sqlite3.Row]:
        return list(self.conn.execute("SELECT * FROM notes ORDER BY id"))

    def note_records(self) -> list[Note]:
        """Notes as compose reads them (career advice, with when it was given)."""
        return parse_rows(self.notes(), lambda r: Note(datetime.fromisoformat(r["created"]),
                                                       r["text"], r["question_id"] or "",
                                                       r["digest_id"]),
                          "notes")

    def past_digests(self) -> list[PastDigest]:
        return [PastDigest(d.id, d.key, d.start, d.sent_at, d.shown, d.reviewed_at)
                for d in self.digests()]

    def shown_in(self) -> dict[int, frozenset[str]]:
        """Item id -> the 1:1s (occurrence keys) whose digest showed it; whether each took
        place is the history's to say."""
        keys: dict[int, set[str]] = {}
        for r in self.conn.execute("SELECT item_id, occurrence_key FROM appearances"):
            keys.setdefault(r[0], set()).add(r[1])
        return {i: frozenset(k) for i, k in keys.items()}

    def questions_in(self) -> dict[str, frozenset[str]]:
        """Question id -> the 1:1s (occurrence keys) whose digest asked it."""
        keys: dict[str, set[str]] = {}
        for r in self.conn.execute("SELECT question_id, occurrence_key FROM question_use"):
            keys.setdefault(r[0], set()).add(r[1])
        return {q: frozenset(k) for q, k in keys.items()}

    def question_uses(self) -> dict[str, datetime]:
        uses: dict[str, datetime] = {}
        for r in self.conn.execute("SELECT question_id, MAX(used_at) AS t FROM question_use "
                                   "GROUP BY question_id"):
            try:
                uses[r["question_id"]] = datetime.fromisoformat(r["t"])
            except (TypeError, ValueError):
                continue  # reported by `doctor`; a question without a date is not resting
        return uses


def digest_from_row(r: sqlite3.Row) -> DigestRecord:
    shown = json.loads(r["shown"] or "{}")
    if not isinstance(shown, dict):
        raise ValueError("shown is not an object")
    return DigestRecord(r["id"], r["key"], datetime.fromisoformat(r["start"]), r["title"],
                        datetime.fromisoformat(r["sent_at"]),
                        datetime.fromisoformat(r["reviewed_at"]) if r["reviewed_at"] else None,
                        shown)
