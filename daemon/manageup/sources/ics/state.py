"""What an .ics source keeps between cycles, and the feed cache keeps between processes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from manageup.model import Occurrence

# (from, until, zone, the occurrences expanded over that span in that zone)
Expansion = tuple[datetime, datetime, ZoneInfo, list[Occurrence]]


@dataclass
class FeedState:
    """What a feed's reader keeps between reads."""

    validators: dict[str, str] = field(default_factory=dict)  # a URL's ETag, Last-Modified
    stat: tuple[int, int, int] | None = None  # a file's mtime_ns, size and inode when read
    digest: bytes = b""  # SHA-256 of the feed as read
    reduced: bytes | None = None  # the feed cut down to what may involve the boss
    range: tuple[date, date] = (date.min, date.max)  # the dates `reduced` was cut for
    expanded: Expansion | None = None
    cut: list[str] = field(default_factory=list)  # what check_lines cut from the feed

    def covers(self, start: datetime, end: datetime, zone: ZoneInfo) -> bool:
        """The expansion holds every occurrence of [start, end) in `zone`."""
        e = self.expanded
        return e is not None and e[0] <= start and e[1] >= end and e[2] == zone
