"""The recap's word for a risk matches the risks section's (attack 2, B6)."""

from __future__ import annotations

from dataclasses import replace

from manageup.model import Item, PastDigest
from manageup.novelty import seen
from manageup.since import _changed
from tests.conftest import at

BEFORE = at("2027-01-01T09:00+01:00")
HELD = at("2027-01-12T10:00+01:00")


def _recap_of(was: Item, now: Item) -> list[str]:
    d = PastDigest(1, "k", HELD, HELD, shown={"seen": seen([was])})
    return [what for _i, what in _changed(d, [now], HELD)]


def test_escalated_after_being_flagged_is_said() -> None:
    """Flagged at one 1:1, escalated after the next: the recap said nothing at all."""
    flagged = Item(6, "risk", "Vendor slip", BEFORE, fields={"flagged": "2027-01-05"})
    escalated = replace(flagged, fields={**flagged.fields, "escalated": "2027-01-12"})
    assert _recap_of(flagged, escalated) == ["escalated Tue 12 Jan"]


def test_flagged_and_escalated_at_once_is_escalated() -> None:
    fresh = Item(6, "risk", "Vendor slip", BEFORE)
    both = replace(fresh, fields={"flagged": "2027-01-12", "escalated": "2027-01-12"})
    assert _recap_of(fresh, both) == ["escalated Tue 12 Jan"]
    assert _recap_of(fresh, replace(fresh, fields={"flagged": "2027-01-12"})) == \
        ["flagged Tue 12 Jan"]
