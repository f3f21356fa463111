"""iCalendar text to Occurrences: parsed with icalendar, expanded with recurring-ical-events.

One bad thing never costs the rest: an unterminated or stray component is cut out and
named, a broken event is skipped by UID, and one feed's time zone definitions never
change how another feed is read.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from manageup.errors import SourceError
from manageup.model import Occurrence, Person, address
from manageup.sources import FetchResult
from manageup.sources.ics.lines import readable
from manageup.sources.ics.recurrence import cadence, expand
from manageup.sources.ics.salvage import fresh_timezones, salvage
from manageup.sources.ics.text import scan, uid_in, unfold
from manageup.sources.ics.thisandfuture import Shifts, own_recurrence, range_shifts
from manageup.sources.ics.values import as_meant

MAX_TEXT = 2000  # characters kept of a title, location or description
# Properties whose breakage makes an event unusable; a broken DESCRIPTION is not one of them.
_ASCII_BLANKS = " \t\n\r\x0b\x0c"  # what bytes.strip() strips
_VITAL = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}


def repair(data: bytes, calendar: str) -> tuple[bytes, list[str]]:
    """Cut unterminated and stray components out of a feed (a file still being written),
    close a VCALENDAR left open, and say what was skipped."""
    text = unfold(data)
    low = text.lower()
    structure = scan(low)
    if structure.clean:
        return data, []
    warnings, parts, last = [], [], 0
    for s, e in structure.cuts:
        uid = uid_in(low, s, e)
        what = f"event {uid}" if uid else "an incomplete part"
        warnings.append(f"{calendar}: skipped {what}: it is not complete (is the file still "
                        "being written?)")
        parts.append(text[last:s])
        last = e
    parts.append(text[last:])
    if structure.close_calendar:
        parts.append(b"\r\nEND:VCALENDAR\r\n")
    return b"".join(parts), warnings


def read_calendar(data: bytes, calendar: str = "") -> tuple[Any, list[str]]:
    """One VCALENDAR holding every component of the feed: several concatenated VCALENDARs
    are merged, and a bare VEVENT feed is read as if it were wrapped in one."""
    # Unfolded first: a parameter folded across lines ("VALUE=DA" / " TE") is still read.
    text, warnings = repair(as_meant(unfold(readable(data))), calendar)
    fresh_timezones()
    try:
        parts = icalendar.Calendar.from_ical(text, multiple=True)
    except Exception as e:  # icalendar raises ValueError, but also others on odd input
        parts, dropped = salvage(text, calendar)
        if not parts:  # still unreadable: report the first problem
            raise SourceError(f"{calendar or 'calendar'}: not an iCalendar file ({e})") \
                from None
        warnings += dropped
    if not parts:
        raise SourceError(f"{calendar or 'calendar'}: not an iCalendar file (no components)")
    merged = icalendar.Calendar()
    for part in parts:
        if part.name == "VCALENDAR":
            merged.subcomponents.extend(part.subcomponents)
            for k, v in part.items():
                merged.setdefault(k, v)
        else:
            merged.subcomponents.append(part)
    return merged, warnings


def parse_occurrences(data: bytes | str, start: datetime, end: datetime, zone: ZoneInfo,
                      calendar: str = "") -> FetchResult:
    """All occurrences overlapping [start, end), in `zone`. Broken events are skipped by UID."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    cal, warnings = read_calendar(raw, calendar)
    result = FetchResult(warnings=warnings)
    events_by_uid: dict[str, list[Any]] = defaultdict(list)
    keep: list[Any] = []
    lost_zones: set[str] = set()
    for comp in cal.subcomponents:
        if comp.name != "VEVENT":
            keep.append(comp)
            continue
        problem = _problem(comp)
        uid_prop = comp.get("UID", "")
        # Named by its first value when given twice, not by a list's repr.
        uid = str(uid_prop[0] if isinstance(uid_prop, list) else uid_prop).strip()
        if problem:
            result.warnings.append(f"{calendar}: skipped event {uid or '(no UID)'}: {problem}")
            continue
        if not uid:
            uid = _stable_uid(comp)
            comp["UID"] = uid
        elif uid != uid_prop and uid == uid_prop.strip(_ASCII_BLANKS):
            # The expansion matches an override to its series by the UID as written: one
            # with a blank after it ("UID:x " on a moved or cancelled instance) would be
            # an event of its own, beside the instance it replaces. Only the blanks the
            # prefilter's bytes.strip takes away too, so both group events alike.
            comp["UID"] = uid
        lost = _zone_defined_nowhere(comp)
        if lost and lost not in lost_zones:  # once per zone: a feed may have thousands
            lost_zones.add(lost)
            result.warnings.append(f"{calendar}: event {uid} names the time zone {lost!r}, "
                                   "which the feed does not define; read in your own time "
                                   "zone")
        if _ends_before_it_starts(comp):
            # recurring-ical-events swaps the two: the meeting would show at its end.
            del comp["DTEND"]
            result.warnings.append(f"{calendar}: event {uid} ends before it starts; read "
                                   "as starting at its DTSTART (its DTEND ignored)")
        events_by_uid[uid].append(comp)
    shared = _split_shared(events_by_uid, calendar, result.warnings)
    series = {uid for uid, comps in events_by_uid.items()
              if len(comps) > 1 or any(("RRULE" in c or "RDATE" in c) for c in comps)}
    found = expand(keep, events_by_uid, start, end, calendar, result.warnings,
                   cal.get("X-WR-TIMEZONE"))
    # Once per series, not per instance: a series of thousands of moved instances would
    # otherwise cost instances x components.
    cadences = {uid: cadence(comps) for uid, comps in events_by_uid.items() if uid in series}
    shifts = range_shifts(events_by_uid)
    for ev in found:
        uid = str(ev.get("UID", "")).strip()
        if uid in shared:  # read on its own, known by the UID it was written with
            ev["UID"] = shared[uid]
        try:
            result.occurrences.append(_occurrence(ev, zone, uid in series, cadences.get(uid),
                                                  calendar, shifts))
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            result.warnings.append(f"{calendar}: skipped event {uid}: {e}")
    result.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
    return result


