"""iCalendar files and http(s) feeds: reading, change detection and the fast path.

Parsing and expansion live in icsparse.py and recurrence.py."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from manageup.errors import SourceError
from manageup.model import Occurrence
from manageup.sources import FetchResult, line_ends
from manageup.sources.cache import FeedCache

if TYPE_CHECKING:  # the prefilter loads only when a feed is read anew, not on a warm cycle
    import urllib.request

    from manageup.config import Calendar, Config
    from manageup.sources.prefilter import Needles

log = logging.getLogger(__name__)

EXPAND_MARGIN = timedelta(days=1)
REDUCE_MARGIN = timedelta(days=2)  # time zones can move an event's date by a day
MAX_LINE = 1024 * 1024  # one physical line; iCalendar folds at 75 octets


def _safe_opener() -> urllib.request.OpenerDirector:
    """Built for a URL feed only: a file feed never loads http and ssl."""
    import urllib.request

    class SafeRedirect(urllib.request.HTTPRedirectHandler):
        """Follow redirects only to http(s); urllib would also follow ftp://."""

        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                             newurl: str) -> Any:
            if not newurl.lower().startswith(("http://", "https://")):
                raise SourceError(f"{req.full_url} redirects to {newurl!r}; only http(s) is "
                                  "followed")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(SafeRedirect)


class IcsSource:
    def __init__(self, cal: Calendar, config: Config | None = None,
                 opener: urllib.request.OpenerDirector | None = None) -> None:
        self.cal = cal
        self.config = config
        self.label = cal.label
        self._opener = opener
        self._validators: dict[str, str] = {}
        self._stat: tuple[int, int, int] | None = None
        self._digest = b""
        self._reduced: bytes | None = None
        self._range: tuple[date, date] = (date.min, date.max)
        self._expanded: tuple[datetime, datetime, ZoneInfo, list[Occurrence]] | None = None
        self._disk: FeedCache | None = None
        self._cut: list[str] = []  # what check_lines cut from the current feed

    # -- reading -------------------------------------------------------------------------

    def _needles(self) -> Needles | None:
        if self.config is None:
            return None
        from manageup.detect import boss_names
        from manageup.sources.prefilter import Needles

        c = self.config
        return Needles(c.boss_addresses, c.detect.title_patterns, boss_names(c),
                       c.detect.max_attendees)

    def read_bytes(self, force: bool = False) -> bytes | None:
        """The feed's bytes, or None when it has not changed since the last read: the same
        file size and mtime, or a 304 from the server."""
        if self.cal.path is not None:
            try:
                st = self.cal.path.stat()
                if st.st_size > self.cal.max_bytes:
                    raise SourceError(f"{self.label}: {st.st_size} bytes is over the limit of "
                                      f"{self.cal.max_bytes}; raise calendars.max_bytes")
                sig = (st.st_mtime_ns, st.st_size, st.st_ino)
                if sig == self._stat and not force:
                    return None
                data = self.cal.path.read_bytes()
                self._stat = sig
                return data
            except FileNotFoundError:
                raise SourceError(f"{self.label}: no file at {self.cal.path}; "
                                  "check calendars.path") from None
            except OSError as e:
                raise SourceError(f"{self.label}: cannot read {self.cal.path}: {e.strerror}") \
                    from None
        if force:
            self._validators.clear()
        return self._get_url()

    def _get_url(self) -> bytes | None:
        from manageup.sources.download import download  # only for a URL feed

        if self._opener is None:
            self._opener = _safe_opener()
        return download(self._opener, self.cal.url, self.label, self.cal.timeout,
                        self.cal.max_bytes, self._validators)

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        if self._disk is None:  # first fetch in this process: reuse what an earlier one left
            self._disk = FeedCache.attach(self)
        result = self._fetch(start, end, zone)
        self._disk.after(result)
        return result

    def _fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        data = self.read_bytes()
        if data is not None:
            digest = hashlib.sha256(data).digest()
            if digest != self._digest:  # new content (a server without validators, too)
                self._digest = digest
                self._reduced = None
        lo_day, hi_day = start.date() - REDUCE_MARGIN, end.date() + REDUCE_MARGIN
        if self._reduced is not None and not (self._range[0] <= lo_day and
                                              self._range[1] >= hi_day):
            self._reduced = None  # the window left the range the feed was cut down for
        if self._reduced is None:
            if data is None:
                data = self.read_bytes(force=True)
                assert data is not None
                self._digest = hashlib.sha256(data).digest()
            data, self._cut = check_lines(line_ends(data), self.label)
            needles = self._needles()
            if needles is not None:
                # Cut for a range wider than the window, so it holds for weeks of cycles.
                self._range = (lo_day - timedelta(days=7), hi_day + timedelta(days=30))
                # precut drops most events chunk by chunk; select judges the rest exactly.
                from manageup.sources.precut import precut
                from manageup.sources.prefilter import select

                cut = precut(data, needles, since=self._range[0], until=self._range[1])
                self._reduced, kept, seen = select(cut or data, needles, *self._range)
                if seen and not kept:
                    self._reduced = b""  # nothing could be a 1:1: nothing to parse
                log.debug("%s: %d of %d events may involve the boss", self.label, kept, seen)
            else:
                self._reduced = data
                self._range = (date.min, date.max)
            self._expanded = None
        cached = self._expanded
        if cached and cached[0] <= start and cached[1] >= end and cached[2] == zone:
            occs = [o for o in cached[3] if o.end > start and o.start < end]
            return FetchResult(occs, [], unchanged=True)
        # Expand a little beyond the window so the next cycles, whose window has slid by a
        # few minutes, only filter.
        lo, hi = start - EXPAND_MARGIN, end + EXPAND_MARGIN
        result = parse_occurrences(self._reduced, lo, hi, zone, calendar=self.label) \
            if self._reduced else FetchResult()
        self._expanded = (lo, hi, zone, result.occurrences)
        occs = [o for o in result.occurrences if o.end > start and o.start < end]
        return FetchResult(occs, self._cut + result.warnings)


