"""Why an event did not count as a 1:1 with the boss, and whom the user does meet.

detect.py decides; this module only explains its decisions to the user: the near misses of
`meetings --explain`, the likely cause when no 1:1 is found at all, and the people met most
in recurring two-person meetings (for `init --suggest-boss` and as a hint after a typo).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from manageup.config import Config
from manageup.cycle import Gathered
from manageup.detect import detect
from manageup.model import Occurrence


@dataclass(frozen=True)
class Partner:
    """Someone the user meets in a recurring meeting of just the two of them."""

    email: str
    name: str
    count: int  # occurrences in the window read
    title: str  # the most frequent title, to recognise the series


@dataclass(frozen=True)
class NearMiss:
    occurrence: Occurrence
    why_not: str


@dataclass(frozen=True)
class Diagnosis:
    """No 1:1 found: the likely cause, and who else the user meets one to one."""

    cause: str
    partners: tuple[Partner, ...]

    def lines(self) -> list[str]:
        out = [self.cause]
        if self.partners:
            out.append("You meet these people in recurring two-person meetings; is one of "
                        "them your boss (boss.email, or add it to boss.aliases)?")
            out += [f"  {p.email}{f' ({p.name})' if p.name else ''}: {p.count} meeting(s), "
                    f"e.g. {p.title!r}" for p in self.partners]
        return out


def _people(occ: Occurrence) -> set[str]:
    people = {p.email.lower() for p in occ.attendees if not p.is_resource}
    if occ.organizer and not occ.organizer.is_resource:
        people.add(occ.organizer.email.lower())
    return people


def _declined(occ: Occurrence, me: str) -> bool:
    return any(p.email.lower() == me and p.partstat == "DECLINED" for p in occ.attendees)


def _names(occ: Occurrence) -> dict[str, str]:
    people = [*occ.attendees, *([occ.organizer] if occ.organizer else [])]
    return {p.email.lower(): p.name for p in people if p.name}


def recurring_partners(occurrences: Iterable[Occurrence], me: str,
                       exclude: Iterable[str] = (), limit: int = 5) -> list[Partner]:
    """The people met most in recurring meetings of exactly two (rooms not counted), with
    how often; cancelled, declined and all-day ones left out."""
    me = me.strip().lower()
    skip = {e.lower() for e in exclude} | {me}
    counts: Counter[str] = Counter()
    titles: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    for occ in occurrences:
        recurring = occ.cadence_days is not None or occ.original_start is not None
        if not recurring or occ.all_day or occ.status == "CANCELLED" or _declined(occ, me):
            continue
        people = _people(occ)
        if len(people) != 2 or me not in people:
            continue
        (other,) = people - {me}
        if other in skip:
            continue
        counts[other] += 1
        titles.setdefault(other, Counter())[occ.title] += 1
        names.setdefault(other, _names(occ).get(other, ""))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [Partner(e, names[e], n, titles[e].most_common(1)[0][0]) for e, n in ranked]


def _title_hit(config: Config, title: str) -> str | None:
    # The same whole-token rule as detect: "1:1" must not match inside "21:15".
    for p in config.detect.title_patterns:
        if re.search(rf"(?<![\w:]){re.escape(p)}(?![\w:])", title, re.IGNORECASE):
            return p
    return None


def why_not(occ: Occurrence, config: Config) -> str:
    """Why detect left out an event that has the boss in it or a 1:1 title."""
    me = config.me.email.strip().lower()
    boss = config.boss_addresses
    people = _people(occ)
    if occ.all_day:
        return "all-day event"
    if occ.status == "CANCELLED":
        return "cancelled"
    if _declined(occ, me):
        return "you declined it"
    if people and me not in people:
        return "you are not taking part (not organizer or attendee)"
    present = people & boss
    count = len(people - boss) + (1 if present else 0)
    if present and count > config.detect.max_attendees:
        return (f"{count} people take part; a 1:1 has at most "
                f"{config.detect.max_attendees} (detect.max_attendees)")
    others = sorted(people - boss - {me})
    if not present and others:
        return f"your boss is not in it; it is with {', '.join(others[:3])}"
    if not present:
        return "your boss is not invited and the title does not name them"
    return "it does not fit the 1:1 rule"


def near_misses(occurrences: Iterable[Occurrence], config: Config,
                now: datetime) -> list[NearMiss]:
    """Upcoming events with the boss or a 1:1 title that did not count, with why not."""
    boss = config.boss_addresses
    out = []
    for occ in occurrences:
        if occ.start <= now or occ.start > now + config.detect.lookahead:
            continue
        if not (_people(occ) & boss or _title_hit(config, occ.title)):
            continue
        if detect([occ], config):
            continue
        out.append(NearMiss(occ, why_not(occ, config)))
    return out


def diagnose(occurrences: Sequence[Occurrence], config: Config,
             now: datetime) -> Diagnosis | None:
    """None when a 1:1 lies ahead; otherwise the likely cause and people met one to one."""
    found = detect(occurrences, config)
    if any(m.occurrence.start > now for m in found):
        return None
    days = config.detect.lookahead.days
    if found:
        last = found[-1].occurrence.start
        return Diagnosis(f"No 1:1 with your boss in the next {days} days; the last one was "
                         f"on {last:%a %d %b}. None is scheduled yet, or it was moved "
                         "out of the window.", ())
    boss = config.boss_addresses
    partners = tuple(recurring_partners(occurrences, config.me.email, exclude=boss))
    addresses = ", ".join(sorted(boss))
    since = now - timedelta(days=config.detect.history_days)
    with_boss = [o for o in occurrences if _people(o) & boss]
    if not with_boss:
        cause = (f"No 1:1 found: your boss's address ({addresses}) appears in no event "
                 f"from {since:%d %b %Y} to {now + config.detect.lookahead:%d %b %Y}. "
                 "Check boss.email and boss.aliases for a typo or an old address.")
        return Diagnosis(cause, partners)
    reasons = Counter(why_not(o, config) for o in with_boss)
    sizes = [len(_people(o)) for o in with_boss]
    if all(n > config.detect.max_attendees for n in sizes):
        cause = (f"No 1:1 found: your boss ({addresses}) appears only in meetings of "
                 f"{min(sizes)} or more people (a 1:1 has at most "
                 f"{config.detect.max_attendees}, detect.max_attendees).")
    else:
        why, n = reasons.most_common(1)[0]
        cause = (f"No 1:1 found: {len(with_boss)} event(s) have your boss in them, but none "
                 f"counts; most often because: {why} ({n}). `manageup meetings --explain` "
                 "lists them.")
    return Diagnosis(cause, partners)



def read_everything(config: Config, now: datetime) -> Gathered:
    """Every event in the cycle's window. An .ics feed is read past the fast path, which
    keeps only what may be a 1:1 with the boss as configured: the very thing in question.
    Fails, as `meetings` does, when no calendar could be read: "no 1:1 found" would then
    blame boss.email for a calendar that was never read."""
    from manageup.cycle import make_sources
    from manageup.pipeline import read_calendars
    from manageup.sources import Source
    from manageup.sources.ics import IcsSource

    sources: list[Source] = [IcsSource(cal) if cal.type == "ics" else s for cal, s in
                             zip(config.calendars, make_sources(config, readonly=True),
                                 strict=True)]
    return read_calendars(config, now, sources)


def why_none(config: Config, now: datetime, seen: Gathered | None = None,
             complete: bool = False) -> Diagnosis | None:
    """None when a 1:1 lies ahead; otherwise why not. `seen` is what the cycle read: when
    it holds earlier 1:1s it answers; otherwise the calendars are read in full (unless
    `complete` says `seen` is that already), since the fast path keeps only what matches
    the configuration in question."""
    if seen is not None and (complete or detect(seen.occurrences, config)):
        return diagnose(seen.occurrences, config, now)
    return diagnose(read_everything(config, now).occurrences, config, now)
