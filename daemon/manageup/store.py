"""SQLite store: items, probes, question use, 1:1 history and the send ledger.

The schema is versioned with PRAGMA user_version; each migration runs once, in order.
Every public write is one transaction, so a crash never leaves half of it behind.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from manageup.errors import StoreError, UsageError
from manageup.model import KIND_FIELDS, KINDS, HistoryEntry, Item, Snapshot

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        created TEXT NOT NULL,
        due TEXT,
        closed TEXT,
        fields TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE appearances (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        occurrence_key TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (item_id, occurrence_key)
    );
    CREATE TABLE question_use (
        question_id TEXT NOT NULL,
        occurrence_key TEXT NOT NULL,
        used_at TEXT NOT NULL,
        PRIMARY KEY (question_id, occurrence_key)
    );
    CREATE TABLE history (
        key TEXT PRIMARY KEY,
        uid TEXT NOT NULL,
        start TEXT NOT NULL,
        status TEXT NOT NULL,
        organizer TEXT NOT NULL DEFAULT '',
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE ledger (
        key TEXT NOT NULL,
        start TEXT NOT NULL,
        state TEXT NOT NULL,
        message_id TEXT NOT NULL,
        due_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try TEXT,
        last_error TEXT NOT NULL DEFAULT '',
        updated TEXT NOT NULL,
        PRIMARY KEY (key, start)
    );
    """,
    # 2: what each sent digest showed, for `review`; advice and answers noted in reviews
    """
    CREATE TABLE digests (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        start TEXT NOT NULL,
        title TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        reviewed_at TEXT,
        shown TEXT NOT NULL DEFAULT '{}',
        UNIQUE (key, start)
    );
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        digest_id INTEGER REFERENCES digests(id) ON DELETE SET NULL,
        question_id TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        created TEXT NOT NULL
    );
    """,
    # 3: Google incremental sync state per calendar, and the sign-in state
    """
    CREATE TABLE sync_state (
        calendar TEXT PRIMARY KEY,
        token TEXT NOT NULL DEFAULT '',
        synced_from TEXT NOT NULL,
        synced_until TEXT NOT NULL,
        events TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE flags (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        since TEXT NOT NULL
    );
    """,
]

ITEM_STATUSES = ("open", "done", "dropped")


@dataclass(frozen=True)
class DigestRecord:
    id: int
    key: str
    start: datetime
    title: str
    sent_at: datetime
    reviewed_at: datetime | None
    shown: dict[str, Any]


@dataclass(frozen=True)
class LedgerRow:
    key: str
    start: str
    state: str  # pending | sent | failed | missed
    message_id: str
    due_at: str
    attempts: int
    next_try: str | None
    last_error: str


def _iso(dt: datetime | date | None) -> str | None:
    return dt.isoformat() if dt is not None else None


