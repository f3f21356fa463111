"""A feed's selected, expanded occurrences kept across processes.

The timer runs a fresh `manageup run --once` every few minutes; without this each one would
read, cut down and expand a 15 MB feed that has not changed. An entry holds the FeedState
an IcsSource keeps in memory between the daemon's cycles (the cut-down feed, the expanded
occurrences and the range they cover, the content hash, the HTTP validators), so a fresh
process carries on as if it had been running all along.

An entry is used only when
- it was made under the same fingerprint: the calendar's settings, everything detection
  and the prefilter read (me, boss, detect, the zone) and the code that made it;
- for a file, the feed's SHA-256 is the one recorded: the size is compared first, and the
  hash is always computed, since an edit can keep both size and mtime (mtime granularity,
  `touch -r`, rsync -t); hashing 15 MB costs about 10 ms;
- for a URL, the server answers 304 to the recorded ETag/Last-Modified, or sends a body
  with the recorded hash (the source itself checks both, as it does between cycles).
Whether the window still lies inside the cached range is the source's own check.

Entries are pickles in a private folder (0700, files 0600, written atomically), which only
this user can write; anything that fails to load is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from manageup import __version__
from manageup.cache import code_stamp, private_dir, write_atomic
from manageup.files import open_file
from manageup.sources.ics.state import FeedState

if TYPE_CHECKING:
    from manageup.config import Calendar, Config
    from manageup.sources import FetchResult

log = logging.getLogger(__name__)

FORMAT = 2
# The code an entry's content depends on: a change to any of these makes a new fingerprint.
_CODE = ("manageup.sources", "manageup.sources.ics", "manageup.sources.ics.source",
         "manageup.sources.ics.state", "manageup.sources.ics.lines",
         "manageup.sources.ics.prefilter", "manageup.sources.ics.parse",
         "manageup.sources.ics.salvage", "manageup.sources.ics.thisandfuture",
         "manageup.sources.ics.recurrence", "manageup.sources.ics.precut",
         "manageup.sources.ics.chunkscan", "manageup.sources.ics.plainchunk",
         "manageup.sources.ics.anychunk", "manageup.sources.ics.text", "manageup.model",
         "manageup.sources.ics.thin", "manageup.sources.ics.stale",
         "manageup.sources.ics.asciiforms", "manageup.sources.ics.values", "manageup.titles",
         "manageup.away", "manageup.detect",  # detect: the boss's names the cut looks for
         "icalendar", "recurring_ical_events", "x_wr_timezone")


def fingerprint(cal: Calendar, config: Config | None) -> str:
    """Every input besides the feed itself that shapes what the source keeps. A config
    section's repr names each of its fields, so a key added later is covered too."""
    c = config
    parts = (FORMAT, __version__, repr(cal), code_stamp(_CODE),
             None if c is None else (repr(c.me), repr(c.boss), repr(c.detect), c.zone.key))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _signature(state: FeedState) -> tuple[Any, ...]:
    """What a save would change: an equal one is not written again."""
    return (state.digest, state.reduced is not None and len(state.reduced), state.range,
            state.expanded and state.expanded[:3], sorted(state.validators.items()))


class FeedCache:
    """The on-disk entry of one calendar; a no-op when there is no cache folder."""

    def __init__(self, cal: Calendar, config: Config | None) -> None:
        self.cal, self.config = cal, config
        self.path: Path | None = None
        self.restored_warnings: list[str] | None = None
        self._warnings: list[str] = []  # those of the expansion the source holds
        self._fp = ""
        self._saved: tuple[Any, ...] = ()
        # Without a config (a library caller) nothing is cut down: no entry for a whole feed.
        folder = private_dir("feeds") if config is not None else None
        if folder is not None:
            where = f"path:{cal.path}" if cal.path else f"url:{cal.url}"
            name = hashlib.sha256(where.encode()).hexdigest()[:32]
            self.path = folder / f"{name}.pickle"

    def restore(self) -> FeedState | None:
        """What an earlier process left for this feed, when it still holds; else None."""
        try:
            return self._restore()
        except Exception as e:  # a cache must never cost a cycle, whatever is in the file
            log.debug("%s: feed cache not used (%s)", self.cal.label, e)
            self.restored_warnings = None
            return None

    def _restore(self) -> FeedState | None:
        if self.path is None:
            return None
        self._fp = fingerprint(self.cal, self.config)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        entry = pickle.loads(raw)
        if not isinstance(entry, dict) or entry.get("fp") != self._fp:
            return None
        stat = None
        if self.cal.path is not None:
            stat = self._same_file(entry, self.cal.path)
            if stat is None:
                return None
        lo, hi, zone_key = entry["expanded"]
        state = FeedState(
            validators=dict(entry["validators"]), stat=stat, digest=entry["digest"],
            reduced=entry["reduced"], range=entry["range"],
            expanded=(lo, hi, ZoneInfo(zone_key), list(entry["occurrences"])),
            cut=list(entry["cut"]))
        self.restored_warnings = list(entry["warnings"])
        self._warnings = self.restored_warnings
        self._saved = _signature(state)
        log.debug("%s: reusing %d occurrences from the feed cache", self.cal.label,
                  len(entry["occurrences"]))
        return state

    def _same_file(self, entry: dict[str, Any], path: Path) -> tuple[int, int, int] | None:
        """The file's stat signature when its content is the recorded one: the source's
        own between-cycles check starts from it."""
        with open_file(path) as f:  # a named pipe or device there is a miss, not a wait
            st = os.fstat(f.fileno())
            if st.st_size != entry["size"] or st.st_size > self.cal.max_bytes:
                return None
            if hashlib.file_digest(f, "sha256").digest() != entry["digest"]:
                return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def after(self, result: FetchResult, state: FeedState) -> None:
        """Called with each fetch's result and the state the source keeps: the restored
        warnings go with a fetch that reused the restored expansion; a new expansion or
        new validators are saved."""
        if self.restored_warnings is not None:
            if result.unchanged and not result.warnings:
                result.warnings = self.restored_warnings
            self.restored_warnings = None
        if not result.unchanged:
            self._warnings = list(result.warnings)
        if self.path is None or state.expanded is None or _signature(state) == self._saved:
            return
        try:
            self._save(replace(state))
        except Exception as e:  # unwritable, full disk, an unpicklable value: no cache
            log.debug("%s: feed cache not saved (%s)", self.cal.label, e)

    def _save(self, state: FeedState) -> None:
        assert self.path is not None and state.expanded is not None
        lo, hi, zone, occs = state.expanded
        size = 0
        if self.cal.path is not None:
            if state.stat is None:
                return
            size = state.stat[1]
        entry = {
            "fp": self._fp or fingerprint(self.cal, self.config), "size": size,
            "digest": state.digest, "validators": dict(state.validators),
            "reduced": state.reduced, "range": state.range, "expanded": (lo, hi, zone.key),
            "occurrences": occs, "warnings": self._warnings, "cut": list(state.cut),
        }
        write_atomic(self.path, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
        self._saved = _signature(state)
