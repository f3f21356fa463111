"""Google Calendar: events.list with singleEvents over the window, then incremental syncs.

The first poll lists the window in full and keeps Google's nextSyncToken; later polls send
only that token and get only what changed (one call when nothing did). A 410 drops the
state and lists in full again. The state lives in the store, so a restart stays cheap.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from manageup.accounts import GOOGLE, Guard, google
from manageup.errors import SourceError, SyncTokenExpired
from manageup.model import BossWeek, Occurrence, Person, address, cadence_days
from manageup.sources import (
    Check,
    FetchResult,
    KeepsSyncState,
    ReportsHealth,
    SeesBossWeek,
    StateStore,
    fetch_read_only,
    state_covers,
)

if TYPE_CHECKING:
    import httplib2
    from googleapiclient.discovery import Resource
    from googleapiclient.http import HttpRequest

    from manageup.config import Calendar, Config

log = logging.getLogger(__name__)

# Entries that are not meetings, whatever their title says (eventType in the Events
# reference, developers.google.com/calendar/api/v3/reference/events). "outOfOffice" is
# read: it is the user's absence (away.py), shown as Graph's "oof".
SKIP_TYPES = {"focusTime", "workingLocation"}
PARTSTAT = {"accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE",
            "needsAction": "NEEDS-ACTION"}
# What malformed JSON raises when read as an event: a field missing, null, of another type,
# or a time out of range. One such event is a warning; the calendar is still read.
MALFORMED = (KeyError, ValueError, TypeError, AttributeError, OverflowError)
PAGE_SIZE = 2500  # Google's largest page: a first listing of a busy year in one or two calls
MARGIN = timedelta(days=30)  # listed beyond the lookahead, so the window can slide a month


class GoogleSource(KeepsSyncState, SeesBossWeek, ReportsHealth):
    def __init__(self, cal: Calendar, config: Config, *, http: httplib2.Http | None = None,
                 transport: httplib2.Http | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """`http` is already signed in (tests); otherwise the sign-in comes from the keyring
        and `transport` is the HTTP beneath it (tests pass a mock)."""
        self.cal = cal
        self.config = config
        self.label = cal.name or f"google:{cal.calendar_id}"
        self.key = f"google:{cal.calendar_id}"
        # The signed-in account's own calendar, where Google's `self` marks the user; on a
        # calendar shared with them (the boss's) it marks that calendar's owner.
        self.own = cal.calendar_id == "primary" or \
            address(cal.calendar_id) in config.me_addresses
        self._http = http
        self._sleep = sleep
        self._service: Resource | None = None
        gmail = config.delivery.method == "gmail"
        self._session = google.Session(google.scopes_for(gmail), transport)
        # Signed in again after the sign-in died: nothing of the old sign-in is kept.
        self._guard = Guard(GOOGLE, self._session.reset)
        self._state: dict[str, Any] | None = None  # the last state seen, for read-only runs
        self._skipped: list[str] = []  # events of the last fetch dropped as unreadable
        self.calls = 0  # API requests made, for tests and the benchmark

    # -- plumbing ------------------------------------------------------------------------

    def service(self) -> Resource:
        if self._http is None:
            return self._session.service("calendar", "v3")
        if self._service is None:
            self._service = google.build("calendar", "v3", http=self._http)
        return self._service

    def _execute(self, request: HttpRequest) -> dict[str, Any]:
        self.calls += 1
        return google.execute(request, self.label, self._sleep)

    def health(self, env: Mapping[str, str]) -> list[Check]:
        """The sign-in, for `doctor`; with Gmail delivery its delivery line says it."""
        if self.config.delivery.method == "gmail":
            return []
        return [google.check(self.config.store.path, env, gmail=False)]

    # -- fetching ------------------------------------------------------------------------

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        return fetch_read_only(self, self.config.store.path, start, end, zone)

    def fetch_synced(self, start: datetime, end: datetime, zone: ZoneInfo, *,
                     store: StateStore, now: datetime, readonly: bool) -> FetchResult:
        with self._guard.reading(store, now, readonly):
            self._skipped = []
            stored = store.sync_state(self.key)
            usable = stored if _usable(stored) else None
            if stored is not None and usable is None:
                log.warning("%s: the saved sync state is damaged; listing the calendar in "
                            "full", self.label)
            # Read-only runs never save, so they carry their state from one fetch to the next.
            state = (self._state or usable) if readonly else usable
            state, changed = self._sync(state, start, end)
        self._state = state
        if not readonly:
            if state != stored:
                store.save_sync_state(self.key, state)
            self._session.keep_refreshed()
        result = _occurrences(state["events"], start, end, zone, self.label, self.own)
        result.warnings[:0] = self._skipped
        result.unchanged = not changed
        return result

    def _sync(self, state: dict[str, Any] | None, start: datetime, end: datetime) \
            -> tuple[dict[str, Any], bool]:
        """The new state, and whether anything in it changed."""
        if state_covers(state, start, end):
            try:
                return self._incremental(state)
            except SyncTokenExpired:
                log.info("%s: sync token expired (410); listing the calendar in full",
                         self.label)
        return self._full(start, end + MARGIN), True

    def _pages(self, **params: Any) -> tuple[list[dict[str, Any]], str]:
        events: list[dict[str, Any]] = []
        token = None
        seen: set[str] = set()
        while True:
            request = self.service().events().list(
                calendarId=self.cal.calendar_id, singleEvents=True, showDeleted=True,
                maxResults=PAGE_SIZE, pageToken=token, **params)
            page = self._execute(request)
            items = page.get("items", [])
            if not isinstance(items, list):
                raise SourceError(f"{self.label}: Google's answer has no list of events "
                                  f"(items: {type(items).__name__}); tried again next cycle")
            events.extend(self._readable(items))
            token = page.get("nextPageToken")
            if not token:  # a page may be empty while more follow; only the token decides
                return events, str(page.get("nextSyncToken") or "")
            if not isinstance(token, str) or token in seen:
                # Following it would list the same pages for ever.
                raise SourceError(f"{self.label}: Google sent a page token it had sent "
                                  "before; the listing stopped; tried again next cycle")
            seen.add(token)

    def _readable(self, items: list[Any]) -> list[dict[str, Any]]:
        """The items that are events with an id; the others are noted and left out."""
        out = []
        for e in items:
            if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"]:
                out.append(e)
            else:
                what = f"{e.get('summary', '')!r} " if isinstance(e, dict) else ""
                self._skipped.append(f"{self.label}: skipped an event {what}without an id")
        return out

    def _full(self, start: datetime, until: datetime) -> dict[str, Any]:
        window = {"timeMin": start.isoformat(), "timeMax": until.isoformat()}
        try:
            items, token = self._pages(**window)
        except SyncTokenExpired:
            # The page token of a long listing expired between pages: start it over once.
            log.info("%s: Google restarted the listing (410); listing again", self.label)
            items, token = self._pages(**window)
        # A cancelled instance of a series stays (history counts it); a bare tombstone goes.
        events = {e["id"]: e for e in items if e.get("status") != "cancelled"
                  or "start" in e or "originalStartTime" in e}
        return {"token": token, "synced_from": start.isoformat(),
                "synced_until": until.isoformat(), "events": events}

    def _incremental(self, state: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        items, token = self._pages(syncToken=state["token"])
        events = dict(state["events"])
        window = (datetime.fromisoformat(state["synced_from"]),
                  datetime.fromisoformat(state["synced_until"]))
        for e in items:
            known = events.get(e["id"])
            if known is None and not _within(e, *window):
                # Editing a long series returns every instance, years ahead: the state
                # keeps only the window it listed.
                continue
            if e.get("status") != "cancelled" or "start" in e:
                events[e["id"]] = e
            elif "originalStartTime" in e:
                # An instance cancelled since: the stub keeps only its identity, so the
                # title and people it had are kept for the history.
                events[e["id"]] = {**known, **e} if known else e
            else:
                events.pop(e["id"], None)  # a deletion arrives as a bare tombstone
        return {**state, "token": token or state["token"], "events": events}, bool(items)

    # -- the boss's week -------------------------------------------------------------------

    def boss_week(self, now: datetime, zone: ZoneInfo) -> BossWeek | None:
        """Booked hours this week and the next day with room, from freebusy; None when
        the boss's calendar is not visible to the user."""
        boss = self.config.boss.email
        monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                                microsecond=0)
        until = monday + timedelta(days=7)
        body = {"timeMin": now.isoformat(), "timeMax": until.isoformat(), "items": [{"id": boss}]}
        answer = self._execute(self.service().freebusy().query(body=body))
        try:
            cal = answer.get("calendars", {}).get(boss, {})
            if cal.get("errors"):  # e.g. notFound: the error comes inside a 200 answer
                log.info("%s: the boss's calendar is not visible (%s)", self.label,
                         cal["errors"][0].get("reason"))
                return None
            per_day: dict[date, float] = defaultdict(float)
            for b in cal.get("busy", []):
                s = _when({"dateTime": b["start"]}, zone)[0]
                e = _when({"dateTime": b["end"]}, zone)[0]
                per_day[s.date()] += (e - s).total_seconds() / 3600
        except MALFORMED as err:  # an optional section: never in the way of the digest
            log.warning("%s: the boss's free/busy answer is unreadable (%s: %s)", self.label,
                        err.__class__.__name__, err)
            return None
        hours = round(sum(per_day.values()), 1)
        workdays = [now.date() + timedelta(days=i) for i in range(1, 8)
                    if (now.date() + timedelta(days=i)).weekday() < 5
                    and now.date() + timedelta(days=i) < until.date()]
        room = next((d for d in workdays if per_day.get(d, 0) < 4), None)
        return BossWeek(hours, room)


