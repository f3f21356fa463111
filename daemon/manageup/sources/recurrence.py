"""Recurrence: series expanded over the window with recurring-ical-events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import icalendar
import recurring_ical_events

_CADENCE_DAYS = {"DAILY": 1.0, "WEEKLY": 7.0, "MONTHLY": 30.4, "YEARLY": 365.0}


def rules(comp: Any) -> list[Any]:
    """RRULE values; several RRULE lines (old but legal) come back from icalendar as a list."""
    rule = comp.get("RRULE")
    found = rule if isinstance(rule, list) else [rule] if rule else []
    return [r for r in found if hasattr(r, "get")]


def _dense(comp: Any) -> bool:
    """Could this series recur more than once a day?"""
    for rule in rules(comp):
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        if freq in ("SECONDLY", "MINUTELY", "HOURLY") or any(
                k in rule for k in ("BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS")):
            return True
    return False


def cadence(comps: list[Any]) -> float | None:
    """Days between a series' instances, from its RRULE, for "held vs expected"."""
    for c in comps:
        for rule in rules(c)[:1]:
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


def expand(keep: list[Any], events_by_uid: dict[str, list[Any]], start: datetime,
           end: datetime, calendar: str, warnings: list[str]) -> list[Any]:
    """Every instance of every event in [start, end); one broken series costs only itself."""
    cal = icalendar.Calendar()
    dense = {uid for uid, comps in events_by_uid.items() if any(_dense(c) for c in comps)}
    cal.subcomponents = keep + [c for uid, comps in events_by_uid.items() if uid not in dense
                                for c in comps]
    try:
        found = list(recurring_ical_events.of(cal, skip_bad_series=True).between(start, end))
    except Exception:  # the library raises many types; find the culprit series by series
        found = []
        for uid, comps in events_by_uid.items():
            if uid not in dense:
                found.extend(_expand_one(keep, comps, uid, start, end, calendar, warnings))
    for uid in dense:
        # Expanding FREQ=SECONDLY with no end takes minutes and gigabytes, even lazily;
        # no 1:1 recurs more often than daily, so such a series is not read at all.
        warnings.append(f"{calendar}: skipped event {uid}: it recurs more often than "
                        "daily, which no 1:1 does")
    return found


def _expand_one(keep: list[Any], comps: list[Any], uid: str, start: datetime, end: datetime,
                calendar: str, warnings: list[str]) -> list[Any]:
    one = icalendar.Calendar()
    one.subcomponents = keep + comps
    try:
        return list(recurring_ical_events.of(one).between(start, end))
    except Exception as e:  # one broken series must not cost the rest of the calendar
        warnings.append(f"{calendar}: skipped event {uid}: cannot expand ({e})")
        return []
