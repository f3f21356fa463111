"""Google Calendar: events.list with singleEvents over the window, then incremental syncs.

The first poll lists the window in full and keeps Google's nextSyncToken; later polls send
only that token and get only what changed (one call when nothing did). A 410 drops the
state and lists in full again. The state lives in the store, so a restart stays cheap.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from manageup import google
from manageup.errors import SourceError
from manageup.model import Occurrence, Person
from manageup.sources import FetchResult
from manageup.store import Store

if TYPE_CHECKING:
    from manageup.config import Calendar, Config

log = logging.getLogger(__name__)

SKIP_TYPES = {"outOfOffice", "focusTime", "workingLocation"}
PARTSTAT = {"accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE",
            "needsAction": "NEEDS-ACTION"}
MARGIN = timedelta(days=30)  # listed beyond the lookahead, so the window can slide a month


class GoogleSource:
    def __init__(self, cal: Calendar, config: Config, *, http: Any = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.cal = cal
        self.config = config
        self.label = cal.name or f"google:{cal.calendar_id}"
        self.key = f"google:{cal.calendar_id}"
        self._http = http
        self._sleep = sleep
        self._service: Any = None
        self.calls = 0  # API requests made, for tests and the benchmark
        self.readonly = False

    # -- plumbing ------------------------------------------------------------------------

    def service(self) -> Any:
        if self._service is None:
            if self._http is not None:
                self._service = google.build("calendar", "v3", http=self._http)
            else:
                gmail = self.config.delivery.method == "gmail"
                creds = google.load_credentials(google.scopes_for(gmail))
                self._service = google.build("calendar", "v3", credentials=creds)
        return self._service

    def _execute(self, request: Any) -> Any:
        self.calls += 1
        return google.execute(request, self.label, self._sleep)

    def _store(self) -> Store:
        return Store.open(self.config.store.path, readonly=self.readonly)

    # -- fetching ------------------------------------------------------------------------

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        store = self._store()
        try:
            dead = store.flag(google.AUTH_FLAG)
            if dead:
                # Calling again cannot help and only fills Google's logs; the user must act.
                raise google.GoogleAuthError(
                    f"Google sign-in is invalid since {dead[1]:%d %b %H:%M} ({dead[0]}); "
                    f"{google.REAUTH}")
            state = store.sync_state(self.key)
            try:
                state = self._sync(state, start, end)
            except google.GoogleAuthError as e:
                store.set_flag(google.AUTH_FLAG, "invalid_grant", datetime.now(zone))
                raise e
            store.save_sync_state(self.key, state)
        finally:
            store.close()
        return _occurrences(state["events"], start, end, zone, self.label)

    def _sync(self, state: dict[str, Any] | None, start: datetime, end: datetime) \
            -> dict[str, Any]:
        if state and state["token"] and \
                datetime.fromisoformat(state["synced_from"]) <= start and \
                datetime.fromisoformat(state["synced_until"]) >= end:
            try:
                return self._incremental(state)
            except google.Gone:
                log.info("%s: sync token expired (410); listing the calendar in full",
                         self.label)
        return self._full(start, end + MARGIN)

    def _pages(self, **params: Any) -> tuple[list[dict[str, Any]], str]:
        events: list[dict[str, Any]] = []
        token = None
        while True:
            request = self.service().events().list(
                calendarId=self.cal.calendar_id, singleEvents=True, showDeleted=True,
                maxResults=250, pageToken=token, **params)
            page = self._execute(request)
            events.extend(page.get("items", []))
            token = page.get("nextPageToken")
            if not token:  # a page may be empty while more follow; only the token decides
                return events, page.get("nextSyncToken", "")

    def _full(self, start: datetime, until: datetime) -> dict[str, Any]:
        items, token = self._pages(timeMin=start.isoformat(), timeMax=until.isoformat())
        events = {e["id"]: e for e in items if e.get("status") != "cancelled" or "start" in e}
        return {"token": token, "synced_from": start.isoformat(),
                "synced_until": until.isoformat(), "events": events}

    def _incremental(self, state: dict[str, Any]) -> dict[str, Any]:
        items, token = self._pages(syncToken=state["token"])
        events = dict(state["events"])
        for e in items:
            if e.get("status") == "cancelled" and "start" not in e:
                events.pop(e["id"], None)  # a deletion arrives as a bare tombstone
            else:
                events[e["id"]] = e
        return {**state, "token": token or state["token"], "events": events}

    # -- the boss's week -------------------------------------------------------------------

    def boss_week(self, now: datetime, zone: ZoneInfo) -> dict[str, Any] | None:
        """Booked hours this week and the next day with room, from freebusy; None when
        the boss's calendar is not visible to the user."""
        boss = self.config.boss.email
        monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                                microsecond=0)
        until = monday + timedelta(days=7)
        body = {"timeMin": now.isoformat(), "timeMax": until.isoformat(), "items": [{"id": boss}]}
        answer = self._execute(self.service().freebusy().query(body=body))
        cal = answer.get("calendars", {}).get(boss, {})
        if cal.get("errors"):  # e.g. notFound: the error comes inside a 200 answer
            log.info("%s: the boss's calendar is not visible (%s)", self.label,
                     cal["errors"][0].get("reason"))
            return None
        per_day: dict[date, float] = defaultdict(float)
        for b in cal.get("busy", []):
            s = datetime.fromisoformat(b["start"].replace("Z", "+00:00")).astimezone(zone)
            e = datetime.fromisoformat(b["end"].replace("Z", "+00:00")).astimezone(zone)
            per_day[s.date()] += (e - s).total_seconds() / 3600
        hours = round(sum(per_day.values()), 1)
        workdays = [now.date() + timedelta(days=i) for i in range(1, 8)
                    if (now.date() + timedelta(days=i)).weekday() < 5
                    and now.date() + timedelta(days=i) < until.date()]
        room = next((d for d in workdays if per_day.get(d, 0) < 4), None)
        return {"booked_hours": hours, "room_on": room.isoformat() if room else None}


