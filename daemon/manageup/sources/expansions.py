"""A remote calendar's resources, each expanded once while its etag holds, across processes.

A CalDAV source keeps every resource of the window in the store, with the etag the server
gave it. The timer runs a fresh `run --once` every few minutes: its quiet poll asks the
server once and hears that nothing changed, but without this it would expand every
stored resource again (seconds of CPU for thousands of events). Here each resource's
expansion is kept with the etag it was made from, over a range wider than the window; a
resource is expanded again only when its etag changed (or it has none), and everything
is expanded again when the window leaves the range or the code or the calendar's settings
changed.

The entry is a pickle in the private cache folder (manageup.cache), written only when an
expansion changed; anything wrong with it is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from manageup import __version__
from manageup.cache import code_stamp, private_dir, write_atomic
from manageup.model import Occurrence
from manageup.sources import FetchResult
from manageup.sources.ics import EXPAND_MARGIN

log = logging.getLogger(__name__)

FORMAT = 1
# What an expansion depends on besides the resource's text: the ics reader it goes through.
CODE = ("manageup.sources.expansions", "manageup.sources.caldav", "manageup.model",
        "manageup.sources.ics.lines", "manageup.sources.ics.parse",
        "manageup.sources.ics.recurrence", "manageup.sources.ics.salvage",
        "manageup.sources.ics.text", "manageup.sources.ics.thisandfuture",
        "manageup.sources.ics.values", "icalendar", "recurring_ical_events", "x_wr_timezone")
Each = dict[str, tuple[str, list[Occurrence], list[str]]]  # href: (etag, occurrences, warnings)
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
        self._path: Path | None = None
        self._restored = False

    def read(self, resources: Mapping[str, Mapping[str, str]], start: datetime,
             end: datetime, zone: ZoneInfo, expand: Expand) -> FetchResult:
        """The occurrences of every resource in [start, end), sorted; each resource
        expanded only when its expansion is not at hand for its etag."""
        if not self._restored:  # a new process: what the last one expanded
            self._restored = True
            self._restore()
        if not (self.range and self.range[0] <= start and self.range[1] >= end
                and self.range[2] == zone):
            self.range = (start - EXPAND_MARGIN, end + EXPAND_MARGIN, zone)
            self.each = {}
        lo, hi, _ = self.range
        result = FetchResult()
        current: Each = {}
        for href, res in resources.items():
            cached = self.each.get(href)
            if cached is None or cached[0] != res["etag"] or not res["etag"]:
                cached = (res["etag"], *expand(href, res["ics"], lo, hi, zone))
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
        folder = private_dir("expansions")  # made at the first poll, not at construction
        if folder is None:
            return
        self._path = folder / self._name
        try:
            entry = pickle.loads(self._path.read_bytes())
            if entry["fp"] != self._fp or entry["code"] != code_stamp(CODE):
                return
            lo, hi, zone = entry["range"]
            self.range, self.each = (lo, hi, ZoneInfo(zone)), dict(entry["each"])
        except FileNotFoundError:
            return
        except Exception as e:  # a cache must never cost a poll, whatever is in the file
            log.debug("expansion cache not used (%s)", e)

    def _save(self) -> None:
        if self._path is None or self.range is None:
            return
        lo, hi, zone = self.range
        entry: dict[str, Any] = {"fp": self._fp, "code": code_stamp(CODE),
                                 "range": (lo, hi, zone.key), "each": self.each}
        try:
            write_atomic(self._path, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as e:  # unwritable, full disk: no cache
            log.debug("expansion cache not saved (%s)", e)
