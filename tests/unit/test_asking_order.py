"""The question engine's order and its ends (issue 30.3, from mutation testing of
asking.py): least recently put first, one question per place, no crash once a bank is
used up, and an answer still seen beside a damaged record."""

from __future__ import annotations

from datetime import timedelta

from manageup.asking import Picker, answered, question_banks, situation
from manageup.model import HistoryEntry, Item, Note, PastDigest, Snapshot
from tests.conftest import at

NOW = at("2027-03-01T16:00+01:00")
BANK = "probe.why_it_matters"


def test_never_put_first_then_least_recently_put() -> None:
    first, second, third = question_banks()[BANK][:3]
    snap = Snapshot(question_uses={first.id: NOW - timedelta(days=10),
                                   second.id: NOW - timedelta(days=20)},
                    digests_sent=(NOW - timedelta(days=30), NOW - timedelta(days=3)))
    picker = Picker(snap, 1, NOW)
    picker.taken.update(q.id for q in question_banks()[BANK][3:])
    assert picker.pick(BANK, 3) == [third, second, first]


def test_one_question_takes_one() -> None:
    """Each `one` takes a single question: the next one asks the bank's next."""
    bank = question_banks()[BANK]
    picker = Picker(Snapshot(), 1, NOW)
    assert picker.one(BANK) == bank[0]
    assert picker.one(BANK) == bank[1]
    assert picker.shared(BANK) == bank[2]  # a free one while any is left


def test_a_used_up_bank_gives_none_not_a_crash() -> None:
    """Every question of the bank answered this week: no question, not StopIteration."""
    notes = tuple(Note(NOW - timedelta(days=7), "yes", q.id, 1) for q in question_banks()[BANK])
    picker = Picker(Snapshot(notes=notes), 1, NOW)
    assert picker.first((BANK,)) is None
    assert picker.shared(BANK) is None


def test_an_answer_is_seen_past_a_damaged_row_and_an_old_digest() -> None:
    """A hand-edited probe row does not hide the rows after it (the answered question
    would be put again within the quarter); a digest from before probes is read."""
    goal = Item(1, "goal", "goal 1", NOW - timedelta(days=100), fields={"why_it_matters": "x"})
    when = NOW - timedelta(days=7)
    snap = Snapshot(items=(goal,), digests=(
        PastDigest(1, "k1", when - timedelta(days=7), when - timedelta(days=8), {}),
        PastDigest(2, "k2", when, when - timedelta(hours=18),
                   {"probes": [["x", "why_it_matters", "probe-why-9", "?"],
                               [1, "why_it_matters", "probe-why-1", "?"]]})))
    assert answered(snap) == {"probe-why-1": when}


def test_a_slot_still_ahead_is_not_held() -> None:
    """A digest written two weeks ahead: next week's 1:1 has not been held yet."""
    start = NOW + timedelta(days=14)
    history = [HistoryEntry("s|0", "s", NOW - timedelta(days=6), "scheduled"),
               HistoryEntry("s|1", "s", NOW + timedelta(days=7), "scheduled")]
    assert situation(history, start, NOW, (), 0, 0).new_boss
