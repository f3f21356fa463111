"""An iCalendar file or http(s) feed as a source: reading it, noticing when it has not
changed, and cutting it down to what may involve the boss before it is parsed."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from manageup.errors import SourceError
from manageup.files import NotAFile, not_a_file, open_file
from manageup.sources import FetchResult
from manageup.sources.ics.feedcache import FeedCache
from manageup.sources.ics.lines import check_lines, readable
from manageup.sources.ics.state import FeedState

if TYPE_CHECKING:  # the prefilter loads only when a feed is read anew, not on a warm cycle
    import urllib.request
    from pathlib import Path

    from manageup.config import Calendar, Config
    from manageup.sources.ics.prefilter import Needles

log = logging.getLogger(__name__)

EXPAND_MARGIN = timedelta(days=1)
REDUCE_MARGIN = timedelta(days=2)  # time zones can move an event's date by a day


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
        self._state = FeedState()
        self._disk: FeedCache | None = None

    # -- reading -------------------------------------------------------------------------

    def _needles(self) -> Needles | None:
        if self.config is None:
            return None
        from manageup.detect import boss_names
        from manageup.sources.ics.prefilter import Needles

        c = self.config
        return Needles(c.boss_addresses, c.detect.title_patterns, boss_names(c),
                       c.detect.max_attendees)

    def read_bytes(self, force: bool = False) -> bytes | None:
        """The feed's bytes, or None when it has not changed since the last read: the same
        file size and mtime, or a 304 from the server."""
        if self.cal.path is not None:
            return self._read_file(self.cal.path, force)
        if force:
            self._state.validators.clear()
        return self._get_url()

    def _read_file(self, path: Path, force: bool) -> bytes | None:
        try:
            st = path.stat()
            what = not_a_file(st.st_mode)
            if what:
                raise NotAFile(what)
            if st.st_size > self.cal.max_bytes:
                raise SourceError(f"{self.label}: {st.st_size} bytes is over the limit of "
                                  f"{self.cal.max_bytes}; raise calendars.max_bytes")
            sig = (st.st_mtime_ns, st.st_size, st.st_ino)
            if sig == self._state.stat and not force:
                return None
            with open_file(path) as f:  # checked again on the open file
                data = f.read(self.cal.max_bytes + 1)
            if len(data) > self.cal.max_bytes:
                raise SourceError(f"{self.label}: over the limit of {self.cal.max_bytes} "
                                  "bytes; raise calendars.max_bytes")
            self._state.stat = sig
            return data
        except FileNotFoundError:
            raise SourceError(f"{self.label}: no file at {path}; check calendars.path") \
                from None
        except NotAFile as e:
            named = self.label if self.label == str(path) else f"{self.label}: {path}"
            raise SourceError(f"{named} {e}, not a file; set calendars.path to an .ics file") \
                from None
        except OSError as e:
            raise SourceError(f"{self.label}: cannot read {path}: {e.strerror}") from None

    def _get_url(self) -> bytes | None:
        from manageup.sources.download import download  # only for a URL feed

        if self._opener is None:
            self._opener = _safe_opener()
        return download(self._opener, self.cal.url, self.label, self.cal.timeout,
                        self.cal.max_bytes, self._state.validators)

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        if self._disk is None:  # first fetch in this process: reuse what an earlier one left
            self._disk = FeedCache(self.cal, self.config)
            self._state = self._disk.restore() or self._state
        result = self._fetch(start, end, zone)
        self._disk.after(result, self._state)
        return result

    def _fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        state = self._state
        data = self.read_bytes()
        if data is not None:
            digest = hashlib.sha256(data).digest()
            if digest != state.digest:  # new content (a server without validators, too)
                state.digest = digest
                state.reduced = None
        lo_day, hi_day = start.date() - REDUCE_MARGIN, end.date() + REDUCE_MARGIN
        if state.reduced is not None and not (state.range[0] <= lo_day and
                                              state.range[1] >= hi_day):
            state.reduced = None  # the window left the range the feed was cut down for
        if state.reduced is None:
            if data is None:
                data = self.read_bytes(force=True)
                assert data is not None
                state.digest = hashlib.sha256(data).digest()
            self._reduce(data, lo_day, hi_day)
        if state.covers(start, end, zone):
            assert state.expanded is not None
            occs = [o for o in state.expanded[3] if o.end > start and o.start < end]
            return FetchResult(occs, [], unchanged=True)
        # Expand a little beyond the window so the next cycles, whose window has slid by a
        # few minutes, only filter.
        lo, hi = start - EXPAND_MARGIN, end + EXPAND_MARGIN
        result = parse_occurrences(state.reduced, lo, hi, zone, calendar=self.label) \
            if state.reduced else FetchResult()
        state.expanded = (lo, hi, zone, result.occurrences)
        occs = [o for o in result.occurrences if o.end > start and o.start < end]
        return FetchResult(occs, state.cut + result.warnings)

    def _reduce(self, data: bytes, lo_day: date, hi_day: date) -> None:
        """The feed cut down to the events that may involve the boss, for a range of dates
        wider than the window, so it holds for weeks of cycles."""
        state = self._state
        data, state.cut = check_lines(readable(data), self.label)
        state.expanded = None
        needles = self._needles()
        if needles is None:
            state.reduced, state.range = data, (date.min, date.max)
            return
        state.range = (lo_day - timedelta(days=7), hi_day + timedelta(days=30))
        # precut drops most events chunk by chunk; select judges the rest exactly.
        from manageup.sources.ics.precut import precut
        from manageup.sources.ics.prefilter import select

        cut = precut(data, needles, since=state.range[0], until=state.range[1])
        state.reduced, kept, seen = select(cut or data, needles, *state.range)
        if seen and not kept:
            state.reduced = b""  # nothing could be a 1:1: nothing to parse
        log.debug("%s: %d of %d events may involve the boss", self.label, kept, seen)


def parse_occurrences(data: bytes | str, start: datetime, end: datetime, zone: ZoneInfo,
                      calendar: str = "") -> FetchResult:
    """parse.parse_occurrences, imported when called: a process that reuses cached
    occurrences never loads icalendar."""
    from manageup.sources.ics import parse

    return parse.parse_occurrences(data, start, end, zone, calendar=calendar)
