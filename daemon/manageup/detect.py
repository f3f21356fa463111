"""Which occurrences are 1:1s with the boss, and why, or why not (DESIGN, "Detection").

`judge` is the one place the rule is written. Everything that needs an answer reads its
verdict: the cycle (`detect`), the history of past 1:1s, `meetings --explain`, the daemon's
"no 1:1 found" log and `doctor`. A rule copied elsewhere drifts: explain once told alias
users "you are not taking part" about meetings detection counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from manageup.config import Config
from manageup.model import Match, Occurrence, Person, address
from manageup.titles import name_in, pattern_in


@dataclass(frozen=True)
class Verdict:
    """What the rule says of one occurrence.

    `reason` says why it has the shape of a 1:1 with the boss (None: it has not);
    `why_not` says why it does not count (None: it counts). A cancelled or declined 1:1
    has both: it is one (history counts it as lost), but no digest goes out for it."""

    occurrence: Occurrence
    reason: str | None
    why_not: str | None
    near: bool = False  # the boss is in it or the title matches: worth explaining
    lost: str | None = None  # "cancelled" or "declined": a 1:1 that will not take place

    @property
    def counts(self) -> bool:
        return self.reason is not None and self.why_not is None


def boss_names(config: Config) -> list[str]:
    names = []
    full = config.boss.name.strip()
    if full:
        names.append(full)
        names.append(full.split()[0])
    names.extend(a.split("@")[0] for a in config.boss_addresses)
    return [n for n in dict.fromkeys(names) if len(n) >= 2]


def people(occ: Occurrence) -> set[str]:
    """Who takes part, by address: rooms and resources are not people."""
    return {address(p.email) for p in (*occ.attendees, *filter(None, [occ.organizer]))
            if not p.is_resource} - {""}


def is_me(person: Person, mine: frozenset[str]) -> bool:
    """Whether `person` is the user: marked so by the source, or under one of `mine`."""
    return person.is_me or address(person.email) in mine


def takes_part(occ: Occurrence, config: Config) -> bool:
    """The user is organizer or attendee (under any of their addresses, or marked by a
    source that knows them), or the event has no attendees: a personal entry. The boss's
    1:1 with a peer on a shared calendar is not the user's."""
    if not occ.attendees:
        return True
    mine = config.me_addresses
    return any(is_me(p, mine) for p in (*occ.attendees, *filter(None, [occ.organizer])))


def lost(occ: Occurrence, mine: frozenset[str]) -> str | None:
    """"cancelled" or "declined" (by the user, known under `mine`): it will not take place."""
    if occ.status.upper() == "CANCELLED":
        return "cancelled"
    if any(is_me(p, mine) and p.partstat.upper() == "DECLINED" for p in occ.attendees):
        return "declined"
    return None


def stranger(occ: Occurrence, config: Config) -> str:
    """The organizer's address when the occurrence is an invitation the user has not
    answered from someone who is neither the boss nor the user; "" otherwise. Anyone can
    send one, with the boss invited and a 1:1 title, and move it as often as they like."""
    if occ.organizer is None:
        return ""
    org = address(occ.organizer.email)
    if not org or org in config.boss_addresses or is_me(occ.organizer, config.me_addresses):
        return ""
    mine = [p for p in occ.attendees if is_me(p, config.me_addresses)]
    unanswered = mine and all(p.partstat.upper() in ("", "NEEDS-ACTION") for p in mine)
    return org if unanswered else ""


def _shape(occ: Occurrence, config: Config) -> tuple[str | None, str]:
    """(reason, why not) for a taking-part, timed event: one of them is empty."""
    boss = config.boss_addresses
    everyone = people(occ)
    present = everyone & boss
    who = min(present) if present else ""
    # The boss under two addresses is still one person.
    count = len(everyone - boss) + (1 if present else 0)
    limit = config.detect.max_attendees
    if present and count <= limit and not occ.attendees_omitted:
        organizer = occ.organizer is not None and address(occ.organizer.email) in boss
        return f"boss ({who}) is {'organizer' if organizer else 'attendee'}, {count} people", ""
    hit = pattern_in(occ.title, config.detect.title_patterns)
    if present and hit:
        return f"title has {hit!r} and the boss ({who}) attends", ""
    if present and occ.attendees_omitted:
        return None, ("the calendar left some of the people out, so it is not known to be a "
                      "1:1; a title with one of detect.title_patterns would make it one")
    if present:
        return None, (f"{count} people take part; a 1:1 has at most {limit} "
                      "(detect.max_attendees)")
    # A set: an organizer is usually among the attendees too, and is one person.
    others = sorted({address(p.email) for p in (*occ.attendees, *filter(None, [occ.organizer]))
                     if not p.is_resource and not is_me(p, config.me_addresses)})
    if others:  # a 1:1 with someone else, e.g. one of the user's own reports
        return None, f"your boss is not in it; it is with {', '.join(others[:3])}"
    name = name_in(occ.title, boss_names(config))
    if hit and name:
        return f"title has {hit!r} and names the boss ({name})", ""
    return None, "your boss is not invited and the title does not name them"


def judge(occ: Occurrence, config: Config) -> Verdict:
    """The verdict on one occurrence: the 1:1 it is and why, or why it does not count."""
    near = bool(people(occ) & config.boss_addresses
                or pattern_in(occ.title, config.detect.title_patterns))
    excluded = pattern_in(occ.title, config.detect.exclude)
    if excluded:  # before all else: the user said this title is never a 1:1
        return Verdict(occ, None, f"excluded by detect.exclude ({excluded!r})", near)
    if occ.all_day:
        return Verdict(occ, None, "all-day event", near)
    if not takes_part(occ, config):
        return Verdict(occ, None, "you are not taking part (not organizer or attendee)", near)
    reason, why_not = _shape(occ, config)
    gone = lost(occ, config.me_addresses)
    if gone:  # said first: whatever else, this one will not take place
        why_not = "you declined it" if gone == "declined" else "cancelled"
    return Verdict(occ, reason, why_not or None, near, gone if reason else None)


def verdicts(occurrences: Iterable[Occurrence], config: Config) -> list[Verdict]:
    return [judge(occ, config) for occ in occurrences]


def detect(occurrences: Iterable[Occurrence], config: Config) -> list[Match]:
    """The 1:1s with the boss that still take place, each with the reason it matched."""
    return [Match(v.occurrence, v.reason) for v in verdicts(occurrences, config)
            if v.counts and v.reason]
