"""Turning command-line text into values; each mistake is a UsageError naming the option."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from manageup.errors import UsageError

NOW_RANGE = (1971, 9000)  # a cycle looks years back and ahead; datetime ends at 9999


def parse_now(text: str | None, zone: ZoneInfo) -> datetime:
    if not text:
        return datetime.now(zone)
    try:
        dt = datetime.fromisoformat(text)
        dt = dt.replace(tzinfo=zone) if dt.tzinfo is None else dt.astimezone(zone)
    except ValueError:
        raise UsageError(f"--now {text!r}: expected ISO-8601, e.g. 2026-11-23T09:00 or "
                         "2026-11-23T09:00+01:00") from None
    except OverflowError:
        dt = datetime.min.replace(tzinfo=zone)
    if not NOW_RANGE[0] <= dt.year < NOW_RANGE[1]:
        raise UsageError(f"--now {text!r}: use a time between the years {NOW_RANGE[0]} and "
                         f"{NOW_RANGE[1]}")
    return dt


DUE_FORMS = "a date like 2026-12-01, today, tomorrow, a weekday (friday) or +3d (+2w)"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(word: str) -> int | None:
    """"fri", "Friday": its number (Monday 0); three letters at least, so "s" is no day."""
    if len(word) < 3:
        return None
    return next((n for n, day in enumerate(_WEEKDAYS) if day.startswith(word)), None)


def parse_due(text: str, today: date) -> date:
    """A due date as people say it. A weekday is the next one after today ("friday" said on
    a Friday means a week ahead: today is `today`)."""
    t = text.strip().lower()
    if t == "today":
        return today
    if t == "tomorrow":
        return today + timedelta(days=1)
    day = _weekday(t)
    if day is not None:
        return today + timedelta(days=(day - today.weekday() - 1) % 7 + 1)
    m = re.fullmatch(r"\+(\d+)([dw])", t)
    if m:
        try:
            return today + timedelta(days=int(m.group(1)) * (7 if m.group(2) == "w" else 1))
        except OverflowError:
            raise UsageError(f"--due {text!r}: too far ahead; give a date before 9999") \
                from None
    try:
        return date.fromisoformat(t)
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):  # the form of a date, but not one
            raise UsageError(f"--due {text!r}: no such date") from None
        raise UsageError(f"--due {text!r}: expected {DUE_FORMS}") from None


_DUE = re.compile(r"(?:^|\s)--due(?:=|\s+)(\S+)")


def split_due(text: str, today: date) -> tuple[str, date | None]:
    """`Send the deck --due friday`, as typed at `new:` or given to `--add`: the text and
    its date, read as `add --due` reads it (a weekday, +3d, an ISO date, ...)."""
    m = _DUE.search(text)
    if m is None:
        return text, None
    return f"{text[:m.start()].rstrip()} {text[m.end():].lstrip()}".strip(), \
        parse_due(m.group(1), today)
