"""Which occurrences are 1:1s with the boss, and why."""

from __future__ import annotations

import re
from collections.abc import Iterable

from manageup.config import Config
from manageup.model import Match, Occurrence, Person


def _pattern(p: str) -> re.Pattern[str]:
    # "1:1" must not match inside "21:15"; a pattern is a whole token, not a substring.
    return re.compile(rf"(?<![\w:]){re.escape(p)}(?![\w:])", re.IGNORECASE)


def _name(n: str) -> re.Pattern[str]:
    # A whole word, but a colon may follow or precede it: "Sam: 1:1" names Sam.
    return re.compile(rf"(?<!\w){re.escape(n)}(?!\w)", re.IGNORECASE)


def boss_names(config: Config) -> list[str]:
    names = []
    full = config.boss.name.strip()
    if full:
        names.append(full)
        names.append(full.split()[0])
    names.extend(a.split("@")[0] for a in config.boss_addresses)
    return [n for n in dict.fromkeys(names) if len(n) >= 2]


def boss_set(config: Config) -> frozenset[str]:
    """The boss's addresses, casefolded as the sources casefold addresses."""
    return frozenset(a.casefold() for a in config.boss_addresses)


def _people(occ: Occurrence) -> set[str]:
    people = {p.email.casefold() for p in occ.attendees if not p.is_resource}
    if occ.organizer and not occ.organizer.is_resource:
        people.add(occ.organizer.email.casefold())
    return people


def _is_me(person: Person, config: Config) -> bool:
    return person.is_me or person.email.casefold() in config.me_addresses


def takes_part(occ: Occurrence, config: Config) -> bool:
    """The user is organizer or attendee (under any of their addresses, or marked by a
    source that knows them), or the event has no attendees: a personal entry. The boss's
    1:1 with a peer on a shared calendar is not the user's."""
    if not occ.attendees:
        return True
    return any(_is_me(p, config) for p in (*occ.attendees, *filter(None, [occ.organizer])))


def my_partstat(occ: Occurrence, config: Config) -> str:
    for p in occ.attendees:
        if _is_me(p, config):
            return p.partstat
    return "ACCEPTED"


def shape_reason(occ: Occurrence, config: Config) -> str | None:
    """Why this looks like a 1:1 with the boss, ignoring whether it is cancelled or declined."""
    if occ.all_day or not takes_part(occ, config):
        return None
    boss = boss_set(config)
    people = _people(occ)
    present = people & boss
    who = sorted(present)[0] if present else ""
    organizer_is_boss = bool(occ.organizer and occ.organizer.email.casefold() in boss)
    # The boss under two addresses is still one person.
    count = len(people - boss) + (1 if present else 0)
    if present and count <= config.detect.max_attendees:
        role = "organizer" if organizer_is_boss else "attendee"
        return f"boss ({who}) is {role}, {count} people"
    hit = next((p for p in config.detect.title_patterns if _pattern(p).search(occ.title)), None)
    if hit is None:
        return None
    if present:
        return f"title has {hit!r} and the boss ({who}) attends"
    others = {p.email.casefold() for p in (*occ.attendees, *filter(None, [occ.organizer]))
              if not p.is_resource and not _is_me(p, config)}
    if others:
        return None  # a 1:1 with someone else, e.g. one of the user's own reports
    name = next((n for n in boss_names(config) if _name(n).search(occ.title)), None)
    if name:
        return f"title has {hit!r} and names the boss ({name})"
    return None


def excluded_because(occ: Occurrence, config: Config) -> str | None:
    if occ.status == "CANCELLED":
        return "cancelled"
    if my_partstat(occ, config) == "DECLINED":
        return "declined"
    return None


def detect(occurrences: Iterable[Occurrence], config: Config) -> list[Match]:
    """The 1:1s with the boss that still take place, each with the reason it matched."""
    matches = []
    for occ in occurrences:
        reason = shape_reason(occ, config)
        if reason and not excluded_because(occ, config):
            matches.append(Match(occ, reason))
    return matches
