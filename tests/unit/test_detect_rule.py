"""The detection rule at its edges: names read from the boss's addresses, people without an
address, invitations from strangers, and which misses `meetings --explain` lists. Each test
here was written against a mutant of detect.py that the other tests let through (issue 30.3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from manageup.config import Config, parse_config
from manageup.detect import detect, stranger
from manageup.explain import near_misses
from manageup.model import Occurrence, Person
from tests.conftest import at, config_text

NOW = at("2026-11-24T17:00+01:00")
START = NOW + timedelta(days=1)


def config(tmp_path: Path, boss_name: str = "Sam Rivera", extra: str = "") -> Config:
    text = config_text("x.ics", tmp_path, extra).replace('name = "Sam Rivera"',
                                                           f'name = "{boss_name}"')
    return parse_config(text)


def event(title: str = "Sync", organizer: Person | None = None,
          attendees: tuple[Person, ...] = ()) -> Occurrence:
    return Occurrence("u@example.com", START, START + timedelta(minutes=30), title,
                      organizer=organizer, attendees=attendees)


def reasons(occ: Occurrence, cfg: Config) -> list[str]:
    return [m.reason for m in detect([occ], cfg)]


def test_personal_entry_naming_the_boss_by_address_when_no_name_is_set(tmp_path: Path) -> None:
    """boss.name is optional: a personal "1:1 sam" entry names the boss by their address's
    local part; the domain names no one."""
    cfg = config(tmp_path, boss_name="")
    assert reasons(event("1:1 sam"), cfg) == ["title has '1:1' and names the boss (sam)"]
    assert reasons(event("1:1 example.com"), cfg) == []


def test_a_two_letter_boss_name_is_a_name(tmp_path: Path) -> None:
    """"Jo" names the boss Jo Park; only a single letter is too short to be read as one."""
    assert reasons(event("1:1 Jo"), config(tmp_path, "Jo Park")) == \
        ["title has '1:1' and names the boss (Jo)"]
    assert reasons(event("1:1 J"), config(tmp_path, "J Park")) == []


def test_an_attendee_without_an_address_is_not_a_person(tmp_path: Path) -> None:
    """A dial-in or a guest written without an address adds no one: the 1:1 stays one."""
    occ = event(organizer=Person("sam@example.com"),
                attendees=(Person("sam@example.com"), Person("alex@example.com"),
                           Person("", name="Dial-in"), Person("mailto:")))
    assert reasons(occ, config(tmp_path)) == ["boss (sam@example.com) is organizer, 2 people"]


def test_stranger_needs_an_organizer_and_reads_an_empty_answer_as_none(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    me = Person("alex@example.com", partstat="")
    occ = event("1:1", Person("morgan@elsewhere.example"), (me, Person("sam@example.com")))
    assert stranger(occ, cfg) == "morgan@elsewhere.example"  # PARTSTAT= left empty
    assert stranger(replace(occ, organizer=None), cfg) == ""  # no one sent it


def test_explain_lists_only_misses_near_a_1on1(tmp_path: Path) -> None:
    """An event with neither the boss nor a 1:1 title is no near miss; the boss's 1:1 with
    a peer, which the user takes no part in, is one, and says why."""
    cfg = config(tmp_path)
    standup = event("Standup", Person("kim@example.com"),
                    (Person("kim@example.com"), Person("alex@example.com"),
                     Person("lee@example.com")))
    peer = event("Sam / Priya", Person("sam@example.com"),
                 (Person("sam@example.com"), Person("priya@example.com")))
    assert [(m.occurrence.title, m.why_not) for m in near_misses([standup, peer], cfg, NOW)] \
        == [("Sam / Priya", "you are not taking part (not organizer or attendee)")]


def test_a_pattern_edged_with_punctuation_needs_no_break_beside_it(tmp_path: Path) -> None:
    """Only a pattern's word-character edge must stand apart: "catch-up:" is in
    "Catch-up:Q3 plans" and "#1on1" in "Sam#1on1", while "1on1" is not in "Sam#1on1x"."""
    cfg = config(tmp_path, extra='[detect]\ntitle_patterns = ["catch-up:", "#1on1", "1on1"]')
    boss = (Person("sam@example.com"), Person("alex@example.com"), Person("kim@example.com"))
    titled = [event(t, Person("sam@example.com"), boss)
              for t in ("Catch-up:Q3 plans", "Sam#1on1", "Sam#1on1x")]
    assert [m.reason for m in detect(titled, cfg)] == [
        "title has 'catch-up:' and the boss (sam@example.com) attends",
        "title has '#1on1' and the boss (sam@example.com) attends"]