def _usable(state: dict[str, Any] | None) -> bool:
    """Is this the state _full and _incremental write? It also arrives through `manageup
    import` and from older stores."""
    if not isinstance(state, dict) or not isinstance(state.get("events"), dict):
        return False
    try:
        for key in ("synced_from", "synced_until"):
            if datetime.fromisoformat(state[key]).tzinfo is None:
                return False
    except MALFORMED:
        return False
    return all(isinstance(e, dict) and e.get("id") == k for k, e in state["events"].items())


def _when(value: dict[str, Any], zone: ZoneInfo) -> tuple[datetime, bool]:
    """Raises one of MALFORMED for anything that is not a time Google would send."""
    if "dateTime" in value:
        dt = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
        if dt.tzinfo is None:  # RFC 3339 requires an offset; Google sends one
            if not value.get("timeZone"):
                raise ValueError(f"dateTime {value['dateTime']!r} has no offset")
            dt = dt.replace(tzinfo=ZoneInfo(value["timeZone"]))
        return dt.astimezone(zone), False
    d = date.fromisoformat(value["date"])
    return datetime(d.year, d.month, d.day, tzinfo=zone), True


def _person(p: dict[str, Any], own: bool, organizer: bool = False) -> Person:
    return Person(
        email=address(str(p.get("email", ""))),
        name=str(p.get("displayName", ""))[:200],
        partstat=PARTSTAT.get(p.get("responseStatus", ""), "ACCEPTED" if organizer
                              else "NEEDS-ACTION"),
        cutype="RESOURCE" if p.get("resource") else "INDIVIDUAL",
        role="CHAIR" if organizer else
        ("OPT-PARTICIPANT" if p.get("optional") else "REQ-PARTICIPANT"),
        # `self` marks the calendar this copy sits on: the user only on their own calendar.
        is_me=own and bool(p.get("self")),
    )


