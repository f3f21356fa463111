"""The question engine (issue 26.6): the situation of a 1:1 read from the history, the
bank each place then draws on, what counts as answered, and the quarter an answered
question rests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from manageup.asking import (
    QUARTER,
    Picker,
    Situation,
    answered,
    career_stage,
    question_banks,
    situation,
)
from manageup.model import HistoryEntry, Item, Note, PastDigest, Snapshot
from tests.conftest import at

NOW = at("2027-03-01T16:00+01:00")  # a Monday; the 1:1 is on Tuesday
START = NOW + timedelta(hours=18)


def weekly(*statuses: str, last: datetime = NOW - timedelta(days=6)) -> list[HistoryEntry]:
    """Past weekly 1:1s, oldest first, the last one on `last`."""
    n = len(statuses)
    return [HistoryEntry(f"s|{i}", "s", last - timedelta(days=7 * (n - 1 - i)), st)
            for i, st in enumerate(statuses)]


def sit(history: list[HistoryEntry], reviews: tuple[date, ...] = ()) -> Situation:
    return situation(history, START, NOW, reviews, 0, 0)


def test_after_a_cancellation() -> None:
    """The last 1:1 before this one was called off, whoever did it; one called off
    earlier and held since is over."""
    # "planned" and past: a slot seen ahead that the series no longer had (deleted).
    for off in ("cancelled", "declined", "deleted", "planned"):
        assert sit(weekly("scheduled", "scheduled", off)).after_cancel, off
    assert not sit(weekly("scheduled", "cancelled", "scheduled")).after_cancel
    assert not sit(weekly("scheduled", "scheduled", "moved")).after_cancel
    # The 1:1 ahead being cancelled is not what came before it.
    ahead = [*weekly("scheduled", "scheduled", "scheduled"),
             HistoryEntry("s|x", "s", START, "cancelled")]
    assert not sit(ahead).after_cancel


def test_a_new_boss() -> None:
    """No 1:1 held yet, or one: new. Two held: no longer. A boss of years whose calendar
    shows one held 1:1 (monthly, one cancelled) is not new: the first on record is old."""
    assert sit([]).new_boss
    assert sit(weekly("scheduled")).new_boss
    assert sit(weekly("scheduled", "cancelled")).new_boss
    assert not sit(weekly("scheduled", "scheduled")).new_boss
    assert not sit(weekly("moved", "scheduled")).new_boss
    monthly = [HistoryEntry("m|1", "m", NOW - timedelta(days=80), "cancelled"),
               HistoryEntry("m|2", "m", NOW - timedelta(days=50), "scheduled")]
    assert not sit(monthly).new_boss


def test_before_a_review_cycle() -> None:
    """Six weeks before a review date, counted from the 1:1; not after it."""
    day = START.date()
    assert sit([], (day + timedelta(days=42),)).review_on == day + timedelta(days=42)
    assert sit([], (day,)).review_on == day
    assert sit([], (day + timedelta(days=43), day - timedelta(days=1))).review_on is None
    both = (day + timedelta(days=30), day + timedelta(days=10))
    assert sit([], both).review_on == day + timedelta(days=10)


def test_career_stage_from_what_is_on_record() -> None:
    assert career_stage(0, 0) == "open"
    assert career_stage(2, 0) == "goals"
    assert career_stage(0, 1) == "goals"
    assert career_stage(1, 2) == "progress"


def test_each_place_draws_on_its_situation_first() -> None:
    everyday = Situation()
    assert everyday.banks("checkin") == ("checkin",)
    assert everyday.banks("get_to_know") == ("get_to_know",)
    assert everyday.banks("career") == ("career",)
    new = Situation(new_boss=True)
    assert new.banks("get_to_know") == ("new_boss", "get_to_know")
    assert new.banks("checkin") == ("new_boss", "checkin")
    cancelled = Situation(new_boss=True, after_cancel=True)
    assert cancelled.banks("checkin") == ("after_cancel", "checkin")
    review = Situation(review_on=date(2027, 4, 1))
    assert review.banks("career") == ("review_cycle", "career")
    assert review.banks("learn_goals") == ("learn_goals",)


def _goal(i: int, **fields: str) -> Item:
    return Item(i, "goal", f"goal {i}", NOW - timedelta(days=100), fields=fields)


def _digest(n: int, start: datetime, probes: list[list[object]]) -> PastDigest:
    return PastDigest(n, f"k{n}", start, start - timedelta(hours=18), {"probes": probes},
                      reviewed_at=start + timedelta(hours=2))


def test_answered_per_question() -> None:
    """Career advice and other notes by their question; an about item naming one; a goal
    step filled after the last digest that put a question on it (not the one before)."""
    monday, later = NOW - timedelta(days=14), NOW - timedelta(days=7)
    snap = Snapshot(
        items=(_goal(1, why_it_matters="The board"), _goal(2),
               Item(3, "about", "Sails", later, fields={"question": "know-passion"})),
        notes=(Note(monday, "Ask Lena", "career-path", 1),),
        digests=(_digest(1, monday, [[1, "why_it_matters", "probe-why-1", "?"],
                                     [2, "why_it_matters", "probe-why-2", "?"]]),
                 _digest(2, later, [[1, "why_it_matters", "probe-why-3", "?"]])))
    got = answered(snap)
    assert got["career-path"] == monday and got["know-passion"] == later
    assert got["probe-why-3"] == later + timedelta(hours=2)
    assert "probe-why-1" not in got and "probe-why-2" not in got


def test_an_answered_question_rests_a_quarter() -> None:
    """Answered 90 days ago: not put. Answered 92 days ago: may come back. Put and not
    answered: back once it has rested."""
    bank = question_banks()["probe.why_it_matters"]
    first, second = bank[0], bank[1]

    def snap(days: int) -> Snapshot:
        when = NOW - timedelta(days=days)
        return Snapshot(items=(_goal(1, why_it_matters="yes"),),
                        digests=(_digest(1, when, [[1, "why_it_matters", first.id, "?"]]),),
                        question_uses={first.id: when - timedelta(hours=18),
                                       second.id: NOW - timedelta(days=7)},
                        digests_sent=(NOW - timedelta(days=200), NOW - timedelta(days=7)))

    def left_with_two(days: int) -> Picker:
        """The first two of the step left: the others are taken by other goals."""
        picker = Picker(snap(days), 1, NOW)
        picker.taken.update(q.id for q in bank[2:])
        return picker

    assert (NOW - timedelta(days=90) + timedelta(hours=2)) > NOW - QUARTER
    assert left_with_two(90).one("probe.why_it_matters") == second  # resting, yet the one
    assert left_with_two(92).one("probe.why_it_matters") == first
    # Every other question of the step taken: the shared fallback still skips it.
    picker = Picker(snap(30), 1, NOW)
    picker.taken.update(q.id for q in bank)
    assert picker.shared("probe.why_it_matters") == second
    # The second was put a week ago and not answered: unlike an answered one, it may be
    # put again (after the others, while it rests).
    rested = Picker(snap(30), 1, NOW + timedelta(days=1))
    rested.taken.update(q.id for q in bank[2:])
    assert rested.one("probe.why_it_matters") == second


def test_career_questions_of_the_talks_stage() -> None:
    picker = Picker(Snapshot(), 4, NOW)
    for stage in ("open", "goals", "progress"):
        q = picker.one("career", stage=stage)
        assert q is not None and q.stage == stage
    # A stage used up: the bank's others, rather than no question.
    every = Picker(Snapshot(), 4, NOW)
    every.taken.update(q.id for q in question_banks()["career"] if q.stage == "open")
    q = every.one("career", stage="open")
    assert q is not None and q.stage != "open"


def test_the_digest_puts_the_situations_questions(make_config, tmp_path) -> None:
    """The calendar of tests/unit/test_compose_render: the last slot before the 1:1 of
    3 Dec was cancelled (19 Nov). With a review on 20 Dec the career question prepares
    for it; without, it is the everyday one of the talk's stage."""
    from manageup.compose import compose
    from tests.unit.test_compose_render import NOW as FIXED
    from tests.unit.test_compose_render import _setup

    cfg, store, match, history = _setup(make_config, tmp_path,
                                        "[career]\nreview_dates = [2026-12-20]")
    d = compose(store.snapshot(), match, history, FIXED, cfg)
    assert d.career.question and d.career.question.bank == "review_cycle"
    assert d.relationship.checkin and d.relationship.checkin.bank == "after_cancel"
    assert d.relationship.get_to_know and d.relationship.get_to_know.bank == "get_to_know"
    cfg, store, match, history = _setup(make_config, tmp_path)
    d = compose(store.snapshot(), match, history, FIXED, cfg)
    assert d.career.question and d.career.question.bank == "career"
    assert d.career.question.stage == "open"
