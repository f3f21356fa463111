"""Recurrence: series expanded over the window with recurring-ical-events."""

from __future__ import annotations

import importlib.util
import math
import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
from icalendar import vDDDTypes


def _load_on_first_use(name: str) -> None:
    """Put module `name` in sys.modules with its code not yet run: the first name looked up
    in it that it lacks runs it, in place. recurring_ical_events imports x_wr_timezone,
    which imports click for its own command line; only a feed with X-WR-TIMEZONE needs
    any of it (see `_query`). (importlib's LazyLoader would run it on the import
    statement itself, which reads the module's __spec__.)"""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    loader = spec.loader
    module = importlib.util.module_from_spec(spec)

    def run_then_get(attr: str) -> Any:
        del module.__dict__["__getattr__"]
        loader.exec_module(module)
        return getattr(module, attr)

    module.__dict__["__getattr__"] = run_then_get
    sys.modules[name] = module


_load_on_first_use("x_wr_timezone")
import recurring_ical_events  # noqa: E402  (after the line above, which it depends on)

MAX_PER_SERIES = 500  # instances of one series read inside the window
MAX_COUNT = 20_000  # a series with a COUNT up to this is expanded as it is
_CADENCE_DAYS = {"DAILY": 1.0, "WEEKLY": 7.0, "MONTHLY": 30.4, "YEARLY": 365.0}


def rules(comp: Any) -> list[Any]:
    """RRULE values; several RRULE lines (old but legal) come back from icalendar as a list."""
    rule = comp.get("RRULE")
    found = rule if isinstance(rule, list) else [rule] if rule else []
    return [r for r in found if hasattr(r, "get")]


_SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600}
_FULL = (("BYHOUR", 24, ("HOURLY", "MINUTELY", "SECONDLY")),
         ("BYMINUTE", 60, ("MINUTELY", "SECONDLY")),
         ("BYSECOND", 60, ("SECONDLY",)))


def _interval(rule: Any) -> int:
    try:
        return max(1, int((rule.get("INTERVAL") or [1])[0]))
    except (TypeError, ValueError):
        return 1


def per_day(rule: Any) -> int:
    """At most how many instances the rule makes in one day, from the rule itself: each
    BYHOUR, BYMINUTE and BYSECOND value multiplies (a rule finer than the unit sweeps it
    whole), a sub-daily FREQ's INTERVAL divides, BYSETPOS can only pick fewer."""
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    n = 1
    for key, full, sweeping in _FULL:
        values = rule.get(key) or []
        n *= len(values) if values else (full if freq in sweeping else 1)
    if freq in _SECONDS:
        n = min(n, math.ceil(86400 / (_SECONDS[freq] * _interval(rule))))
    else:
        setpos = rule.get("BYSETPOS") or []
        if setpos and freq == "DAILY":
            n = min(n, len(setpos))
    return max(1, n)


def _dense(comp: Any) -> bool:
    return any(per_day(r) > 1 for r in rules(comp))


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
           end: datetime, calendar: str, warnings: list[str],
           wr_timezone: Any = None) -> list[Any]:
    """Every instance of every event in [start, end); one broken series costs only itself,
    and a series with more than MAX_PER_SERIES instances there is read capped: its last
    ones, nearest the window's end (the upcoming ones are what a digest needs).
    wr_timezone: the feed's X-WR-TIMEZONE, where Google says its UTC times are meant."""
    cal = _calendar(wr_timezone)
    dense = {uid for uid, comps in events_by_uid.items()
             if any(_dense(c) and "RECURRENCE-ID" not in c for c in comps)}
    cal.subcomponents = keep + [c for uid, comps in events_by_uid.items() if uid not in dense
                                for c in comps]
    try:
        found = list(_query(cal, skip_bad_series=True).between(start, end))
    except Exception:  # the library raises many types; find the culprit series by series
        found = []
        for uid, comps in events_by_uid.items():
            if uid not in dense:
                found.extend(_expand_one(keep, comps, uid, start, end, calendar, warnings,
                                         wr_timezone))
    for uid in dense:
        found.extend(_expand_dense(keep, events_by_uid[uid], uid, start, end, calendar,
                                   warnings, wr_timezone))
    return _cap(found, calendar, warnings)


def _expand_dense(keep: list[Any], comps: list[Any], uid: str, start: datetime,
                  end: datetime, calendar: str, warnings: list[str],
                  wr_timezone: Any = None) -> list[Any]:
    """A series that recurs more than daily, expanded only over the last part of the
    window that holds its last MAX_PER_SERIES instances: from the window's end back as
    far as that many take at the rule's densest, further back when the rule is sparser
    than that (BYDAY on an HOURLY rule), never before the window's start."""
    masters = [c for c in comps if _dense(c) and "RECURRENCE-ID" not in c]
    saved = [(c, c.get("DTSTART"), c.get("DTEND"), [dict(r) for r in rules(c)])
             for c in masters]
    densest = max(per_day(r) for c in masters for r in rules(c))
    span = timedelta(days=MAX_PER_SERIES / densest)
    while True:
        from_ = max(start, end - span)
        if not all(_bring_forward(c, from_) for c in masters):
            warnings.append(f"{calendar}: skipped event {uid}: it recurs more than daily in "
                            "a way manageup cannot read capped")
            return []
        found = _expand_one(keep, comps, uid, start, end, calendar, warnings, wr_timezone)
        if len(found) >= MAX_PER_SERIES or from_ <= start:
            return found
        for comp, dtstart, dtend, was in saved:  # back as the feed wrote it, then wider
            comp["DTSTART"] = dtstart
            if dtend is not None:
                comp["DTEND"] = dtend
            for rule, before in zip(rules(comp), was, strict=True):
                rule.clear()
                rule.update(before)
        span *= 4


