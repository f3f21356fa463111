"""One calendar, written once as data and rendered into each source kind's native form:
Occurrences (memory), an .ics feed (file, URL, CalDAV), events.list answers (Google).

The shared contract suite (test_source_contract.py) reads every kind through it, so a new
kind needs only a renderer here (or reuse of the .ics one) and a fixture there. Every event
could be a 1:1 with the boss: the .ics fast path may leave out others, by design.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from manageup.model import Occurrence, Person

ZONE = ZoneInfo("Europe/Berlin")
ME, BOSS = "alex@example.com", "sam@example.com"


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


@dataclass(frozen=True)
class Event:
    """A one-off event, or one instance of the series (then `original` is set)."""

    uid: str
    title: str
    start: datetime
    minutes: int = 30
    my_partstat: str = "ACCEPTED"
    cancelled: bool = False
    original: datetime | None = None
    others: tuple[str, ...] = ()  # further attendees beside the boss and me

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


SERIES_UID = "weekly-1on1@example.com"
SERIES_TITLE = "Alex / Sam 1:1"
SERIES_FIRST = berlin("2026-11-05T10:00")
SERIES_COUNT = 8  # Thursdays 5 Nov to 24 Dec


@dataclass(frozen=True)
class Scenario:
    overrides: tuple[Event, ...]  # instances of the series that differ from the rule
    one_offs: tuple[Event, ...]

    def instances(self) -> list[Event]:
        by_original = {e.original: e for e in self.overrides}
        out = []
        for i in range(SERIES_COUNT):
            original = SERIES_FIRST + timedelta(weeks=i)
            out.append(by_original.get(original, Event(SERIES_UID, SERIES_TITLE, original,
                                                       original=original)))
        return out

    def events(self) -> list[Event]:
        return [*self.instances(), *self.one_offs]

    def moved(self, original: datetime, to: datetime) -> Scenario:
        """The same calendar after the boss moved one instance of the series."""
        keep = tuple(e for e in self.overrides if e.original != original)
        moved = Event(SERIES_UID, SERIES_TITLE, to, original=original)
        return replace(self, overrides=(*keep, moved))


BASE = Scenario(
    overrides=(
        Event(SERIES_UID, SERIES_TITLE, berlin("2026-12-04T14:00"),
              original=berlin("2026-12-03T10:00")),
        Event(SERIES_UID, SERIES_TITLE, berlin("2026-12-10T10:00"), cancelled=True,
              original=berlin("2026-12-10T10:00")),
    ),
    one_offs=(
        Event("declined-1@example.com", "Sam / Alex extra", berlin("2026-11-27T15:00"),
              my_partstat="DECLINED"),
        Event("workshop-1@example.com", "Sam / Alex planning day", berlin("2026-11-19T09:00"),
              minutes=180),
        Event("far-1@example.com", "Sam / Alex planning", berlin("2027-03-04T10:00")),
    ),
)
# The window the suite reads: the 19 Nov instance ends exactly at its start and the 17 Dec
# one starts exactly at its end (both outside); the workshop straddles the start (inside).
START, END = berlin("2026-11-19T10:30"), berlin("2026-12-17T10:00")


# --- memory ----------------------------------------------------------------------------------


def occurrences(sc: Scenario) -> list[Occurrence]:
    return [Occurrence(
        uid=e.uid, start=e.start, end=e.end, title=e.title, original_start=e.original,
        organizer=Person(BOSS, "Sam Rivera", "ACCEPTED", role="CHAIR"),
        attendees=tuple(Person(a, partstat=p) for a, p in _attendees(e)),
        status="CANCELLED" if e.cancelled else "CONFIRMED",
        cadence_days=7.0 if e.original else None) for e in sc.events()]


def _attendees(e: Event) -> list[tuple[str, str]]:
    return [(BOSS, "ACCEPTED"), (ME, e.my_partstat), *((o, "ACCEPTED") for o in e.others)]


# --- iCalendar -------------------------------------------------------------------------------


def ics(sc: Scenario) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//manageup tests//source contract//EN")
    cal.add("version", "2.0")
    master = _vevent(Event(SERIES_UID, SERIES_TITLE, SERIES_FIRST))
    master.add("rrule", {"freq": "weekly", "count": SERIES_COUNT})
    cal.add_component(master)
    for e in (*sc.overrides, *sc.one_offs):
        cal.add_component(_vevent(e))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _vevent(e: Event) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", e.uid)
    ev.add("dtstamp", berlin("2026-11-01T00:00"))
    ev.add("summary", e.title)
    ev.add("dtstart", e.start)
    ev.add("dtend", e.end)
    if e.original:
        ev.add("recurrence-id", e.original)
    if e.cancelled:
        ev.add("status", "CANCELLED")
    org = icalendar.vCalAddress(f"mailto:{BOSS}")
    org.params["CN"] = "Sam Rivera"
    ev.add("organizer", org)
    for addr, partstat in _attendees(e):
        who = icalendar.vCalAddress(f"mailto:{addr}")
        who.params["PARTSTAT"] = partstat
        ev.add("attendee", who)
    return ev


# --- Google Calendar events.list ---------------------------------------------------------


def google_events(sc: Scenario, start: datetime, until: datetime) -> dict[str, dict[str, Any]]:
    """By id, what events.list(singleEvents, showDeleted) returns for [start, until)."""
    out = {}
    for e in sc.events():
        if e.end > start and e.start < until:
            body = _google_event(e)
            out[body["id"]] = body
    return out


def _when(dt: datetime) -> dict[str, str]:
    # Google answers in the calendar's offset, not only in Z.
    return {"dateTime": dt.isoformat(), "timeZone": "Europe/Berlin"}


def _google_event(e: Event) -> dict[str, Any]:
    if e.original:
        utc = e.original.astimezone(ZoneInfo("UTC"))
        ident = f"{e.uid.split('@')[0]}_{utc:%Y%m%dT%H%M%SZ}"
    else:
        ident = e.uid.split("@")[0]
    if e.cancelled and e.original:
        # A cancelled instance of a series is a stub: nothing but these four fields.
        return {"kind": "calendar#event", "etag": '"3"', "id": ident, "status": "cancelled",
                "recurringEventId": e.uid.split("@")[0], "originalStartTime": _when(e.original)}
    body: dict[str, Any] = {
        "kind": "calendar#event", "etag": '"2"', "id": ident, "status": "confirmed",
        "summary": e.title, "iCalUID": e.uid, "eventType": "default",
        "organizer": {"email": BOSS, "displayName": "Sam Rivera"},
        "start": _when(e.start), "end": _when(e.end),
        "attendees": [{"email": a, "responseStatus": p.lower().replace("needs-action",
                                                                        "needsAction"),
                       **({"self": True} if a == ME else {}),
                       **({"organizer": True} if a == BOSS else {})}
                      for a, p in _attendees(e)],
    }
    if e.original:
        body["recurringEventId"] = e.uid.split("@")[0]
        body["originalStartTime"] = _when(e.original)
    return body


def google_pages(events: dict[str, dict[str, Any]], token: str) -> list[str]:
    """A full listing in two pages, as Google sends it: only the first page carries the
    calendar's etag, summary and timeZone; the last carries the sync token."""
    items = list(events.values())
    half = len(items) // 2
    first = {"kind": "calendar#events", "etag": '"p1"', "summary": ME,
             "updated": "2026-11-20T10:00:00.000Z", "timeZone": "Europe/Berlin",
             "accessRole": "owner", "defaultReminders": [], "nextPageToken": "page-2",
             "items": items[:half]}
    last = {"kind": "calendar#events", "nextSyncToken": token, "items": items[half:]}
    return [json.dumps(first), json.dumps(last)]


