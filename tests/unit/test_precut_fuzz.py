"""Seeded random small feeds against the whole parse: the pre-cut (in chunks small
enough to cut at every awkward place: a fold, an LF-only event, a lower-case BEGIN) and
select find the same 1:1s, times, statuses and identities as parsing the whole feed, and
select(precut(feed)) is select(feed) byte for byte.

Each feed holds one to three of the boss's series (some written in an Outlook-style or a
custom TZID with its VTIMEZONE, some in UTC), their overrides (old or current RECURRENCE-
IDs, moved into or out of the window, cancelled, with RANGE=THISANDFUTURE, before the
master in the file), masters the parse refuses (RFC 5545 3.3.10: UNTIL must be a date),
and events that do not involve the boss. Seeds 156 (a refused master) and 158 (an
override with its UID written twice) found the last two defects the pre-cut had."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from manageup.sources.ics.precut import precut
from manageup.sources.ics.prefilter import select
from tests.unit.test_prefilter import WINDOW, answers, needles

# As the source cuts a feed (source.REDUCE_MARGIN, then a week before and 30 days after).
SINCE = WINDOW[0].date() - timedelta(days=9)
UNTIL = WINDOW[1].date() + timedelta(days=32)
NOW = datetime(2026, 11, 25, 10, 0)
ZONES = {"Europe/Berlin": "", "America/New_York": "",
         "(UTC+01:00) Amsterdam, Berlin": "+0100", "W. Europe Standard Time": "+0100",
         "Custom/Office": "+0500"}
BAD_MASTER = ["RRULE:FREQ=WEEKLY;UNTIL=2027", "DTSTART:20240101T090000Z", "DTEND:garbage",
              "RRULE:FREQ=WEEKLY;BYDAY=XX", "SEQUENCE:abc", "DURATION:PT30M",
              "RDATE:20261201T090000Z", "STATUS:CANCELLED"]
RULES = ["FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=DAILY",
         "FREQ=WEEKLY;UNTIL=20261201T000000Z", "FREQ=WEEKLY;COUNT=60"]


def _dt(d: datetime, tz: str | None) -> str:
    if tz is None:
        return ":" + d.strftime("%Y%m%dT%H%M%SZ")
    quoted = f'"{tz}"' if any(c in tz for c in ":;,") else tz
    return f";TZID={quoted}:" + d.strftime("%Y%m%dT%H%M%S")


def _any_day(r: random.Random) -> datetime:
    roll = r.random()
    if roll < 0.35:
        return NOW + timedelta(days=r.randint(-800, -140))
    return NOW + timedelta(days=r.randint(-125, 35) if roll < 0.7 else r.randint(35, 400))


def _event(r: random.Random, lines: list[str]) -> str:
    body = "\r\n".join(["BEGIN:VEVENT", *lines])
    if r.random() < 0.15:
        body += "\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\nEND:VALARM"
    return body + "\r\nEND:VEVENT"


def _override(r: random.Random, uid: str, start: datetime, step: int, tz: str | None,
              people: list[str], k: int) -> str:
    rid = start + timedelta(days=step * r.randint(0, 150))
    if r.random() < 0.5:
        rid = start + timedelta(days=step * ((NOW - start).days // step + r.randint(-25, 6)))
    moved = r.choice([rid, rid + timedelta(hours=2), _any_day(r), rid + timedelta(days=1)])
    lines = [f"UID:{uid}", "RECURRENCE-ID" + (";RANGE=THISANDFUTURE" if r.random() < 0.04
                                              else "") + _dt(rid, tz),
             "DTSTART" + _dt(moved, tz), "DTEND" + _dt(moved + timedelta(minutes=30), tz),
             f"SUMMARY:Alex / Sam 1:1 ({k})"]
    if r.random() < 0.3:
        lines.append("STATUS:CANCELLED")
    if r.random() < 0.7:
        lines += people
    if r.random() < 0.2:
        lines.append(f"SEQUENCE:{r.randint(0, 3)}")
    if r.random() < 0.1:
        lines.append(r.choice([
            "DTSTART" + _dt(_any_day(r), tz), "SEQUENCE:x", "UID:" + uid.upper(),
            "RECURRENCE-ID;VALUE=DATE:" + rid.strftime("%Y%m%d"), "DTEND;VALUE=DATE:20240101",
            "RRULE:FREQ=DAILY;COUNT=2", "EXDATE" + _dt(rid, tz), "DURATION:PT1H",
            "STATUS:TENTATIVE", "DTSTART:garbage"]))
    return _event(r, lines)


def _series(r: random.Random, n: int, tz: str | None) -> list[str]:
    uid = f"s{n}@example.com"
    start = NOW + timedelta(days=r.choice([-900, -400, -130, -20, 3]) + r.randint(0, 6))
    boss = "sam" if r.random() < 0.8 else "kim"
    people = [f"ORGANIZER:mailto:{boss}@example.com", "ATTENDEE:mailto:alex@example.com"]
    rule = r.choice(RULES)
    master = [f"UID:{uid}", "DTSTART" + _dt(start, tz),
              "DTEND" + _dt(start + timedelta(minutes=30), tz), f"RRULE:{rule}",
              "SUMMARY:Alex / Sam 1:1", *people]
    if r.random() < 0.3:
        master.append("EXDATE" + _dt(start + timedelta(weeks=r.randint(0, 80)), tz))
    if r.random() < 0.25:
        master.append(r.choice([*BAD_MASTER, "UID:" + uid.upper()]))
    step = 7 if "WEEKLY" in rule else 1
    events = [_override(r, uid, start, step, tz, people, k) for k in range(r.randint(0, 50))]
    events.insert(r.randint(0, len(events)) if r.random() < 0.4 else 0, _event(r, master))
    return events


def _noise(r: random.Random, n: int) -> str:
    d = _any_day(r)
    lines = [f"UID:n{n}@example.com", "DTSTART" + _dt(d, None),
             "DTEND" + _dt(d + timedelta(hours=1), None),
             f"SUMMARY:Noise {n} " + "x" * r.randint(0, 120), "ATTENDEE:mailto:kim@example.com"]
    if r.random() < 0.1:
        lines.append("ATTENDEE:mailto:sam@example.com")
    return _event(r, lines)


def _fold(r: random.Random, text: str) -> str:
    out = []
    for line in text.split("\r\n"):
        while len(line) > 20 and r.random() < 0.2:
            cut = r.randint(1, min(len(line) - 1, 74))
            out.append(line[:cut])
            line = " " + line[cut:]
        out.append(line)
    return "\r\n".join(out)


def _zones() -> list[str]:
    return [f"BEGIN:VTIMEZONE\r\nTZID:{name}\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
            f"TZOFFSETFROM:{off}\r\nTZOFFSETTO:{off}\r\nEND:STANDARD\r\nEND:VTIMEZONE"
            for name, off in ZONES.items() if off]


def feed(seed: int) -> tuple[bytes, int]:
    """A random small feed, and the chunk size to cut it in."""
    r = random.Random(seed)
    events: list[str] = []
    for n in range(r.randint(1, 3)):
        events.extend(_series(r, n, r.choice([*ZONES, None])))
    for n in range(r.randint(5, 40)):
        events.insert(r.randint(0, len(events)), _noise(r, n))
    text = _fold(r, "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fuzz//EN",
                                 *_zones(), *events, "END:VCALENDAR"]) + "\r\n")
    if r.random() < 0.3:
        text = text.replace("\r\n", "\n")
    elif r.random() < 0.3:  # some events LF only
        text = "BEGIN:VEVENT".join(p.replace("\r\n", "\n") if r.random() < 0.3 else p
                                   for p in text.split("BEGIN:VEVENT"))
    if r.random() < 0.2:
        text = text.replace("\n ", "\n\t")
    if r.random() < 0.15:
        text = text.replace("BEGIN:VEVENT", r.choice(["begin:vevent", "Begin:VEvent"]),
                            r.randint(1, 3))
    return text.encode(), r.choice([200, 500, 1000, 4000])


@pytest.mark.parametrize("seed", [*range(20), 156, 158, 361, 683])
def test_seeded_feeds_cut_as_the_whole_parse_reads_them(seed: int) -> None:
    data, chunk = feed(seed)
    cut = precut(data, needles(), chunk=chunk, min_size=0, since=SINCE, until=UNTIL,
                 thin_min=2)
    fast = select(cut or data, needles(), SINCE, UNTIL)[0]
    assert fast == select(data, needles(), SINCE, UNTIL)[0]
    assert answers(fast) == answers(data)
