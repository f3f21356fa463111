"""The pre-cut leaves out a series' stale overrides (thin.py) exactly where select would:
select(precut(feed)) stays byte for byte select(feed), and the overrides that matter to
the window (moved into it, moved out of it, the ones select keeps for the group's sake)
stay. Each fixture in fixtures/ics/stale_overrides is named by its edge case; their
RECURRENCE-ID semantics are RFC 5545 3.8.4.4 (see the folder's README)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from benchmarks.generate import overrides
from manageup.sources.ics.precut import precut
from manageup.sources.ics.prefilter import select
from tests.conftest import ICS
from tests.unit.test_prefilter import answers, needles

RANGE = (date(2026, 7, 20), date(2027, 1, 1))
FOLDER = ICS / "stale_overrides"
_SUMMARY = re.compile(rb"\nSUMMARY:([^\r\n]*)")

# fixture: the overrides (by summary) the pre-cut leaves out; every other event stays.
# In a series with an override that is not stale, the first stale one stays (see the
# last fixture).
DROPPED = {
    "override_moved_into_window_from_2024.ics": {f"stale {k}" for k in range(1, 6)},
    "override_moved_out_of_window_to_2024.ics": {f"stale {k}" for k in range(1, 6)},
    "override_moved_from_2024_to_beyond_window.ics":
        {*(f"stale {k}" for k in range(6)), "to 2027"},
    # Only the stale overrides name the boss: the one that stays keeps the group wanted.
    "stale_overrides_alone_name_the_boss.ics": {f"stale {k}" for k in range(1, 6)},
    # ... unless the first names nobody: without the others select would drop the group.
    "stale_overrides_after_the_first_alone_name_the_boss.ics": set(),
    # select keeps a stale override beside another one of the same instance.
    "stale_override_beside_live_one_of_same_instance.ics": {f"stale {k}" for k in range(1, 6)},
    # ... also when it is not the series' first stale one, which stays anyway.
    "stale_override_beside_live_one_after_the_first.ics": {"stale 1", "stale 3", "stale 4",
                                                          "stale 5"},
    # A THISANDFUTURE override may move the instances the stale ones replaced.
    "stale_overrides_with_thisandfuture.ics": set(),
    # One UID, two spellings: select leaves the whole series as it is.
    "stale_overrides_one_uid_in_other_case.ics": set(),
    # Without their series, the parse reads overrides as one-off events.
    "stale_overrides_without_master.ics": set(),
    # The feed's last event carries END:VCALENDAR: it stays.
    "stale_override_ends_the_feed.ics": {f"stale {k}" for k in range(5)},
    "stale_overrides_with_valarm_uid_first.ics": {f"stale {k}" for k in range(1, 6)},
    # The parse refuses an event with two UIDs; the pre-cut counts it in its group once.
    "stale_override_with_its_uid_twice.ics": {f"stale {k}" for k in range(1, 6)},
    # The parse refuses the master (UNTIL=2027 is no date): the overrides alone are the
    # series, the one moved into the window a moved instance only beside another.
    "stale_overrides_beside_a_master_the_parse_refuses.ics": {f"stale {k}" for k in range(1, 6)},
}


def summaries(feed: bytes) -> set[str]:
    """The part in brackets of each event's title ("Alex / Sam 1:1 (stale 3)")."""
    return {m.group(1).decode().partition("(")[2].rstrip(")") or m.group(1).decode()
            for m in _SUMMARY.finditer(feed)}


@pytest.mark.parametrize("name", sorted(DROPPED))
@pytest.mark.parametrize("chunk", [400, 1 << 18])
def test_stale_overrides_left_out_as_select_leaves_them(name: str, chunk: int) -> None:
    data = (FOLDER / name).read_bytes()
    whole = precut(data, needles(), chunk=chunk, min_size=0, since=RANGE[0], until=RANGE[1],
                   thin_min=10**9)
    cut = precut(data, needles(), chunk=chunk, min_size=0, since=RANGE[0], until=RANGE[1],
                 thin_min=2)
    assert whole is not None and cut is not None
    assert summaries(whole) - summaries(cut) == DROPPED[name]
    assert select(cut, needles(), *RANGE)[0] == select(data, needles(), *RANGE)[0]


@pytest.mark.parametrize("name", sorted(DROPPED))
def test_stale_overrides_left_out_change_no_answer(name: str) -> None:
    # The same 1:1s, times, statuses and identities as the whole feed's parse.
    data = (FOLDER / name).read_bytes()
    cut = precut(data, needles(), chunk=400, min_size=0, since=RANGE[0], until=RANGE[1],
                 thin_min=2)
    assert cut is not None
    assert answers(select(cut, needles(), *RANGE)[0]) == answers(data)


def test_every_fixture_is_named_in_the_table() -> None:
    assert {p.name for p in FOLDER.glob("*.ics")} == set(DROPPED)


def test_override_heavy_feed_thinned_to_the_window() -> None:
    # The benchmark's override-heavy shape: a daily series and an override of every day.
    data = overrides(3000).encode()
    cut = precut(data, needles(), min_size=0, since=RANGE[0], until=RANGE[1])
    assert cut is not None
    assert cut.count(b"RECURRENCE-ID") < 400 < 2900 < data.count(b"RECURRENCE-ID")
    assert select(cut, needles(), *RANGE)[0] == select(data, needles(), *RANGE)[0]