def _split_shared(events_by_uid: dict[str, list[Any]], calendar: str,
                  warnings: list[str]) -> dict[str, str]:
    """Events that share a UID without being one series (no RECURRENCE-ID, different
    starts), e.g. an import that reused the 1:1's UID: the library keeps only the first,
    which hid the whole series. Each is expanded on its own under a stand-in UID (the
    series, with the overrides, keeps the real one); returns stand-in -> real UID. An
    exact copy (same start) is one event, as before."""
    shared: dict[str, str] = {}
    for uid, comps in list(events_by_uid.items()):
        masters = [c for c in comps if "RECURRENCE-ID" not in c]
        starts: dict[tuple[str, bytes], Any] = {}
        for comp in masters:
            starts.setdefault(_written(comp.get("DTSTART")), comp)
        if len(starts) < 2:
            continue
        main = next((c for c in masters if "RRULE" in c or "RDATE" in c), masters[0])
        extras = [c for c in starts.values() if c is not main]
        events_by_uid[uid] = [c for c in comps if c is main or "RECURRENCE-ID" in c]
        for n, comp in enumerate(extras, 2):
            stand_in = f"{uid}#{n}@manageup"
            comp["UID"] = stand_in
            events_by_uid[stand_in] = [comp]
            shared[stand_in] = uid
        warnings.append(f"{calendar}: {len(starts)} different events share the UID {uid}; "
                        "each is read on its own (the calendar that wrote them should give "
                        "each its own UID)")
    return shared


def _written(prop: Any) -> tuple[str, bytes]:
    return (str(getattr(prop, "params", {}).get("TZID", "")),
            prop.to_ical() if hasattr(prop, "to_ical") else str(prop).encode())


def _zone_defined_nowhere(comp: Any) -> str:
    """The TZID of a DTSTART icalendar could not resolve (no VTIMEZONE, no zone by that
    name): it reads the time as floating, i.e. on the user's own clock, hours off if the
    zone was another."""
    tzid = getattr(comp.get("DTSTART"), "params", {}).get("TZID")
    value = comp.decoded("DTSTART")
    return str(tzid) if tzid and isinstance(value, datetime) and value.tzinfo is None else ""


def _ends_before_it_starts(comp: Any) -> bool:
    if "DTEND" not in comp:
        return False
    start, end = comp.decoded("DTSTART"), comp.decoded("DTEND")
    if isinstance(start, datetime) != isinstance(end, datetime) or \
            (isinstance(start, datetime) and (start.tzinfo is None) != (end.tzinfo is None)):
        return False  # not comparable: left as the library reads it
    return bool(end < start)


def _stable_uid(comp: Any) -> str:
    """An identity for an event its tool wrote without a UID, the same on every read:
    from its start, title and organizer."""
    parts = []
    for prop in ("DTSTART", "SUMMARY", "ORGANIZER"):
        value = comp.get(prop)
        params = getattr(value, "params", {})
        ical = value.to_ical() if hasattr(value, "to_ical") else str(value or "").encode()
        parts.append(f"{params.get('TZID', '')}|{ical.decode('utf-8', 'replace')}")
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
    return f"no-uid-{digest}@manageup"


