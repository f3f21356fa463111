"""Opening the SQLite file, migrating it (schema.py), health checks and the cycle lock.

The schema is versioned with PRAGMA user_version; each migration runs once, in order.
Every public write is one transaction, so a crash never leaves half of it behind.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self, TypeVar

from manageup.errors import StoreError, StorePathError
from manageup.files import not_a_file, private_dir
from manageup.store.schema import MIGRATIONS

log = logging.getLogger(__name__)


class _Cursor(sqlite3.Cursor):
    """Reads that hit a damaged page or a full disk raise StoreError naming the cause,
    never a bare sqlite3 error (which would reach the user as a traceback)."""

    path: Path | None = None

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.DatabaseError as e:
            raise store_error(e, self.path, "read") from None

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as e:
            raise store_error(e, self.path, "read") from None

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as e:
            raise store_error(e, self.path, "read") from None


class _Connection(sqlite3.Connection):
    path: Path | None = None

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        cur = self.cursor(_Cursor)
        cur.path = self.path
        try:
            return cur.execute(sql, parameters)
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                raise  # a constraint: the caller's transaction reports it
            raise store_error(e, self.path, "read") from None


def connect(target: str | Path, path: Path | None, **kwargs: Any) -> sqlite3.Connection:
    conn = sqlite3.connect(target, factory=_Connection, **kwargs)
    if isinstance(conn, _Connection):
        conn.path = path
    return conn


RESTORE_HINT = ("stop manageup, move the damaged file aside and copy the newest backup "
                "(`manageup doctor` names it) to store.path")


class StoreBase:
    """The connection and what every concern shares: transactions, version, health."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None, readonly: bool,
                 scratch: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly
        # A copy in memory that ends with its user (a dry run): written like the store,
        # but nothing reaches the disk, no lock is taken and no backup made of it.
        self.scratch = scratch

    @classmethod
    def open(cls, path: Path, readonly: bool = False) -> Self:
        """Open (and create or migrate) the store. readonly never touches the disk;
        a missing file then reads as an empty store."""
        _plain_file(path)
        try:
            store = _open_readonly(cls, path) if readonly else _open_writable(cls, path)
            store.conn.row_factory = sqlite3.Row
            store._migrate()
            return store
        except sqlite3.DatabaseError as e:
            raise store_error(e, path, "open") from None
        except OSError as e:
            raise StoreError(f"cannot create the store at {path}: {e.strerror}; "
                             "check store.path") from None

    @classmethod
    def scratch_copy(cls, path: Path) -> Self:
        """The store at `path` copied into memory with SQLite's backup API, for a dry run:
        the same cycle runs on it and the file is never touched (nor created)."""
        real = cls.open(path, readonly=True)
        try:
            mem = connect(":memory:", path)
            real.conn.backup(mem)
        except sqlite3.DatabaseError as e:
            raise store_error(e, path, "read") from None
        finally:
            real.close()
        mem.row_factory = sqlite3.Row
        mem.execute("PRAGMA foreign_keys=ON")
        return cls(mem, path, False, scratch=True)

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self._version()
        if version > len(MIGRATIONS):
            raise StoreError(f"the store was written by a newer manageup (schema {version}); "
                             "upgrade manageup")
        if version == len(MIGRATIONS):
            return
        # Two processes may open a new store at once: the version is read again under the
        # write lock, so each migration runs exactly once.
        level = self.conn.isolation_level
        self.conn.isolation_level = None
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for i in range(self._version(), len(MIGRATIONS)):
                    for statement in _statements(MIGRATIONS[i]):
                        self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA user_version={i + 1}")
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        finally:
            self.conn.isolation_level = level

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
            raise store_error(e, self.path, "write") from None

    def store_id(self) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE name = 'store_id'").fetchone()
        return str(row[0]) if row else "0"

    def integrity(self, quick: bool = False) -> list[str]:
        """SQLite's own check of every page and index: an empty list means sound."""
        pragma = "quick_check" if quick else "integrity_check"
        try:
            rows = [str(r[0]) for r in self.conn.cursor().execute(f"PRAGMA {pragma}")]
        except sqlite3.DatabaseError as e:
            return [str(e)]
        return [] if rows == ["ok"] else rows

    def writable(self) -> None:
        """Raises StoreError when another process could not write now (read-only file,
        a lock that never clears)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("ROLLBACK")
        except sqlite3.DatabaseError as e:
            raise store_error(e, self.path, "write") from None

    @contextmanager
    def cycle_lock(self) -> Iterator[bool]:
        """Held for a whole cycle, so a timer cycle, the daemon and `run --once` never send
        the same digest at once. Yields False when another cycle holds it: skip this one.
        The kernel drops the lock when its holder dies, even by SIGKILL."""
        if self.path is None or self.readonly or self.scratch:
            yield True  # nothing real is written, so nothing to keep apart
            return
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as e:  # a link planted there (ELOOP), a folder, a read-only folder
            raise StoreError(f"cannot take the cycle lock {lock}: {e.strerror}; remove it "
                             "(manageup makes a new one) and check its folder") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


S = TypeVar("S", bound=StoreBase)


def _plain_file(path: Path) -> None:
    """SQLite follows a symlink at the store path (creating the target 0644), reports a
    folder there as a disk I/O error, waits for ever on a named pipe and writes over a
    device; each gets one line naming the real problem."""
    if path.is_symlink():
        raise StorePathError(f"store.path {path} is a symbolic link; manageup does not "
                             "follow links there: set store.path to the file itself")
    if path.is_dir():
        raise StorePathError(f"store.path {path} is a folder; set store.path to a file in "
                             f"it, e.g. {path / 'manageup.sqlite3'}")
    try:
        what = not_a_file(path.stat().st_mode)
    except FileNotFoundError:
        return  # a new store: created on the first run
    except OSError:
        return  # SQLite says what is wrong when it opens it
    if what:  # SQLite would wait on a named pipe for ever, and write over a device
        raise StorePathError(f"store.path {path} {what}, not a file; set store.path to a "
                             "file (it is created on the first run)")


def _open_readonly(cls: type[S], path: Path) -> S:
    if not path.exists():
        return cls(connect(":memory:", None), None, True)
    # With no -wal file the main file holds everything, and immutable keeps a read-only
    # open from leaving -shm/-wal files behind. With one (another process is writing),
    # immutable would miss its latest commits.
    wal = path.with_name(path.name + "-wal").exists()
    mode = "ro" if wal else "ro&immutable=1"
    conn = connect(f"file:{path}?mode={mode}", path, uri=True)
    store = cls(conn, path, True)
    if store._version() < len(MIGRATIONS):
        # An older file: read it through an in-memory migrated copy.
        mem = connect(":memory:", path)
        conn.backup(mem)
        conn.close()
        store = cls(mem, path, True)
    return store


def _open_writable(cls: type[S], path: Path) -> S:
    private_dir(path.parent)
    try:
        # Created private: the store holds what you think of your boss. O_EXCL and
        # O_NOFOLLOW: a symlink planted at the path is refused, not followed.
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    conn = connect(path, path, timeout=10)
    # Switching a new file to WAL does not wait on the busy timeout: when two processes
    # create the store at once, one is told "locked" at once. Wait for the other here.
    for attempt in range(100):
        try:
            conn.cursor().execute("PRAGMA journal_mode=WAL")  # the plain error, to retry
            break
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == 99:
                raise
            time.sleep(0.1)
    conn.execute("PRAGMA foreign_keys=ON")
    return cls(conn, path, False)


def _statements(script: str) -> list[str]:
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    return out



def _nearly_full(path: Path) -> bool:
    """SQLite reports some writes on a full disk only as an I/O error."""
    try:
        return shutil.disk_usage(path.parent).free < 1024 * 1024
    except OSError:
        return False


class StoreDamaged(StoreError):
    """The file itself is damaged (not a full disk, a lock or a permission)."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause  # SQLite's words, e.g. "database disk image is malformed"