def _occurrences(events: dict[str, dict[str, Any]], start: datetime, end: datetime,
                 zone: ZoneInfo, label: str, own: bool) -> FetchResult:
    """`own`: the calendar is the user's (see GoogleSource.own)."""
    result = FetchResult()
    starts: dict[str, list[datetime]] = defaultdict(list)
    for e in events.values():
        # Original start times, so a moved instance does not skew the series' cadence.
        when = e.get("originalStartTime") or e.get("start")
        if e.get("recurringEventId") and when:
            try:
                starts[e["recurringEventId"]].append(_when(when, zone)[0])
            except MALFORMED:
                continue  # warned about below, when the event itself is read
    cadence = {series: cadence_days(times) for series, times in starts.items()}
    for e in _filled(events).values():
        if e.get("eventType") in SKIP_TYPES:
            continue
        try:
            occ = _occurrence(e, zone, cadence.get(e.get("recurringEventId", "")), label, own)
        except MALFORMED as err:
            result.warnings.append(f"{label}: skipped event {e.get('id')}: "
                                   f"{err.__class__.__name__}: {err}")
            continue
        if occ.end > start and occ.start < end:
            result.occurrences.append(occ)
    result.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
    return result


def _within(e: dict[str, Any], start: datetime, until: datetime) -> bool:
    """Does this event (or cancelled stub) overlap [start, until), as timeMin and timeMax
    select? When that cannot be told, keep it."""
    when = e.get("start") or e.get("originalStartTime")
    if not when:
        return True
    try:
        utc = ZoneInfo("UTC")
        begin = _when(when, utc)[0]
        end = _when(e["end"], utc)[0] if "end" in e else begin
    except MALFORMED:
        return True
    return end > start and begin < until


