"""SQLite store, split by concern: db (open, migrations, health, the cycle lock), items,
ledger, digests (what each sent digest showed), history, sync state and flags, backups,
export/import. No other module of manageup speaks SQL."""

from __future__ import annotations

from pathlib import Path

from manageup.model import ITEM_STATUSES, Snapshot, check_item
from manageup.store.backup import BackupMixin, restore_advice
from manageup.store.db import MIGRATIONS, StoreBase, StoreDamaged
from manageup.store.digests import DigestRecord, DigestsMixin, SentDigest
from manageup.store.export import ExportMixin, ImportReport, markdown
from manageup.store.history import HistoryMixin
from manageup.store.items import ItemsMixin
from manageup.store.ledger import LedgerKind, LedgerMixin, LedgerRow, LedgerState
from manageup.store.rename import RenameMixin
from manageup.store.sync import SyncMixin

__all__ = ["ITEM_STATUSES", "MIGRATIONS", "DigestRecord", "ImportReport", "LedgerKind",
           "LedgerRow", "LedgerState", "SentDigest", "Store", "StoreDamaged", "check_item",
           "markdown", "restore_advice"]


class Store(ItemsMixin, LedgerMixin, DigestsMixin, HistoryMixin, SyncMixin, BackupMixin,
            ExportMixin, RenameMixin, StoreBase):
    """One connection to the store; each concern's methods come from its own module."""

    @classmethod
    def memory(cls) -> Store:
        return cls.open(Path(":memory:"), readonly=True)

    def snapshot(self) -> Snapshot:
        """What compose needs, read in one go."""
        return Snapshot(
            items=tuple(self.items(include_closed=True)),
            question_uses=self.question_uses(),
            history=tuple(self.history()),
            digests_sent=tuple(self.sent_digest_times()),
            notes=tuple(self.note_records()),
            shown_in=self.shown_in(),
            questions_in=self.questions_in(),
            digests=tuple(self.past_digests()),
        )