def google_changes(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]],
                   token: str) -> str:
    """An incremental answer: what changed, and a bare tombstone for what went away."""
    items = [e for i, e in new.items() if old.get(i) != e]
    items += [{"kind": "calendar#event", "id": i, "status": "cancelled"}
              for i in old if i not in new]
    return json.dumps({"kind": "calendar#events", "etag": '"p2"', "summary": ME,
                       "timeZone": "Europe/Berlin", "nextSyncToken": token, "items": items})


# --- Microsoft Graph calendarView/delta ---------------------------------------------------

GLOBAL_ID = "040000008200E00074C5B7101A82E008"  # MS-OXOCAL 2.2.1.27: the Byte Array ID
SERIES_MASTER_ID = "AAMkAGI2TGuLAAA=-series-weekly"


def global_id(uid: str, instance: datetime | None = None) -> str:
    """Graph's iCalUId for an event whose organizer's calendar gave it `uid` (MS-OXOCAL
    2.2.1.27, MS-ASEMAIL 2.2.2.37): the Global Object ID, hex-encoded, carrying the UID
    after the "vCal-Uid" marker; an occurrence's also carries its original date."""
    day = b"\0\0\0\0" if instance is None else (
        instance.year.to_bytes(2, "big") + bytes([instance.month, instance.day]))
    data = b"vCal-Uid" + b"\x01\0\0\0" + uid.encode() + b"\0"
    created = (133_420_000_000_000_000).to_bytes(8, "little")  # a FILETIME in Oct 2023
    blob = (bytes.fromhex(GLOBAL_ID) + day + created + bytes(8) + len(data).to_bytes(4, "little")
            + data)
    return blob.hex().upper()


def _graph_when(dt: datetime) -> dict[str, str]:
    # What `Prefer: outlook.timezone="UTC"` gets: UTC with seven fraction digits.
    return {"dateTime": f"{dt.astimezone(ZoneInfo('UTC')):%Y-%m-%dT%H:%M:%S}.0000000",
            "timeZone": "UTC"}