def _filled(events: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Cancelled-instance stubs (only id, status, recurringEventId, originalStartTime)
    completed from another instance of their series, so the history can count them; a stub
    whose series is not known at all is left out."""
    siblings: dict[str, dict[str, Any]] = {}
    for e in events.values():
        if e.get("recurringEventId") and "start" in e:
            siblings.setdefault(e["recurringEventId"], e)
    out = {}
    for ident, e in events.items():
        if "start" not in e:
            sibling = siblings.get(e.get("recurringEventId", ""))
            if sibling is None or "originalStartTime" not in e:
                continue
            try:
                end = _shifted_end(sibling, e["originalStartTime"])
            except MALFORMED:
                end = e["originalStartTime"]  # the stub is read (and warned about) later
            e = {**sibling, **e, "start": e["originalStartTime"], "end": end}
        out[ident] = e
    return out


def _shifted_end(sibling: dict[str, Any], start: dict[str, Any]) -> dict[str, Any]:
    """The end of an instance starting at `start`, as long as its sibling."""
    if "dateTime" not in start or "dateTime" not in sibling.get("start", {}) \
            or "dateTime" not in sibling.get("end", {}):
        return start
    length = (datetime.fromisoformat(sibling["end"]["dateTime"].replace("Z", "+00:00"))
              - datetime.fromisoformat(sibling["start"]["dateTime"].replace("Z", "+00:00")))
    begin = datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00"))
    return {"dateTime": (begin + length).isoformat()}


def _occurrence(e: dict[str, Any], zone: ZoneInfo, cadence: float | None,
                label: str, own: bool) -> Occurrence:
    start, all_day = _when(e["start"], zone)
    end = _when(e["end"], zone)[0] if "end" in e else start
    original = _when(e["originalStartTime"], zone)[0] \
        if e.get("recurringEventId") and "originalStartTime" in e else None
    organizer = e.get("organizer")
    attendees = tuple(_person(a, own, a.get("organizer", False))
                      for a in e.get("attendees", []))
    video = next((p.get("uri", "") for p in e.get("conferenceData", {}).get("entryPoints", [])
                  if p.get("entryPointType") == "video"), "")
    return Occurrence(
        uid=e.get("iCalUID") or e["id"],
        start=start,
        end=end,
        title=str(e.get("summary", ""))[:2000],
        original_start=original,
        location=str(e.get("location", ""))[:2000],
        description=str(e.get("description", ""))[:2000],
        url=e.get("hangoutLink") or video,
        organizer=_person(organizer, own, True) if organizer else None,
        attendees=attendees,
        status="CANCELLED" if e.get("status") == "cancelled" else "CONFIRMED",
        all_day=all_day,
        cadence_days=cadence,
        calendar=label,
        attendees_omitted=bool(e.get("attendeesOmitted")),
        show_as="oof" if e.get("eventType") == "outOfOffice" else
        "free" if e.get("transparency") == "transparent" else "busy",
    )


__all__ = ["GoogleSource", "SourceError"]
