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
