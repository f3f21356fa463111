"""A feed's selected, expanded occurrences kept across processes.

The timer runs a fresh `manageup run --once` every few minutes; without this each one would
read, cut down and expand a 15 MB feed that has not changed. An entry holds everything an
IcsSource keeps in memory between the daemon's cycles (the cut-down feed, the expanded
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
import importlib.util
import logging
import os
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from manageup import __version__
from manageup.cache import private_dir, write_atomic

if TYPE_CHECKING:
    from manageup.sources import FetchResult
    from manageup.sources.ics import IcsSource

log = logging.getLogger(__name__)

FORMAT = 1
# The code an entry's content depends on: a change to any of these makes a new fingerprint.
_CODE = ("manageup.sources", "manageup.sources.ics", "manageup.sources.prefilter",
         "manageup.sources.icsparse", "manageup.sources.recurrence", "manageup.sources.precut",
         "manageup.sources.rawscan", "manageup.sources.icstext", "manageup.sources.precutslow",
         "manageup.model",
         "icalendar", "recurring_ical_events", "x_wr_timezone")


def _code_stamp() -> list[tuple[str, int, int]]:
    stamp = []
    for name in _CODE:
        try:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec else None
            st = os.stat(origin) if origin else None
        except (ImportError, ValueError, OSError):
            st = None
        stamp.append((name, st.st_size, st.st_mtime_ns) if st else (name, 0, 0))
    return stamp


def fingerprint(source: IcsSource) -> str:
    """Every input besides the feed itself that shapes what the source keeps. A config
    section's repr names each of its fields, so a key added later is covered too."""
    c = source.config
    parts = (FORMAT, __version__, repr(source.cal), _code_stamp(),
             None if c is None else (repr(c.me), repr(c.boss), repr(c.detect), c.zone.key))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class FeedCache:
    """The on-disk entry of one calendar; a no-op when there is no cache folder."""

    def __init__(self, source: IcsSource) -> None:
        self.source = source
        self.path: Path | None = None
        self.restored_warnings: list[str] | None = None
        self._warnings: list[str] = []  # those of the expansion the source holds
        self._fp = ""
        self._saved: tuple[Any, ...] = ()
        # Without a config (a library caller) nothing is cut down: no entry for a whole feed.
        folder = private_dir("feeds") if source.config is not None else None
        if folder is not None:
            where = f"path:{source.cal.path}" if source.cal.path else f"url:{source.cal.url}"
            name = hashlib.sha256(where.encode()).hexdigest()[:32]
            self.path = folder / f"{name}.pickle"

    @classmethod
    def attach(cls, source: IcsSource) -> FeedCache:
        """Made on a source's first fetch in a process: restores what an earlier one left."""
        cache = cls(source)
        try:
            cache._restore()
        except Exception as e:  # a cache must never cost a cycle, whatever is in the file
            log.debug("%s: feed cache not used (%s)", source.label, e)
            cache.restored_warnings = None
        return cache

    def _restore(self) -> None:
        if self.path is None:
            return
        self._fp = fingerprint(self.source)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        entry = pickle.loads(raw)
        if not isinstance(entry, dict) or entry.get("fp") != self._fp:
            return
        src = self.source
        stat = None
        if src.cal.path is not None:
            stat = self._same_file(entry, src.cal.path)
            if stat is None:
                return
        lo, hi, zone_key = entry["expanded"]
        state = (dict(entry["validators"]), entry["digest"], entry["reduced"], entry["range"],
                 (lo, hi, ZoneInfo(zone_key), list(entry["occurrences"])))
        self.restored_warnings = list(entry["warnings"])
        self._warnings = self.restored_warnings
        src._stat = stat  # the source's own between-cycles check starts from this file
        src._validators, src._digest, src._reduced, src._range, src._expanded = state
        self._saved = self._state()
        log.debug("%s: reusing %d occurrences from the feed cache", src.label,
                  len(entry["occurrences"]))

    def _same_file(self, entry: dict[str, Any], path: Path) -> tuple[int, int, int] | None:
        """The file's stat signature when its content is the recorded one."""
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_size != entry["size"] or st.st_size > self.source.cal.max_bytes:
                return None
            if hashlib.file_digest(f, "sha256").digest() != entry["digest"]:
                return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _state(self) -> tuple[Any, ...]:
        s = self.source
        return (s._digest, s._reduced is not None and len(s._reduced), s._range,
                s._expanded and s._expanded[:3], sorted(s._validators.items()))

    def after(self, result: FetchResult) -> None:
        """Called with each fetch's result: the restored warnings go with a fetch that reused
        the restored expansion; a new expansion or new validators are saved."""
        if self.restored_warnings is not None:
            if result.unchanged and not result.warnings:
                result.warnings = self.restored_warnings
            self.restored_warnings = None
        if not result.unchanged:
            self._warnings = list(result.warnings)
        if self.path is None or self.source._expanded is None or self._state() == self._saved:
            return
        try:
            self._save()
        except Exception as e:  # unwritable, full disk, an unpicklable value: no cache
            log.debug("%s: feed cache not saved (%s)", self.source.label, e)

    def _save(self) -> None:
        src = self.source
        expanded = src._expanded
        assert self.path is not None and expanded is not None
        lo, hi, zone, occs = expanded
        size = 0
        if src.cal.path is not None:
            if src._stat is None:
                return
            size = src._stat[1]
        entry = {
            "fp": self._fp or fingerprint(src), "size": size, "digest": src._digest,
            "validators": dict(src._validators), "reduced": src._reduced,
            "range": src._range, "expanded": (lo, hi, zone.key), "occurrences": occs,
            "warnings": self._warnings,
        }
        write_atomic(self.path, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
        self._saved = self._state()

