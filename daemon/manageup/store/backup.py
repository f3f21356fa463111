"""Daily online backups of the store, rotated."""

from __future__ import annotations

import os
import sqlite3
from datetime import date
from pathlib import Path

from manageup.errors import StoreError
from manageup.store.db import StoreBase


class BackupMixin(StoreBase):
    def daily_backup(self, folder: Path, today: date, keep: int = 7) -> Path | None:
        """Copy the store with SQLite's online backup API once a day; keep the last `keep`."""
        if self.readonly or self.path is None:
            return None
        try:
            return self._daily_backup(folder, today, keep)
        except OSError as e:
            raise StoreError(f"daily backup to {folder} failed: {e.strerror}; check "
                             "store.backup_dir") from None
        except sqlite3.Error as e:
            raise StoreError(f"daily backup to {folder} failed: {e}; check "
                             "store.backup_dir") from None

    def _daily_backup(self, folder: Path, today: date, keep: int) -> Path | None:
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
