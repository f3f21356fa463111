"""iCalendar files and http(s) feeds, expanded with recurring-ical-events."""

from __future__ import annotations

import hashlib
import logging
import urllib.error
import urllib.request
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from manageup.errors import SourceError
from manageup.model import Occurrence, Person
from manageup.sources import FetchResult
from manageup.sources.cache import FeedCache
from manageup.sources.prefilter import Needles, select

if TYPE_CHECKING:
    from manageup.config import Calendar, Config

log = logging.getLogger(__name__)

_CADENCE_DAYS = {"DAILY": 1.0, "WEEKLY": 7.0, "MONTHLY": 30.4, "YEARLY": 365.0}
EXPAND_MARGIN = timedelta(days=1)
REDUCE_MARGIN = timedelta(days=2)  # time zones can move an event's date by a day
MAX_LINE = 1024 * 1024  # one physical line; iCalendar folds at 75 octets
MAX_TEXT = 2000  # characters kept of a title, location or description
# Properties whose breakage makes an event unusable; a broken DESCRIPTION is not one of them.
_VITAL = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}


class _SafeRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s); urllib would also follow ftp://."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:
        if not newurl.lower().startswith(("http://", "https://")):
            raise SourceError(f"{req.full_url} redirects to {newurl!r}; only http(s) is followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class IcsSource:
    def __init__(self, cal: Calendar, config: Config | None = None,
                 opener: urllib.request.OpenerDirector | None = None) -> None:
        self.cal = cal
        self.config = config
        self.label = cal.label
        self._opener = opener or urllib.request.build_opener(_SafeRedirect)
        self._validators: dict[str, str] = {}
        self._stat: tuple[int, int, int] | None = None
        self._digest = b""
        self._reduced: bytes | None = None
        self._range: tuple[date, date] = (date.min, date.max)
        self._expanded: tuple[datetime, datetime, ZoneInfo, list[Occurrence]] | None = None
        self._disk: FeedCache | None = None

    # -- reading -------------------------------------------------------------------------

    def _needles(self) -> Needles | None:
        if self.config is None:
            return None
        from manageup.detect import boss_names

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
        req = urllib.request.Request(self.cal.url, headers={"User-Agent": "manageup"})
        if "etag" in self._validators:
            req.add_header("If-None-Match", self._validators["etag"])
        if "last-modified" in self._validators:
            req.add_header("If-Modified-Since", self._validators["last-modified"])
        try:
            with self._opener.open(req, timeout=self.cal.timeout) as resp:
                data: bytes = resp.read(self.cal.max_bytes + 1)
                if len(data) > self.cal.max_bytes:
                    raise SourceError(f"{self.label}: feed is over {self.cal.max_bytes} bytes; "
                                      "raise calendars.max_bytes if it is really that big")
                for h in ("etag", "last-modified"):
                    if resp.headers.get(h):
                        self._validators[h] = resp.headers[h]
                return data
        except urllib.error.HTTPError as e:
            if e.code == 304:
                return None
            raise SourceError(f"{self.label}: the server answered {e.code} {e.reason}; "
                              "check calendars.url") from None
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise SourceError(f"{self.label}: cannot fetch {self.cal.url} ({reason}); "
                              "check the address and your connection") from None

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
            check_lines(data, self.label)
            needles = self._needles()
            if needles is not None:
                # Cut for a range wider than the window, so it holds for weeks of cycles.
                self._range = (lo_day - timedelta(days=7), hi_day + timedelta(days=30))
                self._reduced, kept, seen = select(data, needles, *self._range)
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
        result = parse_occurrences(self._reduced, lo, hi, zone, calendar=self.label)
        self._expanded = (lo, hi, zone, result.occurrences)
        occs = [o for o in result.occurrences if o.end > start and o.start < end]
        return FetchResult(occs, result.warnings)


# -- parsing -----------------------------------------------------------------------------


def check_lines(raw: bytes, calendar: str) -> None:
    """Refuse a feed with absurd physical lines. Checked on the raw bytes: once folded
    lines are joined, one huge but legal SUMMARY would otherwise refuse the whole feed."""
    longest = max(map(len, raw.split(b"\n")), default=0)
    if longest > MAX_LINE:
        raise SourceError(f"{calendar or 'calendar'}: a line of {longest} bytes; this is not a "
                          "calendar feed manageup will read")


def parse_occurrences(data: bytes | str, start: datetime, end: datetime, zone: ZoneInfo,
                      calendar: str = "") -> FetchResult:
    """All occurrences overlapping [start, end), in `zone`. Broken events are skipped by UID."""
    # Imported here: a process that reuses cached occurrences never pays for them.
    import icalendar
    import recurring_ical_events

    result = FetchResult()
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as e:  # icalendar raises ValueError, but also others on odd input
        raise SourceError(f"{calendar or 'calendar'}: not an iCalendar file ({e})") from None
    if isinstance(cal, list):  # several VCALENDARs concatenated
        merged = icalendar.Calendar()
        for c in cal:
            merged.subcomponents.extend(c.subcomponents)
            for k, v in c.items():
                merged.setdefault(k, v)
        cal = merged

    events_by_uid: dict[str, list[Any]] = defaultdict(list)
    keep: list[Any] = []
    for comp in cal.subcomponents:
        if comp.name != "VEVENT":
            keep.append(comp)
            continue
        uid = str(comp.get("UID", "")).strip()
        problem = _problem(comp)
        if problem:
            msg = f"{calendar}: skipped event {uid or '(no UID)'}: {problem}"
            result.warnings.append(msg)
            continue
        events_by_uid[uid].append(comp)
    series = {uid for uid, comps in events_by_uid.items()
              if len(comps) > 1 or any(("RRULE" in c or "RDATE" in c) for c in comps)}
    cadence = {uid: _cadence(comps) for uid, comps in events_by_uid.items()}

    dense = {uid for uid, comps in events_by_uid.items() if any(_dense(c) for c in comps)}
    cal.subcomponents = keep + [c for uid, comps in events_by_uid.items() if uid not in dense
                                for c in comps]
    try:
        found = list(recurring_ical_events.of(cal, skip_bad_series=True).between(start, end))
    except Exception:  # the library raises many types; find the culprit series by series
        found = []
        for uid, comps in events_by_uid.items():
            if uid not in dense:
                found.extend(_expand_one(keep, comps, uid, start, end, calendar, result))
    for uid in dense:
        # Expanding FREQ=SECONDLY with no end takes minutes and gigabytes, even lazily;
        # no 1:1 recurs more often than daily, so such a series is not read at all.
        result.warnings.append(f"{calendar}: skipped event {uid}: it recurs more often than "
                               "daily, which no 1:1 does")

    for ev in found:
        uid = str(ev.get("UID", "")).strip()
        try:
            result.occurrences.append(_occurrence(ev, zone, uid in series, cadence.get(uid),
                                                  calendar))
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            result.warnings.append(f"{calendar}: skipped event {uid}: {e}")
    result.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
    for w in result.warnings:
        log.warning("%s", w)
    return result


def _rules(comp: Any) -> list[Any]:
    """RRULE values; several RRULE lines (old but legal) come back from icalendar as a list."""
    rule = comp.get("RRULE")
    rules = rule if isinstance(rule, list) else [rule] if rule else []
    return [r for r in rules if hasattr(r, "get")]


def _dense(comp: Any) -> bool:
    """Could this series recur more than once a day?"""
    for rule in _rules(comp):
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        if freq in ("SECONDLY", "MINUTELY", "HOURLY") or any(
                k in rule for k in ("BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS")):
            return True
    return False


def _expand_one(keep: list[Any], comps: list[Any], uid: str, start: datetime, end: datetime,
                calendar: str, result: FetchResult) -> list[Any]:
    import icalendar
    import recurring_ical_events

    one = icalendar.Calendar()
    one.subcomponents = keep + comps
    try:
        return list(recurring_ical_events.of(one).between(start, end))
    except Exception as e:  # one broken series must not cost the rest of the calendar
        result.warnings.append(f"{calendar}: skipped event {uid}: cannot expand ({e})")
        return []


def _problem(comp: Any) -> str:
    for prop in ("UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "SUMMARY", "STATUS"):
        if isinstance(comp.get(prop), list):
            return f"{prop} given more than once"
    if not str(comp.get("UID", "")).strip():
        return "no UID"
    if "DTSTART" not in comp:
        return "no DTSTART"
    for prop, err in getattr(comp, "errors", []) or []:
        if prop in _VITAL:
            return f"bad {prop} ({err})"
    for prop in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        if prop in comp:
            try:
                comp.decoded(prop)
            except Exception as e:  # a broken property in one event skips that event
                return f"bad {prop} ({e})"
    return ""


def _cadence(comps: list[Any]) -> float | None:
    for c in comps:
        for rule in _rules(c)[:1]:
            freq = (rule.get("FREQ") or [""])[0]
            try:
                interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
            except (TypeError, ValueError):
                return None
            days = _CADENCE_DAYS.get(str(freq).upper())
            if days is None:
                return None
            byday = rule.get("BYDAY") or []
            if str(freq).upper() == "WEEKLY" and len(byday) > 1:
                days = days / len(byday)
            return days * interval
    return None


def _aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=zone)
    if value.tzinfo is None:  # floating time: the user's own wall clock
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


def _person(prop: Any, is_org: bool = False) -> Person | None:
    text = str(prop).strip()
    email = text[7:] if text.lower().startswith("mailto:") else text
    email = "".join(email.split()).lower()
    if not email:
        return None
    params = getattr(prop, "params", {})
    return Person(
        email=email,
        name=_clean(str(params.get("CN", ""))),
        partstat=str(params.get("PARTSTAT", "ACCEPTED" if is_org else "NEEDS-ACTION")).upper(),
        cutype=str(params.get("CUTYPE", "INDIVIDUAL")).upper(),
        role=str(params.get("ROLE", "CHAIR" if is_org else "REQ-PARTICIPANT")).upper(),
    )


def _clean(text: str) -> str:
    return _clip(text.strip().strip('"'), 200)


def _clip(value: Any, limit: int = MAX_TEXT) -> str:
    text = str(value).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _occurrence(ev: Any, zone: ZoneInfo, in_series: bool, cadence: float | None,
                calendar: str) -> Occurrence:
    raw_start = ev.decoded("DTSTART")
    all_day = not isinstance(raw_start, datetime)
    start = _aware(raw_start, zone)
    if "DTEND" in ev:
        end = _aware(ev.decoded("DTEND"), zone)
    elif "DURATION" in ev:
        end = start + ev.decoded("DURATION")
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(0))
    original = None
    if in_series and "RECURRENCE-ID" in ev:
        original = _aware(ev.decoded("RECURRENCE-ID"), zone)
    attendees_raw = ev.get("ATTENDEE", [])
    if not isinstance(attendees_raw, list):
        attendees_raw = [attendees_raw]
    attendees = tuple(p for p in (_person(a) for a in attendees_raw) if p)
    organizer = _person(ev["ORGANIZER"], is_org=True) if "ORGANIZER" in ev else None
    return Occurrence(
        uid=str(ev.get("UID", "")).strip(),
        start=start,
        end=end,
        title=_clip(ev.get("SUMMARY", "")),
        original_start=original,
        location=_clip(ev.get("LOCATION", "")),
        description=_clip(ev.get("DESCRIPTION", "")),
        url=_clip(ev.get("URL", "")),
        organizer=organizer,
        attendees=attendees,
        status=str(ev.get("STATUS", "CONFIRMED")).upper(),
        all_day=all_day,
        cadence_days=cadence,
        calendar=calendar,
    )
