"""The store's schema, as the migrations that build it; each runs once, in order, and
PRAGMA user_version says how many have run."""

from __future__ import annotations

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
    # 4: what a ledger row is for (only digests count for question rest), how many of its
    # attempts ended without knowing whether the server took the mail, and the store's own
    # id, which names its backups so that stores sharing a backup folder never prune
    # each other's.
    """
    ALTER TABLE ledger ADD COLUMN kind TEXT NOT NULL DEFAULT 'digest';
    ALTER TABLE ledger ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0;
    UPDATE ledger SET kind = 'nudge' WHERE key LIKE 'nudge|%';
    UPDATE ledger SET kind = 'notice' WHERE key LIKE 'notice|%';
    CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('store_id', lower(hex(randomblob(4))));
    """,
]