# -- checks on the raw bytes ------------------------------------------------------------


def _longest_line_over(raw: bytes, limit: int) -> int:
    """The longest line longer than `limit` (0 if none), without splitting the feed into
    lines: such a line covers a whole aligned window of limit // 2 bytes with no newline,
    so only the windows without one are looked at."""
    half = max(limit // 2, 1)
    longest, k = 0, 0
    while k + half <= len(raw):
        if raw.find(b"\n", k, k + half) >= 0:
            k += half
            continue
        start = raw.rfind(b"\n", 0, k) + 1
        end = raw.find(b"\n", k)
        end = len(raw) if end < 0 else end
        longest = max(longest, end - start)
        k = end + 1
    return longest if longest > limit else 0


def check_lines(raw: bytes, calendar: str) -> tuple[bytes, list[str]]:
    """Cut absurd physical lines out of a feed (a stranger's invite can carry megabytes):
    the event holding one is skipped and named by UID, a line outside any event is
    dropped alone. Checked on the raw bytes: once folded lines are joined, one huge but
    legal SUMMARY would otherwise cost its event."""
    if not _longest_line_over(raw, MAX_LINE):
        return raw, []
    from manageup.sources.icstext import _line_end, uid_in

    low = raw.lower()
    cuts, warnings = [], []
    pos = 0
    while pos < len(raw):
        nl = raw.find(b"\n", pos)
        end = len(raw) if nl < 0 else nl + 1
        size = len(raw[pos:end].rstrip(b"\r\n"))
        if size > MAX_LINE:
            begin = low.rfind(b"begin:vevent", 0, pos)
            closed = low.rfind(b"end:vevent", 0, pos)
            stop = low.find(b"end:vevent", end)
            if begin >= 0 and closed < begin and stop >= 0:
                stop = _line_end(low, stop)
                uid = uid_in(low, begin, pos) or uid_in(low, end, stop) or "(no UID)"
                warnings.append(f"{calendar}: skipped event {uid}: a line of {size} bytes")
                cuts.append((begin, stop))
                end = stop
            else:
                warnings.append(f"{calendar}: skipped a line of {size} bytes outside any "
                                "event")
                cuts.append((pos, end))
        pos = end
    parts, last = [], 0
    for a, b in cuts:
        parts.append(raw[last:a])
        last = b
    parts.append(raw[last:])
    return b"".join(parts), warnings


def parse_occurrences(data: bytes | str, start: datetime, end: datetime, zone: ZoneInfo,
                      calendar: str = "") -> FetchResult:
    """icsparse.parse_occurrences, imported when called: a process that reuses cached
    occurrences never loads icalendar."""
    from manageup.sources import icsparse

    return icsparse.parse_occurrences(data, start, end, zone, calendar=calendar)


__all__ = ["IcsSource", "check_lines", "parse_occurrences"]