def graph_events(sc: Scenario, start: datetime, until: datetime) -> dict[str, dict[str, Any]]:
    """By id, what calendarView/delta returns for [start, until): the series' exceptions
    and the single instances whole; its plain occurrences bare, with nothing but id,
    seriesMasterId, type, start and end (microsoftgraph/microsoft-graph-docs issues #1716,
    #7632, #22197); and its master, carrying the first instance's times, only when that
    instance lies in the range (what ridafkih/keeper.sh pull request #409 reports of this
    endpoint): otherwise a client reads it with GET /me/events/{id} (graph_master)."""
    out = {}
    first = Event(SERIES_UID, SERIES_TITLE, SERIES_FIRST)
    if first.end > start and first.start < until:
        out[SERIES_MASTER_ID] = graph_master()
    for e in sc.events():
        if e.end > start and e.start < until:
            plain = e not in sc.overrides
            body = _graph_event(e, plain)
            if plain and e.original:
                body = {k: body[k] for k in ("@odata.etag", "seriesMasterId", "type", "start",
                                             "end", "id")}
                body["@odata.type"] = "#microsoft.graph.event"
            out[body["id"]] = body
    return out


def graph_master() -> dict[str, Any]:
    """The series master as Graph gives it (in a delta answer, or to GET /me/events/{id}):
    the rule in `recurrence`, the first instance's times, the series' iCalUId (no instance
    date in it), every property its bare occurrences lack (the event resource's page)."""
    body = _graph_event(Event(SERIES_UID, SERIES_TITLE, SERIES_FIRST), False)
    return {**body, "id": SERIES_MASTER_ID, "type": "seriesMaster", "seriesMasterId": None,
            "iCalUId": global_id(SERIES_UID),
            "webLink": f"https://outlook.office365.com/owa/?itemid={SERIES_MASTER_ID}",
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "month": 0, "dayOfMonth": 0,
                            "daysOfWeek": ["thursday"], "firstDayOfWeek": "monday",
                            "index": "first"},
                "range": {"type": "numbered", "startDate": f"{SERIES_FIRST:%Y-%m-%d}",
                          "endDate": "0001-01-01", "numberOfOccurrences": SERIES_COUNT,
                          "recurrenceTimeZone": "W. Europe Standard Time"}}}


def _graph_person(addr: str, partstat: str) -> dict[str, Any]:
    answer = {"ACCEPTED": "accepted", "DECLINED": "declined"}.get(partstat, "none")
    name = "Sam Rivera" if addr == BOSS else ("Alex Chen" if addr == ME else addr)
    return {"type": "required", "status": {"response": answer,
                                           "time": "2026-11-01T00:00:00Z"},
            "emailAddress": {"name": name, "address": addr}}


def _graph_event(e: Event, plain: bool) -> dict[str, Any]:
    """An event whole, as calendarView returns it: the properties of
    https://learn.microsoft.com/en-us/graph/api/resources/event?view=graph-rest-1.0."""
    if e.original:
        utc = e.original.astimezone(ZoneInfo("UTC"))
        ident = f"AAMkAGI2TGuLAAA=-{utc:%Y%m%dT%H%M}"
    else:
        ident = f"AAMkAGI2TGuLAAA=-{e.uid.split('@')[0]}"
    mine = dict(_attendees(e))[ME]
    return {
        "@odata.etag": f'W/"DwAAABYAAAB{ident[-6:]}"', "id": ident,
        "createdDateTime": "2026-10-20T08:00:00.1234567Z",
        "lastModifiedDateTime": "2026-10-28T08:00:00.7654321Z",
        "changeKey": "DwAAABYAAAB", "categories": [], "transactionId": None,
        "originalStartTimeZone": "W. Europe Standard Time",
        "originalEndTimeZone": "W. Europe Standard Time",
        "iCalUId": global_id(e.uid, e.original), "reminderMinutesBeforeStart": 15,
        "isReminderOn": True, "hasAttachments": False, "subject": e.title,
        "bodyPreview": "", "importance": "normal", "sensitivity": "normal",
        **({"originalStart": f"{e.original.astimezone(ZoneInfo('UTC')):%Y-%m-%dT%H:%M:%SZ}"}
           if e.original else {}),
        "isAllDay": False, "isCancelled": e.cancelled, "isOrganizer": False,
        "responseRequested": True,
        "seriesMasterId": SERIES_MASTER_ID if e.original else None, "showAs": "busy",
        "type": ("occurrence" if plain else "exception") if e.original else "singleInstance",
        "webLink": f"https://outlook.office365.com/owa/?itemid={ident}",
        "onlineMeetingUrl": None, "isOnlineMeeting": False, "onlineMeetingProvider": "unknown",
        "responseStatus": {"response": {"ACCEPTED": "accepted", "DECLINED": "declined"}
                           .get(mine, "none"), "time": "2026-11-01T00:00:00Z"},
        "body": {"contentType": "html", "content": ""},
        "start": _graph_when(e.start), "end": _graph_when(e.end),
        "location": {"displayName": "", "locationType": "default",
                     "uniqueIdType": "unknown"},
        "locations": [], "recurrence": None,
        "attendees": [_graph_person(a, p) for a, p in _attendees(e)],
        "organizer": {"emailAddress": {"name": "Sam Rivera", "address": BOSS}},
        "onlineMeeting": None,
    }


def graph_removed(ident: str) -> dict[str, Any]:
    """https://learn.microsoft.com/en-us/graph/delta-query-overview: an id and @removed."""
    return {"@odata.type": "#microsoft.graph.event", "id": ident,
            "@removed": {"reason": "deleted"}}
