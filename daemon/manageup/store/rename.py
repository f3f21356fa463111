"""Moving a meeting's rows to a new UID, when a source learns the meeting's true UID.

A key is the UID, or UID|original start for one instance of a series (Occurrence.key), and
a review reminder's ledger key is nudge|<that key>. Every table that holds such a key is
moved together, so a meeting whose digest was sent under its old UID is not sent again
under the new one, its later digests still thread under the earlier ones, and its history
and the items it showed stay its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from manageup.store.db import StoreBase

# (table, column holding a key); history also names the series in its uid column.
KEYED = (("ledger", "key"), ("digests", "key"), ("history", "key"),
         ("appearances", "occurrence_key"), ("question_use", "occurrence_key"))
PREFIXES = ("", "nudge|")


class RenameMixin(StoreBase):
    def rename_uids(self, renames: Mapping[str, str]) -> int:
        """Moves every row keyed by an old UID to its new one; returns how many old UIDs
        had rows. A row already there under the new key wins (UPDATE OR IGNORE leaves the
        old one, which no new occurrence asks for). Nothing is written when no row has an
        old UID, so a source may ask on every poll."""
        if self.readonly:
            return 0
        present = self._uids_in_use()
        todo = {old: new for old, new in renames.items() if old != new and old in present}
        if not todo:
            return 0
        with self._write() as c:
            for old, new in todo.items():
                for prefix in PREFIXES:
                    was, now = prefix + old, prefix + new
                    for table, col in KEYED:
                        # Exactly the old key, or the old key then "|" and the rest.
                        c.execute(f"UPDATE OR IGNORE {table} SET {col} = ? || substr({col}, ?) "
                                  f"WHERE {col} = ? OR substr({col}, 1, ?) = ?",
                                  (now, len(was) + 1, was, len(was) + 1, was + "|"))
                c.execute("UPDATE history SET uid = ? WHERE uid = ?", (new, old))
        return len(todo)

    def _uids_in_use(self) -> set[str]:
        """Every prefix of every key up to a "|": the UIDs a rename could concern."""
        keys = self.conn.execute(" UNION ".join(f"SELECT {col} FROM {table}"
                                                for table, col in KEYED))
        out: set[str] = set()
        for (key,) in keys:
            parts = str(key).split("|")
            out.update("|".join(parts[:i]) for i in range(1, len(parts) + 1))
        return out