def _when(value: dict[str, Any], zone: ZoneInfo) -> tuple[datetime, bool]:
    if "dateTime" in value:
        dt = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
        return dt.astimezone(zone), False
    d = date.fromisoformat(value["date"])
    return datetime(d.year, d.month, d.day, tzinfo=zone), True


def _person(p: dict[str, Any], organizer: bool = False) -> Person:
    return Person(
        email=str(p.get("email", "")).strip().lower(),
        name=str(p.get("displayName", ""))[:200],
        partstat=PARTSTAT.get(p.get("responseStatus", ""), "ACCEPTED" if organizer
                              else "NEEDS-ACTION"),
        cutype="RESOURCE" if p.get("resource") else "INDIVIDUAL",
        role="CHAIR" if organizer else
        ("OPT-PARTICIPANT" if p.get("optional") else "REQ-PARTICIPANT"),
        is_me=bool(p.get("self")),
    )


def _occurrences(events: dict[str, dict[str, Any]], start: datetime, end: datetime,
                 zone: ZoneInfo, label: str) -> FetchResult:
    result = FetchResult()
    starts: dict[str, list[datetime]] = defaultdict(list)
    for e in events.values():
        # Original start times, so a moved instance does not skew the series' cadence.
        when = e.get("originalStartTime") or e.get("start")
        if e.get("recurringEventId") and when:
            starts[e["recurringEventId"]].append(_when(when, zone)[0])
    cadence = {}
    for series, times in starts.items():
        gaps = [(b - a).total_seconds() / 86400 for a, b in zip(sorted(times),
                                                                 sorted(times)[1:], strict=False)]
        cadence[series] = statistics.median(gaps) if gaps else None
    for e in events.values():
        if e.get("eventType") in SKIP_TYPES:
            continue
        try:
            occ = _occurrence(e, zone, cadence.get(e.get("recurringEventId", "")), label)
        except (KeyError, ValueError, TypeError) as err:
            result.warnings.append(f"{label}: skipped event {e.get('id')}: {err}")
            continue
        if occ.end > start and occ.start < end:
            result.occurrences.append(occ)
    result.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
    return result


def _occurrence(e: dict[str, Any], zone: ZoneInfo, cadence: float | None,
                label: str) -> Occurrence:
    start, all_day = _when(e["start"], zone)
    end = _when(e["end"], zone)[0] if "end" in e else start
    original = _when(e["originalStartTime"], zone)[0] \
        if e.get("recurringEventId") and "originalStartTime" in e else None
    organizer = e.get("organizer")
    attendees = tuple(_person(a, a.get("organizer", False)) for a in e.get("attendees", []))
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
        organizer=_person(organizer, True) if organizer else None,
        attendees=attendees,
        status="CANCELLED" if e.get("status") == "cancelled" else "CONFIRMED",
        all_day=all_day,
        cadence_days=cadence,
        calendar=label,
    )


__all__ = ["GoogleSource", "SourceError"]