def _problem(comp: Any) -> str:
    for prop in ("UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "SUMMARY", "STATUS"):
        if isinstance(comp.get(prop), list):
            return f"{prop} given more than once"
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


def _aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    """The instant `value` names, in `zone`: a date is its midnight there, a floating time
    the user's own wall clock. Through UTC, so a wall time that does not exist (02:30 on
    the night the clocks go forward) is the instant RFC 5545 3.3.5 says it names (read
    with the offset before the gap) and shown as the clock shows it (03:30): astimezone
    into the zone it already has would keep 02:30."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None:  # floating time: the user's own wall clock
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC).astimezone(zone)


def _end(ev: Any, raw_start: date | datetime, start: datetime, zone: ZoneInfo) -> datetime:
    if "DTEND" in ev:
        raw_end = ev.decoded("DTEND")
        end = _aware(raw_end, zone)
        if end.timestamp() < start.timestamp() and isinstance(raw_end, datetime) and \
                isinstance(raw_start, datetime):
            # A start in a DST gap moved past it, an end after the gap did not (02:30 to
            # 03:00 that night is 03:30 to 03:00): the length it was written with.
            length = raw_end.replace(tzinfo=None) - raw_start.replace(tzinfo=None)
            end = _aware(start + max(length, timedelta(0)), zone)
        return end
    if "DURATION" in ev:
        return _aware(start + ev.decoded("DURATION"), zone)
    all_day = not isinstance(raw_start, datetime)
    return _aware(start + (timedelta(days=1) if all_day else timedelta(0)), zone)


def _person(prop: Any, is_org: bool = False) -> Person | None:
    email = address(str(prop))
    if not email:
        return None
    params = getattr(prop, "params", {})
    return Person(
        email=email,
        name=_clean(str(params.get("CN", ""))),
        partstat=str(params.get("PARTSTAT", "ACCEPTED" if is_org else "NEEDS-ACTION"))
        .strip().upper(),
        cutype=str(params.get("CUTYPE", "INDIVIDUAL")).strip().upper(),
        role=str(params.get("ROLE", "CHAIR" if is_org else "REQ-PARTICIPANT")).strip().upper(),
    )


def _clean(text: str) -> str:
    return _clip(text.strip().strip('"'), 200)


def _clip(value: Any, limit: int = MAX_TEXT) -> str:
    text = str(value).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _occurrence(ev: Any, zone: ZoneInfo, in_series: bool, cadence_days: float | None,
                calendar: str, shifts: Shifts | None = None) -> Occurrence:
    raw_start = ev.decoded("DTSTART")
    all_day = not isinstance(raw_start, datetime)
    start = _aware(raw_start, zone)
    end = _end(ev, raw_start, start, zone)
    original = None
    if in_series and "RECURRENCE-ID" in ev:
        uid = str(ev.get("UID", "")).strip()
        original = _aware(own_recurrence(ev, uid, shifts or {}), zone)
    attendees_raw = ev.get("ATTENDEE", [])
    if not isinstance(attendees_raw, list):
        attendees_raw = [attendees_raw]
    attendees = tuple(p for p in (_person(a) for a in attendees_raw) if p)
    organizers = ev.get("ORGANIZER", [])
    if not isinstance(organizers, list):
        organizers = [organizers]
    # Some exporters write ORGANIZER twice: the first is the organizer, the others still
    # take part (an event skipped for it would silently lose a 1:1).
    organizer = _person(organizers[0], is_org=True) if organizers else None
    attendees += tuple(p for p in (_person(o, is_org=True) for o in organizers[1:])
                       if p and organizer and p.email != organizer.email)
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
        cadence_days=cadence_days,
        calendar=calendar,
        show_as=_show_as(ev),
    )


def _show_as(ev: Any) -> str:
    """Outlook's busy status (X-MICROSOFT-CDO-*: "OOF" is out of office) before TRANSP.
    Compared in ASCII only, as the fast path looks for them (away.py)."""
    def said(name: str) -> set[str]:
        values = ev.get(name, [])
        values = values if isinstance(values, list) else [values]
        return {v.lower() for v in (str(x).strip(" \t") for x in values) if v.isascii()}

    if "oof" in said("X-MICROSOFT-CDO-BUSYSTATUS") | said("X-MICROSOFT-CDO-INTENDEDSTATUS"):
        return "oof"
    if "free" in said("X-MICROSOFT-CDO-BUSYSTATUS") or "transparent" in said("TRANSP"):
        return "free"
    return "busy"
