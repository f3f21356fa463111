"""Realistic large feeds: a long-time user's Exchange or Google export.

A weekly 1:1 with the boss over five years (moved, cancelled and EXDATE'd instances),
other long-running series with overrides, and single meetings with colleagues, a few
percent of them with the boss. Several VTIMEZONEs, folded long lines, mixed-case
addresses and the boss's old alias now and then. Deterministic for a given size.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

ZONES = {
    "Europe/Berlin": ("+0100", "+0200", "CET", "CEST"),
    "America/New_York": ("-0500", "-0400", "EST", "EDT"),
    "Australia/Sydney": ("+1100", "+1000", "AEDT", "AEST"),
    "Asia/Kolkata": ("+0530", "+0530", "IST", "IST"),
}
BOSS = ["sam@example.com", "Sam@Example.com", "sam.rivera@old-domain.example"]
ME = "alex@example.com"
VERSION = 2  # part of the file name: a changed generator never reuses an old feed
WORDS = [
    "roadmap", "budget", "review", "sync", "planning", "incident", "retro", "hiring", "design",
    "launch", "vendor", "migration", "security", "quarterly", "onboarding", "customer",
    "metrics", "offsite", "training",
]


def fold(line: str) -> str:
    raw = line.encode()
    if len(raw) <= 75:
        return line + "\r\n"
    parts, i = [], 0
    while i < len(raw):
        n = 75 if i == 0 else 74
        chunk = raw[i:i + n]
        while True:  # never split a UTF-8 character
            try:
                parts.append(chunk.decode())
                break
            except UnicodeDecodeError:
                chunk = chunk[:-1]
        i += len(chunk)
    return "\r\n ".join(parts) + "\r\n"


def vtimezones() -> str:
    out = []
    for tz, (std, dst, sn, dn) in ZONES.items():
        out += ["BEGIN:VTIMEZONE", f"TZID:{tz}",
                "BEGIN:STANDARD", "DTSTART:19701025T030000", f"TZOFFSETFROM:{dst}",
                f"TZOFFSETTO:{std}", f"TZNAME:{sn}", "END:STANDARD",
                "BEGIN:DAYLIGHT", "DTSTART:19700329T020000", f"TZOFFSETFROM:{std}",
                f"TZOFFSETTO:{dst}", f"TZNAME:{dn}", "END:DAYLIGHT", "END:VTIMEZONE"]
    return "\r\n".join(out) + "\r\n"


def event(uid: str, start: datetime, minutes: int, summary: str, organizer: str,
          attendees: list[str], rng: random.Random, tz: str = "Europe/Berlin",
          extra: list[str] | None = None) -> str:
    desc = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40)))
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z",
             f"DTSTART;TZID={tz}:{start:%Y%m%dT%H%M%S}",
             f"DTEND;TZID={tz}:{start + timedelta(minutes=minutes):%Y%m%dT%H%M%S}",
             f"SUMMARY:{summary}", f"DESCRIPTION:{desc}",
             f"ORGANIZER;CN=Organizer:mailto:{organizer}"]
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{a}" for a in attendees]
    # What an Exchange export adds to every event: the size of a real 20k-event feed
    # (about 15 MB) comes mostly from lines like these.
    lines += ["X-MICROSOFT-CDO-BUSYSTATUS:BUSY", "X-MICROSOFT-CDO-IMPORTANCE:1",
              "X-MICROSOFT-DISALLOW-COUNTER:FALSE", "TRANSP:OPAQUE", "SEQUENCE:0",
              "CLASS:PUBLIC", "PRIORITY:5", f"LOCATION:Room {rng.randint(1, 40)}"]
    lines += extra or []
    lines.append("END:VEVENT")
    return "".join(fold(line) for line in lines)


def boss_series(rng: random.Random) -> list[str]:
    start = datetime(2022, 1, 6, 10, 0)
    uid = "boss-weekly-1on1@example.com"
    weeks = [start + timedelta(weeks=i) for i in range(5 * 52)]
    exdates = rng.sample(weeks[:-10], 10)
    moved = rng.sample([w for w in weeks if w not in exdates], 20)
    cancelled = rng.sample([w for w in weeks if w not in exdates and w not in moved], 10)
    att = [BOSS[0], ME]
    blocks = [event(uid, start, 30, "Alex / Sam 1:1", BOSS[0], att, rng, extra=[
        "RRULE:FREQ=WEEKLY;BYDAY=TH",
        *(f"EXDATE;TZID=Europe/Berlin:{d:%Y%m%dT%H%M%S}" for d in exdates)])]
    for w in moved:
        # The override's own text names only an alias in mixed case, or nobody at all.
        who = rng.choice([[], [BOSS[1]], [BOSS[2]]])
        blocks.append(event(uid, w + timedelta(days=1, hours=3), 30, "Alex / Sam 1:1 (moved)",
                            ME, [*who, ME], rng, extra=[
                                f"RECURRENCE-ID;TZID=Europe/Berlin:{w:%Y%m%dT%H%M%S}"]))
    for w in cancelled:
        blocks.append(event(uid, w, 30, "Alex / Sam 1:1", BOSS[0], att, rng, extra=[
            f"RECURRENCE-ID;TZID=Europe/Berlin:{w:%Y%m%dT%H%M%S}", "STATUS:CANCELLED"]))
    return blocks


def generate(n: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    people = [f"person{i}@example.com" for i in range(300)]
    blocks = boss_series(rng)
    # Long-running series with overrides: stand-ups, reviews, a master whose override
    # mentions the boss while the series does not.
    n_series = max(5, n // 100)
    for s in range(n_series):
        uid = f"series-{s}@example.com"
        tz = rng.choice(list(ZONES))
        start = datetime(2021 + s % 5, 1 + s % 12, 1 + s % 27, 8 + s % 9, 0)
        att = [*rng.sample(people, rng.randint(2, 8)), ME]
        freq = rng.choice(["WEEKLY;BYDAY=MO", "WEEKLY;BYDAY=TU,TH", "DAILY;BYDAY=MO,TU,WE,TH,FR",
                           "MONTHLY;BYMONTHDAY=3"])
        blocks.append(event(uid, start, 30, f"{rng.choice(WORDS).title()} sync", att[0], att,
                            rng, tz, extra=[f"RRULE:FREQ={freq}"]))
        for k in range(rng.randint(0, 4)):
            rid = start + timedelta(weeks=rng.randint(1, 200))
            guests = att + ([BOSS[0]] if k == 0 and s % 40 == 0 else [])
            blocks.append(event(uid, rid + timedelta(hours=2), 30, "Moved sync", att[0],
                                guests, rng, tz,
                                extra=[f"RECURRENCE-ID;TZID={tz}:{rid:%Y%m%dT%H%M%S}"]))
    i = 0
    while len(blocks) < n:
        i += 1
        day = datetime(2021, 1, 1, 8) + timedelta(hours=rng.randint(0, 6 * 365 * 24))
        roll = rng.random()
        if roll < 0.02:  # a 1:1 with the boss outside the series, by another address
            att, title = [rng.choice(BOSS), ME], "Quick sync"
        elif roll < 0.04:  # a meeting the boss joins with many people: not a 1:1
            att, title = [BOSS[0], ME, *rng.sample(people, 4)], "Planning"
        elif roll < 0.06:  # a 1:1 with one of the user's reports: not the boss
            att, title = [rng.choice(people), ME], "1:1 with report"
        else:
            att, title = [*rng.sample(people, rng.randint(1, 3)), ME], \
                f"{rng.choice(WORDS).title()} {rng.choice(WORDS)}"
        blocks.append(event(f"single-{i}@example.com", day, rng.choice([30, 45, 60]), title,
                            att[0], att, rng, rng.choice(list(ZONES))))
    rng.shuffle(blocks)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//manageup bench//EN\r\n"
            + vtimezones() + "".join(blocks[:n]) + "END:VCALENDAR\r\n")


def overrides(n: int, seed: int = 7) -> str:
    """The override-heavy shape (issue 29.1): the boss's daily 1:1 and n - 1 moved or
    cancelled single instances of it, one for every day it ran, up to weeks after the
    benchmark's Monday; the events as large as generate's, so the two compare by size."""
    rng = random.Random(seed)
    uid = "boss-daily-1on1@example.com"
    last = datetime(2027, 1, 31, 10, 0)
    start = last - timedelta(days=n - 2)
    att = [BOSS[0], ME]
    blocks = [event(uid, start, 30, "Alex / Sam 1:1", BOSS[0], att, rng,
                    extra=["RRULE:FREQ=DAILY"])]
    for d in range(n - 1):
        was = start + timedelta(days=d)
        rid = f"RECURRENCE-ID;TZID=Europe/Berlin:{was:%Y%m%dT%H%M%S}"
        if rng.random() < 0.05:
            blocks.append(event(uid, was, 30, "Alex / Sam 1:1", BOSS[0], att, rng,
                                extra=[rid, "STATUS:CANCELLED"]))
            continue
        moved = was + rng.choice([timedelta(hours=-2), timedelta(hours=1), timedelta(hours=3),
                                  timedelta(days=1)])
        who = rng.choice([[], [BOSS[1]], [BOSS[2]], [BOSS[0]]])
        blocks.append(event(uid, moved, 30, "Alex / Sam 1:1 (moved)", ME, [*who, ME], rng,
                            extra=[rid]))
    rng.shuffle(blocks)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//manageup bench//EN\r\n"
            + vtimezones() + "".join(blocks) + "END:VCALENDAR\r\n")


SHAPES = {"": generate, "overrides-": overrides}


def feed(n: int, folder: Path, shape: str = "") -> Path:
    """shape: "" for generate's, "overrides-" for the override-heavy one."""
    path = folder / f"feed-{VERSION}-{shape}{n}.ics"
    if not path.exists():  # written whole or not at all: a stopped run leaves no half feed
        tmp = path.with_suffix(".tmp")
        tmp.write_text(SHAPES[shape](n), encoding="utf-8")
        tmp.replace(path)
    return path


if __name__ == "__main__":
    import sys

    print(feed(int(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:]))
