"""Why an event did not count as a 1:1 with the boss, and whom the user does meet.

detect.py decides; this module only explains its decisions to the user: the near misses of
`meetings --explain`, the likely cause when no 1:1 is found at all, and the people met most
in recurring two-person meetings (for `init --suggest-boss` and as a hint after a typo).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from manageup.config import Config
from manageup.detect import detect, judge, lost, people
from manageup.model import Match, Occurrence, address
from manageup.names import display_name
from manageup.words import plural


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
            out += [f"  {p.email}{f' ({p.name})' if p.name else ''}: {plural(p.count, 'meeting')}, "
                    f"e.g. {p.title!r}" for p in self.partners]
        return out


def _names(occ: Occurrence) -> dict[str, str]:
    who = [*occ.attendees, *([occ.organizer] if occ.organizer else [])]
    return {address(p.email): display_name(p.name) for p in who if display_name(p.name)}


def recurring_partners(occurrences: Iterable[Occurrence], me: Iterable[str],
                       exclude: Iterable[str] = (), limit: int = 5) -> list[Partner]:
    """The people met most in recurring meetings of exactly two (rooms not counted), with
    how often; cancelled, declined and all-day ones left out. `me`: the user's addresses
    (any of them, as detection knows the user)."""
    mine = frozenset(address(a) for a in me)
    skip = {address(e) for e in exclude}
    counts: Counter[str] = Counter()
    titles: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    for occ in occurrences:
        recurring = occ.cadence_days is not None or occ.original_start is not None
        if not recurring or occ.all_day or lost(occ, mine):
            continue
        everyone = people(occ)
        others = everyone - mine
        if len(everyone) != 2 or len(others) != 1:
            continue
        (other,) = others
        if other in skip:
            continue
        counts[other] += 1
        titles.setdefault(other, Counter())[occ.title] += 1
        names.setdefault(other, _names(occ).get(other, ""))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [Partner(e, names[e], n, titles[e].most_common(1)[0][0]) for e, n in ranked]


# A personal entry this close to an invited 1:1 is likely the user's own block around it.
PREP_GAP = timedelta(hours=4)


def _gap(minutes: int) -> str:
    h, m = divmod(abs(minutes), 60)
    span = " ".join(filter(None, [f"{h} hour{'s' * (h != 1)}" if h else "",
                                  f"{m} minute{'s' * (m != 1)}" if m else ""]))
    return "at the same time as" if not minutes else \
        f"{span} {'before' if minutes < 0 else 'after'}"


def prep_hints(matches: Sequence[Match], config: Config) -> list[str]:
    """Personal entries (no attendees) counted as 1:1s that sit within PREP_GAP of an
    invitation-based 1:1 with the boss, once per title: likely the user's own prep block,
    counted as a second series until its title is in detect.exclude."""
    invited = [m.occurrence for m in matches
               if m.occurrence.attendees and people(m.occurrence) & config.boss_addresses]
    out, seen = [], set()
    for m in matches:
        occ = m.occurrence
        if occ.attendees or occ.title in seen:
            continue
        near = min(invited, key=lambda o: abs(o.start - occ.start), default=None)
        if near is None or abs(near.start - occ.start) > PREP_GAP:
            continue
        seen.add(occ.title)
        minutes = round((occ.start - near.start).total_seconds() / 60)
        out.append(f"note: {occ.title!r} ({occ.start:%a %d %b %H:%M}) is an entry of your "
                   f"own, with no attendees, {_gap(minutes)} your 1:1 {near.title!r}; if it "
                   "is not a 1:1, add its title to detect.exclude (under [detect]: exclude "
                   f"= [{json.dumps(occ.title, ensure_ascii=False)}]).")
    return out


def why_not(occ: Occurrence, config: Config) -> str:
    """Why detect left out an event that has the boss in it or a 1:1 title."""
    return judge(occ, config).why_not or "it does not fit the 1:1 rule"


def near_misses(occurrences: Iterable[Occurrence], config: Config,
                now: datetime) -> list[NearMiss]:
    """Upcoming events with the boss or a 1:1 title that did not count, with why not."""
    out = []
    for occ in occurrences:
        if occ.start <= now or occ.start > now + config.detect.lookahead:
            continue
        verdict = judge(occ, config)
        if verdict.near and not verdict.counts:
            out.append(NearMiss(occ, verdict.why_not or "it does not fit the 1:1 rule"))
    return out


def _nobody(occurrences: Sequence[Occurrence], addresses: str, since: datetime,
            until: datetime, warnings: Sequence[str]) -> str:
    """The boss is in no event read. boss.email is to blame only when the calendars were
    read whole: a skipped event, or no event at all, points at the feed instead."""
    span = f"from {since:%d %b %Y} to {until:%d %b %Y}"
    skipped = sum("skipped" in w for w in warnings)
    if skipped:
        return (f"No 1:1 found: your boss's address ({addresses}) appears in no event "
                f"read {span}, but {plural(skipped, 'part')} of the calendars could not "
                "be read; the warnings name them, and the 1:1 may be one of them.")
    if not occurrences:
        return (f"No 1:1 found: no event at all was read {span}. Check calendars (path "
                "or url) names the calendar your 1:1s are in, and that it is not empty.")
    return (f"No 1:1 found: your boss's address ({addresses}) appears in no event {span}. "
            "Check boss.email and boss.aliases for a typo or an old address.")


def diagnose(occurrences: Sequence[Occurrence], config: Config, now: datetime,
             warnings: Sequence[str] = ()) -> Diagnosis | None:
    """None when a 1:1 lies ahead; otherwise the likely cause and people met one to one.
    `warnings`: what reading the calendars said; a part it skipped may hold the boss."""
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
    partners = tuple(recurring_partners(occurrences, config.me_addresses, exclude=boss))
    addresses = ", ".join(sorted(boss))
    since = now - timedelta(days=config.detect.history_days)
    with_boss = [o for o in occurrences if people(o) & boss]
    if not with_boss:
        return Diagnosis(_nobody(occurrences, addresses, since,
                                 now + config.detect.lookahead, warnings), partners)
    reasons = Counter(why_not(o, config) for o in with_boss)
    sizes = [len(people(o)) for o in with_boss]
    if all(n > config.detect.max_attendees for n in sizes):
        cause = (f"No 1:1 found: your boss ({addresses}) appears only in meetings of "
                 f"{min(sizes)} or more people (a 1:1 has at most "
                 f"{config.detect.max_attendees}, detect.max_attendees).")
    else:
        why, n = reasons.most_common(1)[0]
        cause = (f"No 1:1 found: {plural(len(with_boss), 'event')} "
                 f"{'has' if len(with_boss) == 1 else 'have'} your boss in them, but none "
                 f"counts; most often because: {why} ({n}). `manageup meetings --explain` "
                 "lists them.")
    return Diagnosis(cause, partners)
