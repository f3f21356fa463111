"""The six months the HTML part draws (issue 26.7): held of planned, and the rating."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from manageup.feel import RATING
from manageup.model import HistoryEntry, Note
from manageup.picture import six_months

Z = ZoneInfo("Europe/Berlin")
AT = datetime(2027, 3, 30, 10, 0, tzinfo=Z)
NOW = AT - timedelta(hours=18)


def _h(day: str, status: str) -> HistoryEntry:
    return HistoryEntry("k" + day, "u", datetime.fromisoformat(day + "T10:00").replace(tzinfo=Z),
                        status)


def test_each_month_counts_held_of_planned_and_averages_the_rating() -> None:
    history = [_h("2027-01-05", "scheduled"), _h("2027-01-12", "moved"),
               _h("2027-01-19", "cancelled"), _h("2027-01-26", "scheduled"),
               _h("2027-02-02", "scheduled"), _h("2027-02-09", "cancelled"),
               _h("2027-02-16", "planned"),  # seen ahead, then deleted: planned, not held
               _h("2027-03-30", "scheduled")]  # the 1:1 itself: ahead of now, not counted
    notes = [Note(datetime(2027, 1, 5, 11, tzinfo=Z), "3", RATING),
             Note(datetime(2027, 1, 12, 11, tzinfo=Z), "4", RATING),
             Note(datetime(2027, 3, 2, 11, tzinfo=Z), "5", RATING),
             Note(datetime(2027, 3, 2, 11, tzinfo=Z), "More time", "feel-better")]
    months = six_months(history, notes, NOW, AT)
    assert [m.label for m in months] == ["Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
    jan, feb, mar = months[3:]
    assert (jan.held, jan.planned, jan.feel, jan.attendance, jan.mood) == \
        (3, 4, 3.5, "good", "some")
    assert (feb.held, feb.planned, feb.feel, feb.attendance, feb.mood) == \
        (1, 3, None, "poor", "none")
    assert (mar.planned, mar.feel, mar.attendance, mar.mood) == (0, 5.0, "none", "good")
    assert months[0].attendance == "none" and months[0].mood == "none"


def test_nothing_known_draws_nothing() -> None:
    assert six_months([], [], NOW, AT) == ()