def _query(cal: Any, skip_bad_series: bool = False) -> Any:
    """recurring_ical_events.of(cal), which first hands the calendar to
    x_wr_timezone.to_standard: that returns a calendar without X-WR-TIMEZONE unchanged, so
    for one the query is made directly and x_wr_timezone (and click) never load."""
    if cal.get("X-WR-TIMEZONE") is None:
        return recurring_ical_events.CalendarQuery(cal, skip_bad_series=skip_bad_series)
    return recurring_ical_events.of(cal, skip_bad_series=skip_bad_series)


def _calendar(wr_timezone: Any) -> Any:
    """An empty calendar to expand in, carrying the feed's X-WR-TIMEZONE: without it a
    weekly 10:00 New York series Google wrote in UTC moves to 09:00 in winter."""
    cal = icalendar.Calendar()
    if wr_timezone is not None:
        cal["X-WR-TIMEZONE"] = wr_timezone
    return cal


def _cap(found: list[Any], calendar: str, warnings: list[str]) -> list[Any]:
    by_uid: dict[str, list[Any]] = defaultdict(list)
    for ev in found:
        by_uid[str(ev.get("UID", "")).strip()].append(ev)
    out = []
    for uid, evs in by_uid.items():
        if len(evs) > MAX_PER_SERIES:
            evs.sort(key=lambda e: _sort_key(e.get("DTSTART")))
            evs = evs[-MAX_PER_SERIES:]
            warnings.append(f"{calendar}: event {uid} has more than {MAX_PER_SERIES} "
                            f"instances in the window; read only its last {MAX_PER_SERIES}")
        out.extend(evs)
    return out


def _sort_key(prop: Any) -> float:
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        return value.timestamp() if value.tzinfo else value.replace(tzinfo=UTC).timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
    return 0.0


def _bring_forward(comp: Any, from_: datetime) -> bool:
    """Bound the work of a series that recurs more than daily: move its DTSTART up to just
    before `from_` along its own grid (whole INTERVALs of its FREQ, so the instances are
    the same ones); the window's end then bounds it. Expanding FREQ=SECONDLY from 1990
    would otherwise take minutes and gigabytes, even lazily. False when the series
    cannot be moved like that (then it is skipped, and said so)."""
    found = rules(comp)
    dtstart = comp.get("DTSTART")
    first = getattr(dtstart, "dt", None)
    if len(found) != 1 or not isinstance(first, datetime):
        return False
    rule = found[0]
    count = rule.get("COUNT") or []
    try:
        if count and int(count[0]) <= MAX_COUNT:
            return True  # a COUNT this small bounds the work already
    except (TypeError, ValueError):
        return False
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    tz = first.tzinfo
    wall = first.replace(tzinfo=None)
    step = _step(freq, _interval(rule))
    if step is None:
        return False
    # Far enough back that no instance reaching into the window is lost, DST included.
    one = step if isinstance(step, timedelta) else timedelta(days=31 * step)
    margin = _length(comp, first) + one + timedelta(hours=2)
    target = (from_.astimezone(tz) if tz else from_).replace(tzinfo=None) - margin
    if target > wall:
        if isinstance(step, timedelta):
            moved = wall + (target - wall) // step * step
        else:
            if wall.day > 28:
                return False
            months = (target.year - wall.year) * 12 + target.month - wall.month
            moved = _add_months(wall, months // step * step)
        delta = moved - wall
        _set(comp, "DTSTART", first + delta)
        if "DTEND" in comp and isinstance(getattr(comp["DTEND"], "dt", None), datetime):
            _set(comp, "DTEND", comp["DTEND"].dt + delta)
        # A COUNT counted from the first DTSTART would reach past where the series
        # ends; one this large is read as no end at all.
        rule.pop("COUNT", None)
    return True


def _length(comp: Any, first: datetime) -> timedelta:
    end = getattr(comp.get("DTEND"), "dt", None)
    if isinstance(end, datetime):
        length = end - first
    else:
        length = getattr(comp.get("DURATION"), "dt", None) or timedelta(0)
    if not isinstance(length, timedelta):
        return timedelta(0)
    return min(max(length, timedelta(0)), timedelta(days=7))


def _step(freq: str, interval: int) -> timedelta | int | None:
    """One INTERVAL of the rule: a timedelta, or a number of months."""
    if freq in _SECONDS:
        return timedelta(seconds=_SECONDS[freq] * interval)
    if freq in ("DAILY", "WEEKLY"):
        return timedelta(days=(1 if freq == "DAILY" else 7) * interval)
    if freq in ("MONTHLY", "YEARLY"):
        return (1 if freq == "MONTHLY" else 12) * interval
    return None


def _add_months(when: datetime, months: int) -> datetime:
    total = when.month - 1 + months
    return when.replace(year=when.year + total // 12, month=total % 12 + 1)


def _set(comp: Any, prop: str, value: datetime) -> None:
    params = comp[prop].params
    comp[prop] = vDDDTypes(value)
    comp[prop].params = params  # keep its TZID exactly as the feed wrote it


def _expand_one(keep: list[Any], comps: list[Any], uid: str, start: datetime, end: datetime,
                calendar: str, warnings: list[str], wr_timezone: Any = None) -> list[Any]:
    one = _calendar(wr_timezone)
    one.subcomponents = keep + comps
    try:
        return list(_query(one).between(start, end))
    except Exception as e:  # one broken series must not cost the rest of the calendar
        warnings.append(f"{calendar}: skipped event {uid}: cannot expand ({e})")
        return []
