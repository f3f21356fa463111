"""The relationship's temperature (issue 26.5): the private 1-5 rating review records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from manageup.errors import UsageError
from manageup.feel import BETTER, RATING, check, direction, ratings
from manageup.model import Note

T = datetime(2027, 1, 5, 11, 0, tzinfo=UTC)


def test_a_rating_is_1_to_5_and_better_goes_with_one() -> None:
    check(1, "")
    check(5, "More time")
    check(None, "")
    with pytest.raises(UsageError, match="from 1 \\(poor\\) to 5 \\(great\\)"):
        check(0, "")
    with pytest.raises(UsageError, match="--better goes with --rating"):
        check(None, "More time")


def test_ratings_are_the_last_six_oldest_first_with_the_newest_wish() -> None:
    notes = [Note(T + timedelta(days=7 * n), str(v), RATING) for n, v in
             enumerate([5, 1, 2, 3, 4, 5, 3])]
    notes += [Note(T + timedelta(days=8), "Less noise", BETTER),
              Note(T + timedelta(days=30), "More time", BETTER),
              Note(T, "Take the project", "career-first")]
    values, wish = ratings(reversed(notes))
    assert values == (1, 2, 3, 4, 5, 3)
    assert wish is not None and wish.text == "More time"
    assert ratings([]) == ((), None)


def test_direction_reads_the_newest_against_the_rest() -> None:
    assert direction([3]) == ""
    assert direction([3, 3, 4]) == "up"
    assert direction([4, 4, 3]) == "down"
    assert direction([4, 3, 4]) == "steady"


def test_a_1on1_rated_again_counts_once_with_its_last_rating() -> None:
    """`review --rating` run twice for one 1:1 (a retry, a change of mind) rates that 1:1,
    not a second one: the trend and the six months read its last rating only."""
    from manageup.picture import six_months

    notes = [Note(T, "4", RATING, 1), Note(T + timedelta(minutes=1), "4", RATING, 1),
             Note(T + timedelta(minutes=2), "2", RATING, 1),
             Note(T + timedelta(days=7), "5", RATING, 2)]
    assert ratings(notes)[0] == (2, 5)
    jan = six_months([], notes, T + timedelta(days=8), T + timedelta(days=14))[-1]
    assert jan.feel == 3.5  # (2 + 5) / 2, not (4 + 4 + 2 + 5) / 4


def test_a_rating_that_is_not_1_to_5_is_not_read() -> None:
    """A hand-edited store or an imported export may hold any text under the rating's
    question: "²" is a digit to str.isdigit() but not to int(), and 9 is off the scale."""
    from manageup.picture import six_months

    notes = [Note(T + timedelta(days=n), v, RATING, n + 1)
             for n, v in enumerate(["3", "²", "9", "0", "٣", " 4", "4"])]
    assert ratings(notes)[0] == (3, 4)
    assert six_months([], notes, T + timedelta(days=8), T + timedelta(days=14))[-1].feel == 3.5


def test_what_would_make_it_better_is_held_to_a_notes_length() -> None:
    """--better took 20,000 characters: doctor then failed the store ("1 row manageup cannot
    use ... restore a backup") and the export would not import. Refused by flag, asked
    again at the terminal, as every other answer review keeps."""
    from manageup.feel import prompt
    from manageup.model import MAX_TEXT

    with pytest.raises(UsageError, match=f"--better: .*keep it under {MAX_TEXT}"):
        check(3, "x" * (MAX_TEXT + 1))
    check(3, "x" * MAX_TEXT)
    answers = iter(["4", "y" * (MAX_TEXT + 1), "Fewer cancellations"])
    said: list[str] = []
    assert prompt(lambda _p: next(answers), said.append) == (4, "Fewer cancellations")
    assert any("characters" in s for s in said)
