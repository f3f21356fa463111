"""A 1:1 called off after its digest went out. It did not take place: `review` does not
offer it, and one short mail tells the user, says its items roll to the next 1:1 and
suggests asking to rebook (a skipped 1:1 doubles the gap between two talks). Pure: the
cycle sends the mail through the ledger."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from manageup.config import Config
from manageup.model import HistoryEntry
from manageup.relationship import HELD, organizer_name
from manageup.store import DigestRecord

CALLED_OFF = ("cancelled", "declined")
TELL_UNTIL = timedelta(days=1)  # after the planned start plus this, the news is stale


def latest_digests(digests: Iterable[DigestRecord]) -> list[DigestRecord]:
    """One digest per 1:1: a 1:1 moved after its digest went out has a digest per time,
    and the last one sent is the one that counts."""
    latest: dict[str, DigestRecord] = {}
    for d in digests:
        if d.key not in latest or d.sent_at >= latest[d.key].sent_at:
            latest[d.key] = d
    return list(latest.values())


def called_off_keys(history: Iterable[HistoryEntry]) -> frozenset[str]:
    return frozenset(h.key for h in history if h.status in CALLED_OFF)


@dataclass(frozen=True)
class CalledOff:
    digest: DigestRecord
    by: str  # the boss's name, "you", or "" when the calendar does not say
    next_start: datetime | None  # the next 1:1 on the calendar, where the items go

    @property
    def key(self) -> str:
        return f"notice|cancelled|{self.digest.key}"

    @property
    def deadline(self) -> datetime:
        return self.digest.start + TELL_UNTIL

    def subject(self, config: Config) -> str:
        return f"Cancelled: {self.digest.title}, {self._start(config):%a %d %b %H:%M}"

    def _start(self, config: Config) -> datetime:
        return self.digest.start.astimezone(config.zone)

    def text(self, config: Config) -> str:
        boss = config.boss.name or config.boss.email
        who = "You" if self.by == "you" else self.by or "Someone"
        items = len(self.digest.shown.get("items", []))
        where = f"your next 1:1, {self.next_start:%a %d %b %H:%M}" if self.next_start \
            else "your next 1:1 once one is booked"
        roll = f"The {items} items its digest raised roll to {where}; nothing is lost." \
            if items else f"Anything you meant to raise rolls to {where}."
        return (f"{who} cancelled your 1:1 of {self._start(config):%a %d %b %H:%M} after its "
                f"digest went out. {roll} Ask {boss} to rebook it, even for 15 minutes, "
                "so a fortnight does not pass without a talk.")


def to_tell(digests: Sequence[DigestRecord], history: Sequence[HistoryEntry], now: datetime,
            config: Config) -> list[CalledOff]:
    """The 1:1s the boss (or anyone but the user) cancelled after their digest went out, while
    the news is still of use. One the user declined needs no mail: they did it."""
    entries = {h.key: h for h in history}
    out = []
    for rec in latest_digests(digests):
        entry = entries.get(rec.key)
        if entry is None or entry.status != "cancelled" or rec.reviewed_at:
            continue
        if not rec.sent_at <= now < rec.start + TELL_UNTIL:
            continue
        after = max(now, rec.start)
        nxt = min((h.start for h in history if h.status in HELD and h.start > after),
                  default=None)
        out.append(CalledOff(rec, organizer_name(entry.organizer, config),
                             nxt.astimezone(config.zone) if nxt else None))
    return out
