"""Edits of "this and all following" instances (RECURRENCE-ID;RANGE=THISANDFUTURE,
RFC 5545 3.8.4.4): recurring-ical-events moves the later instances by the edit's shift
and gives them its properties, its RECURRENCE-ID among them; here each gets its own."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any


def _moment(value: date | datetime) -> tuple[str, object]:
    """A RECURRENCE-ID's value as a key: the same instant however its zone is spelled."""
    if isinstance(value, datetime):
        return ("at", value.timestamp()) if value.tzinfo else ("wall", value.isoformat())
    return ("day", value.isoformat())


def _this_and_future(prop: Any) -> bool:
    params = getattr(prop, "params", {})
    return str(params.get("RANGE", "")).strip().upper() == "THISANDFUTURE"


Shifts = dict[tuple[str, tuple[str, object]], timedelta]


def range_shifts(events_by_uid: dict[str, list[Any]]) -> Shifts:
    """How far each "this and all following" edit (RECURRENCE-ID;RANGE=THISANDFUTURE)
    moves the instances from its own on, by UID and RECURRENCE-ID: its DTSTART less its
    RECURRENCE-ID, as recurring-ical-events reckons it."""
    from recurring_ical_events.util import make_comparable

    shifts: Shifts = {}
    for uid, comps in events_by_uid.items():
        for comp in comps:
            if "RECURRENCE-ID" in comp and _this_and_future(comp["RECURRENCE-ID"]):
                try:
                    rid = comp.decoded("RECURRENCE-ID")
                    moved, was = make_comparable((comp.decoded("DTSTART"), rid))
                    shifts[(uid, _moment(rid))] = moved - was
                except (ValueError, TypeError, KeyError):
                    continue  # not comparable: its instances keep the edit's identity
    return shifts


def own_recurrence(ev: Any, uid: str, shifts: Shifts) -> date | datetime:
    """The instance's own RECURRENCE-ID. recurring-ical-events makes each instance after
    a THISANDFUTURE edit a copy of the edit, the edit's RECURRENCE-ID with it: they would
    all be one meeting. Its own is where it is now, less the edit's shift."""
    value: date | datetime = ev.decoded("RECURRENCE-ID")
    if not _this_and_future(ev["RECURRENCE-ID"]):
        return value
    shift = shifts.get((uid, _moment(value)))
    start = ev.decoded("DTSTART")
    if shift is None or isinstance(start, datetime) != isinstance(value, datetime):
        return value
    return start - shift
