"""A CalDAV calendar's resources, each expanded once while its text holds, across
processes.

A CalDAV source keeps every resource of the window in the store, with the etag the server
gave it. The timer runs a fresh `run --once` every few minutes: its quiet poll asks the
server once and hears that nothing changed, but without this it would expand every
stored resource again (seconds of CPU for thousands of events). Here each resource's
expansion is kept with a digest of the text it was made from, over a range wider than
the window; a resource is expanded again only when its text changed, and everything is
expanded again when the window leaves the range or the code or the calendar's settings
changed. Not by its etag: a server may give a resource made anew the etag an earlier one
had (a revision number starting again at 1), and one without etags would be expanded on
every poll; hashing a 5,000-event calendar's text costs a few milliseconds.

(A Microsoft calendar's quiet poll converts every stored event again, and a cache of the
whole calendar's occurrences did not pay there: when the window holds every event,
hashing the stored events and loading the kept occurrences cost what converting them
costs, about 190 ms for 5,000 events, and more memory.)

The entry is a pickle in the private cache folder (manageup.cache), written only when an
expansion changed; anything wrong with it is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from manageup import __version__
from manageup.cache import code_stamp, private_dir, write_atomic
from manageup.model import Occurrence
from manageup.sources import FetchResult

log = logging.getLogger(__name__)

FORMAT = 2
# Expanded a little beyond the window (as the ics source does): the next polls, whose
# window has slid by a few minutes, only filter.
MARGIN = timedelta(days=1)
# What an expansion depends on besides the resource's text: the ics reader it goes through.
CODE = ("manageup.sources.expansions", "manageup.sources.caldav", "manageup.model",
        "manageup.sources.ics.lines", "manageup.sources.ics.parse",
        "manageup.sources.ics.recurrence", "manageup.sources.ics.salvage",
        "manageup.sources.ics.text", "manageup.sources.ics.thisandfuture",
        "manageup.sources.ics.values", "icalendar", "recurring_ical_events", "x_wr_timezone")
Each = dict[str, tuple[bytes, list[Occurrence], list[str]]]  # href: (digest, occurrences, warnings)
Expand = Callable[[str, str, datetime, datetime, ZoneInfo], tuple[list[Occurrence], list[str]]]


class Expansions:
    """One calendar's expanded resources over one range (lo, hi, zone)."""

    def __init__(self, key: str, settings: str) -> None:
        """key: the calendar's own (the store's sync-state key); settings: everything of
        the calendar's config an expansion reads (its label names each occurrence)."""
        self.range: tuple[datetime, datetime, ZoneInfo] | None = None
        self.each: Each = {}
        self._fp = hashlib.sha256(repr((FORMAT, __version__, settings)).encode()).hexdigest()
        self._name = hashlib.sha256(key.encode()).hexdigest()[:32] + ".pickle"
        self._restored = False

    def read(self, resources: Mapping[str, Mapping[str, str]], start: datetime,
             end: datetime, zone: ZoneInfo, expand: Expand) -> FetchResult:
        """The occurrences of every resource in [start, end), sorted; each resource
        expanded only when its expansion is not at hand for its text."""
        if not self._restored:  # a new process: what the last one expanded
            self._restored = True
            self._restore()
        if not (self.range and self.range[0] <= start and self.range[1] >= end
                and self.range[2] == zone):
            self.range = (start - MARGIN, end + MARGIN, zone)
            self.each = {}
        lo, hi, _ = self.range
        result = FetchResult()
        current: Each = {}
        for href, res in resources.items():
            cached, digest = self.each.get(href), _digest(res["ics"])
            if cached is None or cached[0] != digest:
                cached = (digest, *expand(href, res["ics"], lo, hi, zone))
            current[href] = cached
            result.occurrences.extend(o for o in cached[1] if o.end > start and o.start < end)
            result.warnings.extend(cached[2])
        changed = current.keys() != self.each.keys() or any(
            current[h] is not self.each[h] for h in current)
        self.each = current
        if changed:
            self._save()
        result.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
        return result

    def _restore(self) -> None:
        entry = _load(self._name)
        if entry and entry.get("fp") == self._fp and entry.get("code") == code_stamp(CODE):
            lo, hi, zone = entry["range"]
            self.range, self.each = (lo, hi, ZoneInfo(zone)), dict(entry["each"])

    def _save(self) -> None:
        if self.range is not None:
            lo, hi, zone = self.range
            _save(self._name, {"fp": self._fp, "code": code_stamp(CODE),
                               "range": (lo, hi, zone.key), "each": self.each})


def _digest(ics: str) -> bytes:
    return hashlib.blake2b(ics.encode("utf-8", "surrogateescape"), digest_size=16).digest()


def _load(name: str) -> dict[str, Any] | None:
    folder = private_dir("expansions")
    if folder is None:
        return None
    try:
        entry = pickle.loads((folder / name).read_bytes())
        return entry if isinstance(entry, dict) else None
    except FileNotFoundError:
        return None
    except Exception as e:  # a cache must never cost a poll, whatever is in the file
        log.debug("kept occurrences not used (%s)", e)
        return None


def _save(name: str, entry: dict[str, Any]) -> None:
    folder = private_dir("expansions")
    if folder is None:
        return
    try:
        write_atomic(folder / name, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as e:  # unwritable, full disk: no cache
        log.debug("kept occurrences not saved (%s)", e)
