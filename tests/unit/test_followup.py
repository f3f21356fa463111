"""What the digest knows, put to use (issue 26.4): a goal's status from the items linked to
it and what review recorded of them; `about` items that shape how a risk is raised."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from manageup.followup import goal_status, news_in_writing
from manageup.model import Item

NOW = datetime(2027, 3, 29, 16, 0, tzinfo=UTC)
DAY = date(2027, 3, 30)  # the 1:1's: dates are judged there


def _item(n: int, kind: str, text: str = "x", days_ago: int = 1, **kw) -> Item:
    return Item(n, kind, text, NOW - timedelta(days=days_ago), **kw)


GOAL = _item(1, "goal", "Cut spend", 100)


def test_no_linked_item_is_no_news() -> None:
    assert goal_status(GOAL, [_item(2, "win", days_ago=2)], NOW, DAY) == "no news"


def test_a_recent_linked_win_is_on_track_an_old_one_no_news() -> None:
    assert goal_status(GOAL, [_item(2, "win", days_ago=27, fields={"goal": "1"})], NOW,
                       DAY) == "on track"
    assert goal_status(GOAL, [_item(2, "win", days_ago=29, fields={"goal": "1"})], NOW,
                       DAY) == "no news"


def test_a_linked_owe_done_lately_is_on_track() -> None:
    done = _item(2, "owe", days_ago=60, status="done", closed=NOW - timedelta(days=3),
                 fields={"goal": "1"})
    assert goal_status(GOAL, [done], NOW, DAY) == "on track"
    dropped = _item(2, "owe", days_ago=60, status="dropped", closed=NOW - timedelta(days=3),
                    fields={"goal": "1"})
    assert goal_status(GOAL, [dropped], NOW, DAY) == "no news"


def test_a_linked_owe_late_at_the_1on1_puts_it_at_risk_over_a_win() -> None:
    late = _item(2, "owe", due=date(2027, 3, 29), fields={"goal": "1"})
    win = _item(3, "win", fields={"goal": "1"})
    assert goal_status(GOAL, [late, win], NOW, DAY) == "at risk"
    on_the_day = _item(2, "owe", due=DAY, fields={"goal": "1"})
    assert goal_status(GOAL, [on_the_day, win], NOW, DAY) == "on track"


def test_bad_news_in_writing_is_read_from_about_items() -> None:
    assert news_in_writing([_item(5, "about", "Wants bad news in writing first")]) == \
        "Wants bad news in writing first"
    assert news_in_writing([_item(5, "about", "Prefers an email before any surprise")])
    assert news_in_writing([_item(5, "about", "Writes poetry"),
                            _item(6, "about", "Likes the numbers first")]) == ""
    closed = _item(5, "about", "Wants bad news in writing first", status="dropped")
    assert news_in_writing([closed]) == ""


def test_an_about_item_against_writing_gives_no_writing_advice() -> None:
    """"Never reads email; bring problems in person" named mail and problems, so a new risk
    was to be "sent in writing today": the opposite of what the user knows. An item that
    says no, or names a way in person, is not read as wanting bad news in writing."""
    for text in ("Never reads email; bring problems in person",
                 "Hates bad news by email", "Does not want problems in writing",
                 "Bad news: a phone call, not a mail",
                 "Don't email surprises, tell her face to face",
                 "Wants bad news in person, never in writing"):
        assert news_in_writing([_item(5, "about", text)]) == "", text
    for text in ("Wants bad news in writing first", "Prefers an email before any surprise",
                 "Bad news in writing first, then in the 1:1",
                 "No surprises: bad news in writing first"):
        assert news_in_writing([_item(5, "about", text)]) == text
