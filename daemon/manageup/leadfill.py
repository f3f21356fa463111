"""The Lead's empty places, filled from the rest of the digest (issue 26.3).

lead.py picks what the boss must hear first, the help needed soonest and the one question.
What it leaves empty is filled, in the same order, from what else the digest knows: a win
that serves one of the boss's goals (news they should hear from you), and a request to
rebook a 1:1 that was called off. (After a long gap the Lead opens with a note: with little
time together, the decision the user needs goes first; Digest.gap_note.) Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from manageup.digestmodel import LeadPoint, SinceLast
from manageup.model import Item

ORDER = ("tell", "share", "ask", "question")
Lost = Sequence[tuple[datetime, str, str]]  # slots called off: (slot, state, whose)


def _win(wins: Sequence[Item], goals: Mapping[int, Item], since: SinceLast | None) \
        -> LeadPoint | None:
    """The newest win that names an open goal of the boss's; fresh ones (noted since the
    last 1:1) first."""
    def serves(w: Item) -> Item | None:
        try:
            return goals.get(int(w.fields.get("goal", "")))
        except ValueError:
            return None

    linked = [w for w in wins if serves(w) is not None]
    if since is not None:
        linked.sort(key=lambda w: w.created < since.when)
    if not linked:
        return None
    w = linked[0]
    goal = serves(w)
    assert goal is not None
    return LeadPoint("share", f"Share first: {w.text}",
                     f"it serves their goal \"{goal.text}\"", w.id)


def _rebook(since: SinceLast | None, boss: str, lost: Lost) -> LeadPoint | None:
    """After a long gap the Lead's note already says to use the time for the decision; a
    slot long past is not worth rebooking then. `lost`: with no 1:1 held yet, the slots
    called off lately (since.lost_lately)."""
    if since is not None and since.gap:
        return None
    called_off = [(slot, who) for slot, st, who in (since.lost if since else lost)
                  if st in ("cancelled", "deleted")]
    if not called_off:
        return None
    slot, who = called_off[-1]
    by = f" {who}" if who and who != "you" else ""
    return LeadPoint("ask", f"Ask to rebook the 1:1{by} called off ({slot:%a %d %b})",
                     f"or agree with {boss} what can wait until the next one")


def _place(points: list[LeadPoint], point: LeadPoint) -> list[LeadPoint]:
    rank = ORDER.index(point.kind)
    at = next((n for n, p in enumerate(points) if ORDER.index(p.kind) > rank), len(points))
    return [*points[:at], point, *points[at:]]


def fill(points: Sequence[LeadPoint], since: SinceLast | None, wins: Sequence[Item],
         goals: Sequence[Item], boss: str, most: int, lost: Lost = ()) \
        -> tuple[LeadPoint, ...]:
    out = list(points)
    # A 1:1 called off since the last one costs the scarcest thing, time together: asking
    # for it back comes before good news when only one place is free.
    for point in (_rebook(since, boss, lost), _win(wins, {g.id: g for g in goals}, since)):
        if point is not None and len(out) < most:
            out = _place(out, point)
    return tuple(out[:most])