def store_error(e: sqlite3.DatabaseError, path: Path | None, doing: str) -> StoreError:
    text = describe_error(e, path, doing)
    return StoreDamaged(text, str(e)) if _damaged(e) else StoreError(text)


def _damaged(e: sqlite3.DatabaseError) -> bool:
    code = getattr(e, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "malformed" in str(e) \
        or "not a database" in str(e)


def describe_error(e: sqlite3.DatabaseError, path: Path | None, doing: str) -> str:
    """One line naming the real cause: a full disk is not a damaged file."""
    text = str(e)
    code = getattr(e, "sqlite_errorcode", None)
    full = code == sqlite3.SQLITE_FULL or "disk is full" in text or (
        "disk I/O" in text and path is not None and _nearly_full(path))
    if full:
        return f"cannot {doing} the store at {path}: the disk is full; free some space"
    if code == sqlite3.SQLITE_READONLY or "readonly database" in text:
        return f"cannot {doing} the store at {path}: the file is read-only; check its owner " \
               "and permissions"
    if "locked" in text or code == sqlite3.SQLITE_BUSY:
        return f"cannot {doing} the store at {path}: another process holds it ({text}); " \
               "try again in a moment"
    if _damaged(e):
        return f"the store at {path} is damaged ({text}); {RESTORE_HINT}"
    if code == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
        return f"cannot {doing} the store at {path} ({text}); check store.path"
    if code == sqlite3.SQLITE_IOERR or "disk I/O" in text:
        err = os.strerror(errno.EIO)
        return f"cannot {doing} the store at {path}: {err} ({text}); check the disk"
    return f"cannot {doing} the store at {path}: {text}; check store.path"


T = TypeVar("T")


def parse_rows(rows: Iterable[sqlite3.Row], parse: Callable[[sqlite3.Row], T],
               table: str) -> list[T]:
    """Rows a reader cannot make sense of (written by hand, or by a bug) are logged and
    left out, so one bad row never stops every later cycle; `doctor` reports them."""
    out = []
    for r in rows:
        try:
            out.append(parse(r))
        except (ValueError, TypeError, KeyError) as e:
            log.error("the store's %s table has a row it cannot read (%s); `manageup doctor` "
                      "shows it", table, e)
    return out
