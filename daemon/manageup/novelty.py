"""What is new or changed since the last digest, and what was said at the last 1:1.

Each sent digest keeps a short fingerprint of every item it showed (`seen` in its record):
one for the item itself (text, date, status) and one per field (a probe answer, a risk's
plan). The next digest compares: an item it never showed is new, one whose fingerprint
moved is changed, and the rest is what the reader has seen and can be folded. Pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from manageup.model import HistoryEntry, Item, PastDigest

CORE = ""  # the item's text; "@due" and "@status" beside it; fields by their names
OWN = (CORE, "@due", "@status")


def _hash(value: object) -> str:
    return hashlib.sha256(str(value).encode()).hexdigest()[:10]


def fingerprint(item: Item) -> dict[str, str]:
    prints = {CORE: _hash(item.text), "@due": _hash(item.due), "@status": _hash(item.status)}
    prints.update({k: _hash(v) for k, v in sorted(item.fields.items()) if v})
    return prints


def seen(items: Iterable[Item]) -> dict[str, dict[str, str]]:
    """What a digest records of the items it showed (JSON: ids as text)."""
    return {str(i.id): fingerprint(i) for i in items}


@dataclass(frozen=True)
class Novelty:
    """Against the last digest the reader got. `known`: that digest recorded what it
    showed; a digest from before manageup did has nothing to compare with, so nothing is
    marked and nothing folded."""

    known: bool = False
    before: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    since: datetime | None = None  # when the last digest went out
    reason: str = ""  # why the last digest's 1:1 counted
    trend: str = ""  # what the last digest said of the last few 1:1s

    def tag(self, item: Item) -> str:
        """The marker the text part puts before an item: "NEW: ", "CHANGED: " or ""."""
        mark = self.mark(item)
        return f"{mark.upper()}: " if mark else ""

    def newer(self, when: datetime) -> bool:
        """Whether something dated `when` (a note) came after the last digest."""
        return not self.known or self.since is None or when > self.since

    def mark(self, item: Item) -> str:
        """"new", "changed" or "" (seen before as it is)."""
        if not self.known:
            return ""
        was = self.before.get(str(item.id))
        if was is None:
            return "new"
        return "changed" if dict(was) != fingerprint(item) else ""

    def fresh(self, item: Item) -> frozenset[str]:
        """The fields that are new or changed since the last digest (all, when unknown)."""
        was = self.before.get(str(item.id), {}) if self.known else {}
        return frozenset(k for k, v in fingerprint(item).items()
                         if k not in OWN and was.get(k) != v)

    def folds(self, item: Item) -> bool:
        """Seen before, unchanged: its detail collapses to one line."""
        return self.known and self.mark(item) == ""


def previous(digests: Sequence[PastDigest], key: str, start: datetime,
             now: datetime) -> PastDigest | None:
    """The last digest the reader got before this one: sent by `now`, for an earlier 1:1
    (a preview after this 1:1's own digest went out still compares with the one before)."""
    earlier = [d for d in digests if d.sent_at <= now and d.start < start and
               (d.key, d.start) != (key, start)]
    return max(earlier, key=lambda d: (d.sent_at, d.start), default=None)


def novelty(digests: Sequence[PastDigest], key: str, start: datetime,
            now: datetime) -> Novelty:
    last = previous(digests, key, start, now)
    if last is None or not isinstance(last.shown.get("seen"), dict):
        return Novelty()
    return Novelty(True, last.shown["seen"], last.sent_at, str(last.shown.get("reason", "")),
                   str(last.shown.get("trend", "")))


def last_held(history: Sequence[HistoryEntry], digests: Sequence[PastDigest], start: datetime,
              now: datetime, held: tuple[str, ...]) -> tuple[HistoryEntry | None,
                                                             PastDigest | None]:
    """The last 1:1 that took place before this one, and the digest it had (if any)."""
    entry = max((h for h in history if h.status in held and h.start < start and h.start < now),
                key=lambda h: h.start, default=None)
    if entry is None:
        return None, None
    mine = [d for d in digests if d.key == entry.key and d.sent_at <= now]
    return entry, max(mine, key=lambda d: d.sent_at, default=None)
