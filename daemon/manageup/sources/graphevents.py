"""Graph events (calendarView/delta items) into Occurrences, keyed by the UID the
calendar's own .ics export would give them.

Graph v1.0 has no property that is the series' iCalendar UID: `iCalUId` is "different for
each occurrence in a recurring series" (the event resource's documentation) and the `uid`
property that is the same across a series exists in the beta endpoint only. calendarView/
delta cannot `$select` either: it returns what a calendarView GET returns. So the UID is
derived from `iCalUId`, which is the hex-encoded Global Object ID (MS-OXOCAL 2.2.1.27)
that Exchange also exports as the .ics UID (MS-OXCICAL 2.1.3.1.1.20.26), decoded as
MS-ASEMAIL 3.1.4.7 converts a GlobalObjId to a UID.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from manageup.model import Occurrence, Person, address, cadence_days
from manageup.sources import FetchResult

log = logging.getLogger(__name__)

RESPONSE = {"accepted": "ACCEPTED", "organizer": "ACCEPTED", "declined": "DECLINED",
            "tentativelyAccepted": "TENTATIVE", "none": "NEEDS-ACTION",
            "notResponded": "NEEDS-ACTION"}
MAX_TEXT = 2000
GLOBAL_ID = "040000008200E00074C5B7101A82E008"  # MS-OXOCAL 2.2.1.27's Byte Array ID
VCAL_UID = b"vCal-Uid\x01\x00\x00\x00"  # the Data of an ID made from another system's UID
MAX_UID = 1000
# What calendarView/delta leaves out of a plain occurrence of a series: it sends only id,
# seriesMasterId, type, start and end (microsoftgraph/microsoft-graph-docs issues #1716,
# #7632, #22197). The rest is the series master's.
BARE = ("subject", "organizer", "attendees", "iCalUId")
SERIES_FIELDS = ("subject,organizer,attendees,iCalUId,responseStatus,isCancelled,isAllDay,"
                 "location,locations,bodyPreview,onlineMeeting,onlineMeetingUrl,type,start,end")
NOT_INHERITED = {"recurrence", "originalStart", "webLink", "changeKey", "@odata.etag",
                 "@odata.context"}
READ = "@manageup.read"  # on a master read by GET, not sent by the delta: ours to drop
# On a master Graph said it has not (ErrorItemNotFound): its series is left out, but asked
# for again at the next poll, since a mailbox not yet caught up answers the same.
GONE = "@manageup.gone"
STALE = "@manageup.stale"  # on a master kept as last read because reading it again failed


class MasterUnread(Exception):
    """Reading a series master failed this time (an HTML 404, a 5xx, no answer): nothing
    is known about the series, least of all that it was deleted."""


def ical_uid(e: dict[str, Any]) -> str:
    """The UID the calendar's .ics export gives this event (and, for an occurrence or an
    exception, its whole series), so one meeting has one key whichever way it is read.

    An iCalUId that is no Global Object ID is another system's UID, kept as it is for a
    single event. Where that cannot name the series (an occurrence whose iCalUId is absent
    or undecodable), the series' Graph id stands in: stable across the series, though not
    the .ics UID; with no series either, the event's own id."""
    raw = e.get("iCalUId")
    series = e.get("seriesMasterId")
    if isinstance(raw, str) and raw.strip():
        decoded = _from_global_id(raw.strip())
        if decoded:
            return decoded
        if not series and not raw.upper().startswith(GLOBAL_ID):
            return raw.strip()[:MAX_UID]
    return str(series or e["id"])


