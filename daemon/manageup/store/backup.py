"""Daily online backups of the store: each one checked before older ones go.

A backup is named `<store name>-<store id>-<date>.sqlite3`: the id is the store's own
(kept inside it), so two stores sharing a folder, or a store kept in that folder, are
never taken for one another's backups. Only a copy that passed `integrity_check` ever
carries a backup name, so rotation can never leave only damaged copies.
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from datetime import date
from pathlib import Path

from manageup.errors import StoreError
from manageup.files import private_dir
from manageup.store.db import RESTORE_HINT, StoreBase


def restore_advice(path: Path, folder: Path, store_id: str | None = None) -> str:
    """How to get a damaged store back: the newest backup of it, found by name even when
    the store is too damaged to say its own id."""
    sid = re.escape(store_id) if store_id else "[0-9a-f]{8}"
    pattern = re.compile(re.escape(path.stem) + f"-{sid}-" + r"\d{4}-\d{2}-\d{2}\.sqlite3")
    try:
        found = sorted(p.name for p in folder.iterdir() if pattern.fullmatch(p.name))
    except OSError:
        found = []
    if not found:
        return f"no backup found in {folder}; try `sqlite3 {path} .recover`"
    return f"stop manageup, move {path} aside and copy {folder / found[-1]} to {path}"


class BackupMixin(StoreBase):
    def backup_prefix(self) -> str:
        stem = self.path.stem if self.path else "manageup"
        return f"{stem}-{self.store_id()}-"

    def backups(self, folder: Path) -> list[Path]:
        """This store's backups in the folder, oldest first."""
        pattern = re.compile(re.escape(self.backup_prefix()) + r"(\d{4}-\d{2}-\d{2})\.sqlite3")
        try:  # a link planted under a backup's name is not a backup
            names = [p.name for p in folder.iterdir() if pattern.fullmatch(p.name)
                     and not p.is_symlink() and p.is_file()]
        except OSError:
            return []
        return [folder / n for n in sorted(names)]

    def daily_backup(self, folder: Path, today: date, keep: int = 7) -> Path | None:
        """Copy the store with SQLite's online backup API once a day; keep the last `keep`
        good ones. Raises StoreError when the copy is damaged: the store itself is."""
        if self.readonly or self.scratch or self.path is None:
            return None
        try:
            return self._daily_backup(folder, today, max(keep, 1))
        except OSError as e:
            raise StoreError(f"daily backup to {folder} failed: {e.strerror}; check "
                             "store.backup_dir") from None
        except sqlite3.Error as e:
            raise StoreError(f"daily backup to {folder} failed: {e}; check "
                             "store.backup_dir") from None

    def _daily_backup(self, folder: Path, today: date, keep: int) -> Path | None:
        dest = folder / f"{self.backup_prefix()}{today.isoformat()}.sqlite3"
        if dest.exists():
            return None
        private_dir(folder)
        # mkstemp: created exclusively, 0600, under a name nobody can plant a link at.
        fd, name = tempfile.mkstemp(dir=folder, prefix=".backup-", suffix=".tmp")
        os.close(fd)
        tmp = Path(name)
        try:
            target = sqlite3.connect(tmp)
            try:
                self.conn.backup(target)
                problems = [str(r[0]) for r in target.execute("PRAGMA integrity_check")]
            finally:
                target.close()
            if problems != ["ok"]:
                raise StoreError(f"the store at {self.path} is damaged ({problems[0]}): "
                                 f"today's backup was not kept and the older ones stay; "
                                 f"{RESTORE_HINT}")
            tmp.replace(dest)  # a half-written or damaged backup never carries the name
        finally:
            tmp.unlink(missing_ok=True)
        # The copy just made is never a candidate: backups named after days ahead (a clock
        # that was years fast for a while) would otherwise sort after it, and it would go.
        others = [b for b in self.backups(folder) if b != dest]
        for old in others[:max(0, len(others) - (keep - 1))]:
            old.unlink()
        return dest