class Store:
    def __init__(self, conn: sqlite3.Connection, path: Path | None, readonly: bool) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, readonly: bool = False) -> Store:
        """Open (and create or migrate) the store. readonly never touches the disk;
        a missing file then reads as an empty store."""
        try:
            if readonly:
                if path.exists():
                    # With no -wal file the main file holds everything, and immutable keeps a
                    # read-only open from leaving -shm/-wal files behind. With one (another
                    # process is writing), immutable would miss its latest commits.
                    wal = path.with_name(path.name + "-wal").exists()
                    mode = "ro" if wal else "ro&immutable=1"
                    conn = sqlite3.connect(f"file:{path}?mode={mode}", uri=True)
                    store = cls(conn, path, True)
                    if store._version() < len(MIGRATIONS):
                        # An older file: read it through an in-memory migrated copy.
                        mem = sqlite3.connect(":memory:")
                        conn.backup(mem)
                        conn.close()
                        store = cls(mem, path, True)
                        store._migrate()
                    store.conn.row_factory = sqlite3.Row
                    return store
                conn = sqlite3.connect(":memory:")
                store = cls(conn, None, True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists():
                    # Created private: the store holds what you think of your boss.
                    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
                    os.close(fd)
                conn = sqlite3.connect(path, timeout=10)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA foreign_keys=ON")
                store = cls(conn, path, False)
            store.conn.row_factory = sqlite3.Row
            store._migrate()
            return store
        except sqlite3.DatabaseError as e:
            raise StoreError(f"cannot open the store at {path}: {e}; check store.path "
                             "(restore a backup if the file is damaged)") from None
        except OSError as e:
            raise StoreError(f"cannot create the store at {path}: {e.strerror}; "
                             "check store.path") from None

    @classmethod
    def memory(cls) -> Store:
        return cls.open(Path(":memory:"), readonly=True)

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self._version()
        if version > len(MIGRATIONS):
            raise StoreError(f"the store was written by a newer manageup (schema {version}); "
                             "upgrade manageup")
        for i in range(version, len(MIGRATIONS)):
            with self.conn:
                self.conn.executescript("BEGIN;" + MIGRATIONS[i] + f"PRAGMA user_version={i+1};"
                                        + "COMMIT;")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.readonly and self.path is not None:
            raise StoreError("the store is open read-only (dry run); nothing was written")
        try:
            with self.conn:
                yield self.conn
        except sqlite3.DatabaseError as e:
            raise StoreError(f"could not write the store at {self.path}: {e}") from None

    # -- items ---------------------------------------------------------------------------

    def add_item(self, kind: str, text: str, now: datetime, due: date | None = None,
                 fields: dict[str, str] | None = None) -> int:
        check_item(kind, text, fields or {})
        with self._write() as c:
            cur = c.execute(
                "INSERT INTO items (kind, text, created, due, fields) VALUES (?,?,?,?,?)",
                (kind, text.strip(), _iso(now), _iso(due), json.dumps(fields or {})),
            )
            return int(cur.lastrowid or 0)

    def get_item(self, item_id: int) -> Item:
        row = self.conn.execute(
            f"SELECT {_ITEM_COLS} FROM items i WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise UsageError(f"no item with id {item_id}; see `manageup list --all`")
        return _item(row)

    def items(self, kind: str | None = None, include_closed: bool = False) -> list[Item]:
        sql = f"SELECT {_ITEM_COLS} FROM items i WHERE 1=1"
        args: list[Any] = []
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        if not include_closed:
            sql += " AND status = 'open'"
        sql += " ORDER BY id"
        return [_item(r) for r in self.conn.execute(sql, args)]

    def update_item(self, item_id: int, *, text: str | None = None, due: date | None = None,
                    clear_due: bool = False, fields: dict[str, str] | None = None) -> Item:
        item = self.get_item(item_id)
        new_fields = dict(item.fields)
        for k, v in (fields or {}).items():
            if v:
                new_fields[k] = v
            else:
                new_fields.pop(k, None)
        check_item(item.kind, text if text is not None else item.text, new_fields)
        with self._write() as c:
            c.execute(
                "UPDATE items SET text = ?, due = ?, fields = ? WHERE id = ?",
                (
                    (text if text is not None else item.text).strip(),
                    None if clear_due else _iso(due) if due else _iso(item.due),
                    json.dumps(new_fields),
                    item_id,
                ),
            )
        return self.get_item(item_id)

    def set_status(self, item_id: int, status: str, now: datetime) -> Item:
        if status not in ITEM_STATUSES:
            raise UsageError(f"unknown status {status!r}; use one of {', '.join(ITEM_STATUSES)}")
        self.get_item(item_id)
        with self._write() as c:
            c.execute("UPDATE items SET status = ?, closed = ? WHERE id = ?",
                      (status, None if status == "open" else _iso(now), item_id))
        return self.get_item(item_id)

    # -- what a sent digest showed --------------------------------------------------------

    def record_sent_digest(self, key: str, item_ids: Iterable[int], question_ids: Iterable[str],
                           now: datetime, *, start: datetime | None = None, title: str = "",
                           shown: dict[str, Any] | None = None) -> None:
        """Everything a sent digest showed, in one transaction: item carry-over counts,
        question rotation, and the record `review` walks through afterwards."""
        if self.readonly:
            return
        with self._write() as c:
            if start is not None:
                c.execute(
                    """INSERT INTO digests (key, start, title, sent_at, shown)
                       VALUES (?,?,?,?,?) ON CONFLICT(key, start) DO UPDATE SET
                       sent_at=excluded.sent_at, shown=excluded.shown""",
                    (key, _iso(start), title, _iso(now), json.dumps(shown or {})))
            c.executemany(
                "INSERT OR IGNORE INTO appearances VALUES (?,?,?)",
                [(i, key, _iso(now)) for i in item_ids],
            )
            c.executemany(
                "INSERT OR IGNORE INTO question_use VALUES (?,?,?)",
                [(q, key, _iso(now)) for q in question_ids],
            )

    def digests(self) -> list[DigestRecord]:
        return [_digest_row(r) for r in self.conn.execute("SELECT * FROM digests ORDER BY start")]

    def digest(self, digest_id: int) -> DigestRecord:
        r = self.conn.execute("SELECT * FROM digests WHERE id = ?", (digest_id,)).fetchone()
        if r is None:
            raise UsageError(f"no digest with id {digest_id}; `manageup review --list` shows them")
        return _digest_row(r)

    def mark_reviewed(self, digest_id: int, now: datetime) -> None:
        with self._write() as c:
            c.execute("UPDATE digests SET reviewed_at = ? WHERE id = ?", (_iso(now), digest_id))

    def add_note(self, text: str, now: datetime, digest_id: int | None = None,
                 question_id: str = "") -> int:
        with self._write() as c:
            cur = c.execute("INSERT INTO notes (digest_id, question_id, text, created) "
                            "VALUES (?,?,?,?)", (digest_id, question_id, text.strip(), _iso(now)))
            return int(cur.lastrowid or 0)

    def notes(self) -> list[sqlite3.Row]:
        return list(self.conn.execute("SELECT * FROM notes ORDER BY id"))

    # -- history -------------------------------------------------------------------------

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
                    (e.key, e.uid, _iso(e.start), e.status, e.organizer, _iso(now), _iso(now)),
                )

    def history(self) -> list[HistoryEntry]:
        return [
            HistoryEntry(r["key"], r["uid"], datetime.fromisoformat(r["start"]), r["status"],
                         r["organizer"])
            for r in self.conn.execute("SELECT * FROM history ORDER BY start")
        ]

    # -- ledger --------------------------------------------------------------------------

    def ledger_get(self, key: str, start: datetime) -> LedgerRow | None:
        r = self.conn.execute("SELECT * FROM ledger WHERE key = ? AND start = ?",
                              (key, _iso(start))).fetchone()
        return _ledger_row(r) if r else None

    def ledger_set(self, key: str, start: datetime, state: str, message_id: str,
                   due_at: datetime, now: datetime, *, attempts: int | None = None,
                   next_try: datetime | None = None, error: str = "") -> None:
        with self._write() as c:
            c.execute(
                """INSERT INTO ledger (key, start, state, message_id, due_at, attempts,
                   next_try, last_error, updated) VALUES (?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(key, start) DO UPDATE SET state=excluded.state,
                   message_id=excluded.message_id, attempts=excluded.attempts,
                   next_try=excluded.next_try, last_error=excluded.last_error,
                   updated=excluded.updated""",
                (key, _iso(start), state, message_id, _iso(due_at), attempts or 0,
                 _iso(next_try), error, _iso(now)),
            )

    def ledger(self) -> list[LedgerRow]:
        return [_ledger_row(r)
                for r in self.conn.execute("SELECT * FROM ledger ORDER BY due_at")]

    def sent_message_ids(self, series: str, before: datetime) -> list[str]:
        """Message-IDs of the digests actually sent for a series (a UID) whose 1:1 started
        before `before`, oldest first: what a new digest's mail threads under."""
        like = series.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%"
        rows = self.conn.execute(
            "SELECT key, start, message_id FROM ledger WHERE state = 'sent' "
            "AND (key = ? OR key LIKE ? ESCAPE '\\')", (series, like))
        found = []
        for key, start, mid in rows:
            # A digest's key is the UID, or UID|original start for one instance of a series;
            # LIKE ignores case, and a longer UID may begin with this one and a "|".
            rest = key[len(series):]
            if not key.startswith(series):
                continue
            try:
                if rest:
                    datetime.fromisoformat(rest.removeprefix("|"))
            except ValueError:
                continue
            sent_for = datetime.fromisoformat(start)
            if sent_for < before:
                found.append((sent_for, mid))
        return [mid for _at, mid in sorted(found)]

    # -- reading for compose --------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        uses: dict[str, datetime] = {}
        for r in self.conn.execute(
                "SELECT question_id, MAX(used_at) AS t FROM question_use GROUP BY question_id"):
            uses[r["question_id"]] = datetime.fromisoformat(r["t"])
        return Snapshot(
            items=tuple(self.items(include_closed=True)),
            question_uses=uses,
            history=tuple(self.history()),
            digests_sent=tuple(
                datetime.fromisoformat(r[0]) for r in self.conn.execute(
                    "SELECT updated FROM ledger WHERE state = 'sent' ORDER BY updated")),
        )

    # -- sync state and flags -------------------------------------------------------------

    def sync_state(self, calendar: str) -> dict[str, Any] | None:
        r = self.conn.execute("SELECT * FROM sync_state WHERE calendar = ?",
                              (calendar,)).fetchone()
        if r is None:
            return None
        return {"token": r["token"], "synced_from": r["synced_from"],
                "synced_until": r["synced_until"], "events": json.loads(r["events"])}

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
        return (r["value"], datetime.fromisoformat(r["since"])) if r else None

    def set_flag(self, name: str, value: str | None, now: datetime) -> None:
        if self.readonly:
            return
        with self._write() as c:
            if value is None:
                c.execute("DELETE FROM flags WHERE name = ?", (name,))
            else:
                c.execute("INSERT OR IGNORE INTO flags VALUES (?,?,?)", (name, value, _iso(now)))

    # -- backups -------------------------------------------------------------------------

    def daily_backup(self, folder: Path, today: date, keep: int = 7) -> Path | None:
        """Copy the store with SQLite's online backup API once a day; keep the last `keep`."""
        if self.readonly or self.path is None:
            return None
        dest = folder / f"manageup-{today.isoformat()}.sqlite3"
        if dest.exists():
            return None
        folder.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.close(fd)
        target = sqlite3.connect(tmp)
        try:
            self.conn.backup(target)
        finally:
            target.close()
        tmp.replace(dest)  # a half-written backup never carries the final name
        for old in sorted(folder.glob("manageup-*.sqlite3"))[:-keep or None]:
            old.unlink()
        return dest

    # -- export / import -----------------------------------------------------------------

    TABLES = ("items", "appearances", "question_use", "history", "ledger", "digests", "notes",
              "sync_state", "flags")

    def export(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": "manageup-store", "schema": self._version()}
        for t in self.TABLES:
            out[t] = [dict(r) for r in self.conn.execute(f"SELECT * FROM {t} ORDER BY rowid")]
        for row in out["items"]:
            row["fields"] = json.loads(row["fields"] or "{}")  # readable, not a string in JSON
        return out

    def import_(self, data: dict[str, Any]) -> dict[str, int]:
        if not isinstance(data, dict) or data.get("format") != "manageup-store":
            raise UsageError("not a manageup export: expected the JSON of "
                             "`manageup export --format json`")
        counts = {}
        with self._write() as c:
            for t in self.TABLES:
                rows = data.get(t, [])
                if not isinstance(rows, list):
                    raise UsageError(f"import: {t} must be a list")
                for row in rows:
                    if not isinstance(row, dict):
                        raise UsageError(f"import: a row in {t} is not an object")
                    if t == "items":
                        fields = row.get("fields") or {}
                        if isinstance(fields, str):
                            fields = json.loads(fields)
                        check_item(row.get("kind", ""), row.get("text", ""), fields)
                        row = {**row, "fields": json.dumps(fields)}
                    cols = ",".join(row)
                    marks = ",".join("?" * len(row))
                    try:
                        c.execute(f"INSERT OR REPLACE INTO {t} ({cols}) VALUES ({marks})",
                                  list(row.values()))
                    except sqlite3.OperationalError as e:
                        raise UsageError(f"import: bad row in {t}: {e}") from None
                counts[t] = len(rows)
        return counts


_ITEM_COLS = ("i.*, (SELECT COUNT(*) FROM appearances a WHERE a.item_id = i.id) AS appearances")


def _digest_row(r: sqlite3.Row) -> DigestRecord:
    return DigestRecord(r["id"], r["key"], datetime.fromisoformat(r["start"]), r["title"],
                        datetime.fromisoformat(r["sent_at"]),
                        datetime.fromisoformat(r["reviewed_at"]) if r["reviewed_at"] else None,
                        json.loads(r["shown"] or "{}"))


def _ledger_row(r: sqlite3.Row) -> LedgerRow:
    return LedgerRow(r["key"], r["start"], r["state"], r["message_id"], r["due_at"],
                     r["attempts"], r["next_try"], r["last_error"])


def _item(r: sqlite3.Row) -> Item:
    return Item(
        id=r["id"],
        kind=r["kind"],
        text=r["text"],
        created=datetime.fromisoformat(r["created"]),
        status=r["status"],
        due=date.fromisoformat(r["due"]) if r["due"] else None,
        closed=datetime.fromisoformat(r["closed"]) if r["closed"] else None,
        fields=json.loads(r["fields"] or "{}"),
        appearances=r["appearances"],
    )


def check_item(kind: str, text: str, fields: dict[str, str]) -> None:
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    if not text or not text.strip():
        raise UsageError("the text is empty; say what the item is")
    allowed = KIND_FIELDS.get(kind, ())
    for k in fields:
        if k not in allowed:
            hint = f"{kind} items take: {', '.join(allowed)}" if allowed else \
                f"{kind} items take no extra fields"
            raise UsageError(f"{k!r} does not apply here; {hint}")


def markdown(data: dict[str, Any]) -> str:
    """A readable export: open and closed items by kind, notes, and the 1:1s on record."""
    titles = {"need": "What I need from my boss", "owe": "What I owe my boss",
              "goal": "My boss's goals", "risk": "Risks", "career": "My career goals",
              "win": "Wins", "topic": "Topics"}
    out = ["# manageup notes", ""]
    for kind in KINDS:
        rows = [r for r in data["items"] if r["kind"] == kind]
        if not rows:
            continue
        out += [f"## {titles[kind]}", ""]
        for r in rows:
            box = "x" if r["status"] != "open" else " "
            extra = f" (due {r['due']})" if r["due"] else ""
            extra += f" ({r['status']})" if r["status"] == "dropped" else ""
            out.append(f"- [{box}] {r['text']}{extra} <!-- #{r['id']} -->")
            for k, v in (r["fields"] or {}).items():
                out.append(f"  - {k.replace('_', ' ')}: {v}")
        out.append("")
    if data.get("notes"):
        out += ["## Notes from reviews", ""]
        out += [f"- {n['created'][:10]}: {n['text']}" for n in data["notes"]]
        out.append("")
    if data.get("history"):
        out += ["## 1:1s on record", ""]
        out += [f"- {h['start'][:16].replace('T', ' ')} {h['status']}" for h in data["history"]]
        out.append("")
    return "\n".join(out)
