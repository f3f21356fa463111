"""`--due` in the words people type: a weekday, tomorrow, +3d, an ISO date (issue 27.5)."""

from __future__ import annotations

from datetime import date

import pytest

from manageup.cli.values import parse_due
from manageup.errors import UsageError

WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize("text,due", [
    ("friday", date(2026, 11, 27)),
    ("Friday", date(2026, 11, 27)),
    ("fri", date(2026, 11, 27)),
    ("monday", date(2026, 11, 30)),
    ("wednesday", date(2026, 12, 2)),  # today's weekday: the next one, today is "today"
    ("today", WEDNESDAY),
    ("tomorrow", date(2026, 11, 26)),
    ("+3d", date(2026, 11, 28)),
    ("+2w", date(2026, 12, 9)),
    ("2026-12-01", date(2026, 12, 1)),
    (" 2026-12-01 ", date(2026, 12, 1)),
])
def test_due_words(text: str, due: date) -> None:
    assert parse_due(text, WEDNESDAY) == due


@pytest.mark.parametrize("text", ["2026-12-32", "2026-02-30", "2026-13-01"])
def test_an_impossible_date_is_no_such_date(text: str) -> None:
    with pytest.raises(UsageError) as e:
        parse_due(text, WEDNESDAY)
    assert str(e.value) == f"--due {text!r}: no such date"


def test_an_unknown_word_names_every_form() -> None:
    with pytest.raises(UsageError) as e:
        parse_due("next week", WEDNESDAY)
    assert "friday" in str(e.value) and "+3d" in str(e.value) and "tomorrow" in str(e.value)
