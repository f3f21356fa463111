"""Typed records passed between the stages of one cycle.

The digest's own records (Digest, Meeting, Question, ...) live in digestmodel.py, which
builds on these: a cycle with nothing to compose never builds their classes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from manageup.errors import UsageError
from manageup.kinds import (  # noqa: F401  (public here too, where they always were)
    ITEM_STATUSES,
    KIND_FIELDS,
    KINDS,
    MAX_ID,
    MAX_TEXT,
    PROBE_FIELDS,
    RISK_FIELDS,
    RISK_TYPES,
)

# One RFC 5322 msg-id, printable ASCII with no space: a ledger row's Message-ID goes into the
# next digest's In-Reply-To, where an encoded word (`=?`) would decode into a real header.
MSG_ID = re.compile(r"<(?!.*=\?)[!-;=?-~]{1,500}>")


def address(text: str) -> str:
    """An address as every part of manageup compares it: without "mailto:", whitespace (a
    line fold, stray spaces) squeezed out, casefolded. Sources store it so, config compares
    it so, and detection, history and the fast path need no rule of their own."""
    text = str(text or "").strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return "".join(text.split()).casefold()


def cadence_days(starts: Iterable[datetime]) -> float | None:
    """Days between a series' instances, from their (original) starts: the median gap, so a
    moved or missing instance does not skew it. None with fewer than two."""
    ordered = sorted(starts)
    gaps = sorted((b - a).total_seconds() / 86400 for a, b in pairwise(ordered))
    if not gaps:
        return None
    mid = len(gaps) // 2
    return gaps[mid] if len(gaps) % 2 else (gaps[mid - 1] + gaps[mid]) / 2


@dataclass(frozen=True)
class Person:
    """An attendee or organiser of an event."""

    email: str
    name: str = ""
    partstat: str = "NEEDS-ACTION"
    cutype: str = "INDIVIDUAL"
    role: str = "REQ-PARTICIPANT"
    is_me: bool = False  # the source knows this is the user (Google's `self`)

    @property
    def is_resource(self) -> bool:
        return self.cutype in ("ROOM", "RESOURCE") or self.role == "NON-PARTICIPANT"


@dataclass(frozen=True)
class Occurrence:
    """One instance of a calendar event, times aware and in the user's zone."""

    uid: str
    start: datetime
    end: datetime
    title: str = ""
    original_start: datetime | None = None  # RECURRENCE-ID; None for a one-off event
    location: str = ""
    description: str = ""
    url: str = ""
    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()
    status: str = "CONFIRMED"
    all_day: bool = False
    cadence_days: float | None = None  # from the series' RRULE, for "held vs expected"
    calendar: str = ""
    # The source says people may be missing from `attendees` (Google's attendeesOmitted):
    # how many take part is not known, so the count alone cannot make it a 1:1.
    attendees_omitted: bool = False
    # How the event shows the user's time, as Graph names it: "busy", "free" (transparent)
    # or "oof" (out of office; away.py says when that is the user's absence).
    show_as: str = "busy"

    @property
    def key(self) -> str:
        """Identity that survives a move: UID plus the original start of the instance."""
        if self.original_start is None:
            return self.uid
        return f"{self.uid}|{self.original_start.isoformat()}"

    @property
    def moved(self) -> bool:
        return self.original_start is not None and self.original_start != self.start


@dataclass(frozen=True)
class Match:
    """An occurrence judged a 1:1, and why."""

    occurrence: Occurrence
    reason: str


@dataclass(frozen=True)
class Item:
    """A note in the store: an agenda item, a goal, an owe."""

    id: int
    kind: str
    text: str
    created: datetime
    status: str = "open"  # open | done | dropped
    due: date | None = None
    closed: datetime | None = None
    fields: dict[str, str] = field(default_factory=dict)
    appearances: int = 0  # sent digests this item was shown in


def check_item(kind: str, text: str, fields: dict[str, str]) -> None:
    """What makes an item valid, wherever it comes from (the CLI, review, an import)."""
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    if not isinstance(text, str) or not text.strip():
        raise UsageError("the text is empty; say what the item is")
    if len(text) > MAX_TEXT:
        raise UsageError(f"the text is {len(text)} characters long; keep it under {MAX_TEXT}")
    allowed = KIND_FIELDS.get(kind, ())
    for k, v in fields.items():
        if k not in allowed:
            hint = f"{kind} items take: {', '.join(allowed)}" if allowed else \
                f"{kind} items take no extra fields"
            raise UsageError(f"{k!r} does not apply here; {hint}")
        if not isinstance(v, str) or len(v) > MAX_TEXT:
            raise UsageError(f"{k}: expected text under {MAX_TEXT} characters")
    kind_of_risk = fields.get("risk_type", "")
    if kind_of_risk and kind_of_risk not in RISK_TYPES:
        raise UsageError(f"a risk is {' or '.join(RISK_TYPES)}, not {kind_of_risk[:40]!r}: "
                         "incident when it happened, ahead when it may happen")


@dataclass(frozen=True)
class HistoryEntry:
    """A 1:1 occurrence seen in the calendar, and what became of it."""

    key: str
    uid: str
    start: datetime
    status: str  # scheduled | moved | cancelled | declined
    organizer: str = ""
    cadence_days: float | None = None  # the series' cadence; None for a one-off or unknown

    @property
    def slot(self) -> datetime:
        """When the instance was planned: a moved one counts in its original slot."""
        _uid, sep, original = self.key.rpartition("|")
        if sep:
            try:
                return datetime.fromisoformat(original)
            except ValueError:
                pass
        return self.start

    @property
    def in_series(self) -> bool:
        return "|" in self.key


@dataclass(frozen=True)
class Note:
    """Something said in a 1:1 and written down in `review`: career advice, for one."""

    created: datetime
    text: str
    question_id: str = ""  # the question it answered
    digest_id: int | None = None  # the digest whose 1:1 it was said in


@dataclass(frozen=True)
class PastDigest:
    """A digest sent earlier and what it showed: what is new since, and what came of it."""

    id: int
    key: str
    start: datetime
    sent_at: datetime
    shown: Mapping[str, Any] = field(default_factory=dict)
    reviewed_at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """What compose needs from the store, read in one go."""

    items: tuple[Item, ...] = ()
    question_uses: dict[str, datetime] = field(default_factory=dict)
    history: tuple[HistoryEntry, ...] = ()
    digests_sent: tuple[datetime, ...] = ()  # when each digest went out, oldest first
    notes: tuple[Note, ...] = ()
    # Which 1:1s (occurrence keys) showed each item and asked each question: what counts
    # is the 1:1s that then took place, not the digests printed.
    shown_in: dict[int, frozenset[str]] = field(default_factory=dict)
    questions_in: dict[str, frozenset[str]] = field(default_factory=dict)
    digests: tuple[PastDigest, ...] = ()  # every digest sent, by the start of its 1:1


@dataclass(frozen=True)
class BossWeek:
    """From the boss's free/busy, when the user can see it."""

    booked_hours: float
    room_on: date | None  # the next workday with fewer than 4 booked hours