def uids(events: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each event's UID by its Graph id: ical_uid's, except that every instance of a series
    has the series' one (what most of its instances decode to). An instance Graph sends
    without a usable iCalUId would otherwise be a second meeting under the series' Graph
    id, its history split and its digest, sent under the other key, sent again."""
    own: dict[str, str] = {}
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for ident, e in events.items():
        with contextlib.suppress(KeyError, TypeError, AttributeError):
            own[ident] = uid = ical_uid(e)
            series = str(e.get("seriesMasterId") or "")
            if series and uid != series:
                votes[series][uid] += 1
    best = {series: min(c, key=lambda u: (-c[u], u)) for series, c in votes.items()}
    return {ident: best.get(str(events[ident].get("seriesMasterId") or ""), uid)
            for ident, uid in own.items()}


def needs_series(e: dict[str, Any]) -> bool:
    """A plain occurrence as delta sends it: what it is, it takes from its series."""
    series = e.get("seriesMasterId")
    return isinstance(series, str) and bool(series) and any(k not in e for k in BARE)


def is_master(e: dict[str, Any]) -> bool:
    return e.get("type") == "seriesMaster"


def series_to_read(events: dict[str, dict[str, Any]]) -> set[str]:
    """The series masters that bare occurrences need and that neither the delta answers
    nor an earlier read gave; one Graph said it has not, or kept from before because
    reading it again failed, is asked for again."""
    wanted = {str(e["seriesMasterId"]) for e in events.values() if needs_series(e)}
    return wanted - {i for i, e in events.items()
                     if is_master(e) and not e.get(GONE) and not e.get(STALE)}


def with_series(events: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The meetings among Graph's items: each bare occurrence filled from its series master
    (its own id, start, end and type kept), the masters themselves left out. A master is a
    series, not a meeting: Graph gives it the first instance's times, so as a meeting it
    would be that instance twice, or a ghost of a series begun long ago."""
    series = {i: e for i, e in events.items() if is_master(e)}
    out = {}
    for ident, e in events.items():
        if is_master(e):
            continue
        if needs_series(e):
            master = series.get(str(e["seriesMasterId"]))
            if master and master.get(GONE):  # the series was deleted: so is this, soon
                continue
            if master:
                e = {**{k: v for k, v in master.items() if k not in NOT_INHERITED}, **e}
        out[ident] = e
    return out


def known_uid(e: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """An event's iCalUId never changes: one sent without it keeps the one known, or the
    meeting would change key and its digest go out again."""
    was = (known.get(e["id"]) or {}).get("iCalUId")
    return e if e.get("iCalUId") or not was else {**e, "iCalUId": was}


def with_id(items: list[Any], label: str) -> list[dict[str, Any]]:
    """Graph's items, less any without an id: nothing could later update or remove them."""
    out = [e for e in items if isinstance(e, dict) and isinstance(e.get("id"), str)]
    if len(out) < len(items):
        log.warning("%s: skipped %d Graph items without an id", label, len(items) - len(out))
    return out


def with_masters(state: dict[str, Any], read: Callable[[str], dict[str, Any]],
                 known: dict[str, Any], label: str) -> dict[str, Any]:
    """The state with the series masters its bare occurrences need and the delta did not
    send, each read (`read`: GET /me/events/{id}, {} when Graph has no such item) and kept
    among the events, so a quiet poll stays one request. One no longer needed is dropped.

    A read that fails (MasterUnread) keeps the copy last read, from this state or the one
    before it (`known`), marked to be read again at the next poll, and says so in the log:
    a failed read is no news about the series, and taking it for "deleted" hid a weekly
    1:1 until the next full read, a month later."""
    events = state["events"]
    wanted = {str(e.get("seriesMasterId")) for e in events.values()}
    unused = [i for i, e in events.items() if e.get(READ) and i not in wanted]
    missing = sorted(series_to_read(events))
    if not unused and not missing:
        return state
    filled = {i: e for i, e in events.items() if i not in unused}
    for ident in missing:
        try:
            master = read(ident)
        except MasterUnread as e:
            last = filled.get(ident) or known.get(ident)
            _unread(label, ident, last, str(e))
            if last is not None and not last.get(GONE):
                filled[ident] = {**last, READ: True, STALE: True}  # ours to drop, too
            continue
        filled[ident] = {**master, "id": ident, "type": "seriesMaster", READ: True,
                         **({} if master else {GONE: True})}
    if filled == events:  # asked again, answered the same: a quiet poll stays quiet
        return state
    return {**state, "events": filled}


def _unread(label: str, ident: str, last: dict[str, Any] | None, why: str) -> None:
    name = _clip((last or {}).get("subject"))[:100]
    series = f"{name!r} (Graph id {ident})" if name else f"with Graph id {ident}"
    kept = ("its meetings stay as last read" if last and not last.get(GONE)
            else "its meetings are left out of this poll")
    log.warning("%s: could not read the series %s (%s); %s, the next poll asks again",
                label, series, why, kept)


def legacy_uid(e: dict[str, Any]) -> str:
    """The UID earlier versions gave the event (a series' Graph id): what older store rows
    are keyed by."""
    return str(e.get("seriesMasterId") or e.get("iCalUId") or e["id"])


def _from_global_id(text: str) -> str | None:
    """MS-ASEMAIL 3.1.4.7: the UID embedded after "vCal-Uid", or else the ID itself with
    the instance date (bytes 17-20) zeroed, which every instance of a series shares."""
    # MS-OXCICAL's EncodedGlobalId: hex digits only, at least 82, an even number of them.
    if len(text) < 82 or len(text) % 2 or text[:32].upper() != GLOBAL_ID:
        return None
    try:
        blob = bytes.fromhex(text)
    except ValueError:
        return None
    size = int.from_bytes(blob[36:40], "little")
    data = blob[40:40 + size]
    if data.startswith(VCAL_UID):
        try:
            uid = data[len(VCAL_UID):].split(b"\0", 1)[0].decode("utf-8").strip()
        except UnicodeDecodeError:
            return None
        if not uid or len(uid) > MAX_UID or not uid.isprintable():
            return None
        return uid
    return text[:32] + "00000000" + text[40:]


def _when(value: dict[str, Any], zone: ZoneInfo, all_day: bool) -> datetime:
    text = str(value["dateTime"])
    head, _, frac = text.partition(".")  # Graph gives 7 fraction digits
    dt = datetime.fromisoformat(head + (f".{frac[:6]}" if frac else ""))
    if all_day:  # a date, whatever zone it was given in
        d = dt.date()
        return datetime(d.year, d.month, d.day, tzinfo=zone)
    name = str(value.get("timeZone") or "UTC")
    try:
        tz: Any = UTC if name.upper() in ("UTC", "Z") else ZoneInfo(name)
    except (ValueError, KeyError):  # we asked for UTC; anything else is taken as UTC
        tz = UTC
    return dt.replace(tzinfo=tz).astimezone(zone)


def _clip(value: Any) -> str:
    text = str(value or "").strip()
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _rooms(e: dict[str, Any]) -> set[str]:
    """The addresses of the rooms the event is in. A room booked by inviting it is listed
    as a "required" attendee (microsoft-graph-docs issue #3837); what tells it is a room
    is its entry in locations[], a conferenceRoom under its address (the location
    resource's documentation)."""
    rooms = set()
    for place in [*(e.get("locations") or []), e.get("location")]:
        if isinstance(place, dict) and place.get("locationType") == "conferenceRoom":
            for key in ("locationEmailAddress", "locationUri", "uniqueId"):
                value = str(place.get(key) or "").strip().lower()
                if "@" in value and " " not in value:
                    rooms.add(value)
    return rooms


def _person(p: dict[str, Any], me: str, user: str, organizer: bool = False,
            rooms: frozenset[str] | set[str] = frozenset()) -> Person:
    addr = p.get("emailAddress") or {}
    email = address(str(addr.get("address") or ""))
    if user and email == user:
        email = me  # the signed-in account is the user, whatever address me.email says
    kind = str(p.get("type") or "required")
    status = str((p.get("status") or {}).get("response") or "")
    return Person(
        email=email,
        name=_clip(addr.get("name"))[:200],
        partstat="ACCEPTED" if organizer else RESPONSE.get(status, "NEEDS-ACTION"),
        cutype="RESOURCE" if kind == "resource" else "ROOM" if email in rooms else "INDIVIDUAL",
        role="CHAIR" if organizer else
        ("OPT-PARTICIPANT" if kind == "optional" else "REQ-PARTICIPANT"),
    )


def occurrences(events: dict[str, dict[str, Any]], start: datetime, end: datetime,
                 zone: ZoneInfo, label: str, me: str, user: str) -> FetchResult:
    result = FetchResult()
    events = with_series(events)
    starts: dict[str, list[datetime]] = defaultdict(list)
    for e in events.values():
        if e.get("seriesMasterId") and (e.get("originalStart") or e.get("start")):
            with contextlib.suppress(KeyError, ValueError, TypeError):
                starts[e["seriesMasterId"]].append(_original(e, zone) or
                                                   _when(e["start"], zone, False))
    cadence = {series: cadence_days(times) for series, times in starts.items()}
    uid = uids(events)
    for ident, e in events.items():
        try:
            if _outside(e, zone, start, end):
                continue
            occ = _occurrence(e, uid[ident], zone, cadence.get(e.get("seriesMasterId") or ""),
                              label, me, user)
        except (KeyError, ValueError, TypeError, AttributeError) as err:
            result.warnings.append(f"{label}: skipped event {e.get('id')}: {err}")
            continue
        result.occurrences.append(occ)
    result.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
    return result


def _outside(e: dict[str, Any], zone: ZoneInfo, start: datetime, end: datetime) -> bool:
    """The event lies outside [start, end), read from its times as _occurrence reads them:
    years of history are not converted into occurrences at every poll only to be left
    out (a quiet poll in a new process reads every stored event)."""
    all_day = bool(e.get("isAllDay"))
    first = _when(e["start"], zone, all_day)
    last = _when(e["end"], zone, all_day) if e.get("end") else first
    return not (last > start and first < end)


def _original(e: dict[str, Any], zone: ZoneInfo) -> datetime | None:
    raw = e.get("originalStart")
    if e.get("type") not in ("occurrence", "exception"):
        return None
    if not raw:  # delta sends a plain occurrence without it: it is where the rule put it
        return _when(e["start"], zone, bool(e.get("isAllDay"))) \
            if e.get("type") == "occurrence" else None
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).astimezone(zone)


def _occurrence(e: dict[str, Any], uid: str, zone: ZoneInfo, cadence: float | None,
                label: str, me: str, user: str) -> Occurrence:
    all_day = bool(e.get("isAllDay"))
    start = _when(e["start"], zone, all_day)
    end = _when(e["end"], zone, all_day) if e.get("end") else start
    organizer = _person(e["organizer"], me, user, True) if e.get("organizer") else None
    rooms = _rooms(e)
    attendees = [_person(a, me, user, rooms=rooms) for a in e.get("attendees") or []]
    mine = RESPONSE.get(str((e.get("responseStatus") or {}).get("response") or ""))
    if mine == "DECLINED":  # the user's own answer is on the event, not always in the list
        attendees = [replace_partstat(a, "DECLINED") if a.email == me else a
                     for a in attendees]
        if not any(a.email == me for a in attendees):
            attendees.append(Person(email=me, partstat="DECLINED"))
    online = e.get("onlineMeeting") or {}
    series = e.get("seriesMasterId")
    return Occurrence(
        uid=uid,
        start=start,
        end=end,
        title=_clip(e.get("subject")),
        original_start=_original(e, zone) if series else None,
        location=_clip((e.get("location") or {}).get("displayName")),
        description=_clip(e.get("bodyPreview")),
        url=_clip(online.get("joinUrl") or e.get("onlineMeetingUrl") or ""),
        organizer=organizer,
        attendees=tuple(attendees),
        status="CANCELLED" if e.get("isCancelled") else "CONFIRMED",
        all_day=all_day,
        cadence_days=cadence,
        calendar=label,
        # showAs is a freeBusyStatus: free, tentative, busy, oof, workingElsewhere, unknown.
        show_as={"oof": "oof", "free": "free"}.get(str(e.get("showAs") or ""), "busy"),
    )


def replace_partstat(p: Person, partstat: str) -> Person:
    return replace(p, partstat=partstat)
