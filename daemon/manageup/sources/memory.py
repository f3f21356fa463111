"""Occurrences held in memory, as vdirsyncer's MemoryStorage: the simplest source that
keeps the Source contract, for tests of everything downstream of the sources.

Not a config type: a config has nowhere to hold the events, so a user could only ever get
an empty calendar from it. Tests build it directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from manageup.errors import SourceError
from manageup.model import Occurrence
from manageup.sources import FetchResult


class MemorySource:
    def __init__(self, occurrences: Iterable[Occurrence] = (), label: str = "memory") -> None:
        self.label = label
        self._occurrences = list(occurrences)
        self._version = 0
        self._fetched_version: int | None = None
        self.error: SourceError | None = None  # raised by fetch while set: an outage
        self.fetches = 0

    def replace(self, occurrences: Iterable[Occurrence]) -> None:
        """The calendar as it is after an edit."""
        self._occurrences = list(occurrences)
        self._version += 1

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        self.fetches += 1
        if self.error is not None:
            raise self.error
        unchanged = self._fetched_version == self._version
        self._fetched_version = self._version
        found = [_in_zone(o, zone) for o in self._occurrences if o.end > start and o.start < end]
        found.sort(key=lambda o: (o.start, o.uid, o.key))
        return FetchResult(found, [], unchanged=unchanged)


def _in_zone(occ: Occurrence, zone: ZoneInfo) -> Occurrence:
    original = occ.original_start.astimezone(zone) if occ.original_start else None
    return replace(occ, start=occ.start.astimezone(zone), end=occ.end.astimezone(zone),
                   original_start=original)
