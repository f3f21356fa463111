"""Since your last 1:1: what the boss answered, advised and agreed there, which items were
done, added or changed since, and what the calendar did in between (a cancellation, a
move, a long gap). Read from the last held 1:1's digest record, the review's notes and
the items' dates. Pure; every part may be empty, and the digest leaves empty ones out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from datetime import date, datetime, timedelta

from manageup.config import Config
from manageup.digestmodel import GAP_DAYS, SinceLast
from manageup.model import HistoryEntry, Item, Note, PastDigest
from manageup.novelty import fingerprint
from manageup.relationship import organizer_name, state


def _answered(d: PastDigest | None, items: Mapping[int, Item],
              labels: Mapping[str, str]) -> list[tuple[Item, str, str]]:
    """The goal questions the last 1:1's digest put that have an answer now."""
    out = []
    for row in (d.shown.get("probes", []) if d else []):
        try:
            goal = items.get(int(row[0]))
            fld = str(row[1])
        except (TypeError, ValueError, IndexError):
            continue  # a record from an older version, or hand-edited: nothing to tell
        if goal is not None and goal.fields.get(fld):
            out.append((goal, labels.get(fld, fld.replace("_", " ")), goal.fields[fld]))
    return out


def _changed(d: PastDigest | None, items: Sequence[Item], when: datetime) -> list[
        tuple[Item, str]]:
    """Open items the last 1:1's digest showed whose text, date or raising has moved."""
    seen = d.shown.get("seen", {}) if d else {}
    out = []
    for i in items:
        was = seen.get(str(i.id)) if isinstance(seen, dict) else None
        if i.status != "open" or not isinstance(was, dict) or i.created >= when:
            continue
        now = fingerprint(i)
        what = []
        if was.get("@due") != now["@due"]:
            what.append(f"now due {i.due:%a %d %b}" if i.due else "no date now")
        if was.get("") != now[""]:
            what.append("reworded")
        # Escalated says more than flagged, and the risks section says it: one word for both
        # (a first review that escalates a risk records both on one day).
        if i.fields.get("escalated") and was.get("escalated") != now.get("escalated"):
            what.append(f"escalated {_day(i.fields['escalated'])}")
        elif i.fields.get("flagged") and was.get("flagged") != now.get("flagged"):
            what.append(f"flagged {_day(i.fields['flagged'])}")
        if what:
            out.append((i, ", ".join(what)))
    return out


def _day(iso: str) -> str:
    try:
        return f"{date.fromisoformat(iso):%a %d %b}"
    except ValueError:
        return iso


def _lost(history: Sequence[HistoryEntry], after: datetime, before: datetime, now: datetime,
          config: Config) -> list[tuple[datetime, str, str]]:
    """Slots between the two 1:1s that did not happen, in order: (slot, state, whose)."""
    lost = []
    for h in sorted(history, key=lambda h: h.slot):
        if not after < h.slot < before or (h.start >= now and h.status != "cancelled"):
            continue
        st = state(h, now)
        if st in ("cancelled", "deleted", "declined"):
            who = "you" if st == "declined" else organizer_name(h.organizer, config)
            lost.append((h.slot.astimezone(config.zone), st, who))
    return lost


def lost_lately(history: Sequence[HistoryEntry], start: datetime, now: datetime,
                config: Config) -> tuple[tuple[datetime, str, str], ...]:
    """With no 1:1 held before the one at `start`: the slots called off in the GAP_DAYS
    before it, what a held one's recap would have counted since."""
    return tuple(_lost(history, start - timedelta(days=GAP_DAYS), start, now, config))


def since_last(entry: HistoryEntry | None, d: PastDigest | None, items: Sequence[Item],
               notes: Sequence[Note], history: Sequence[HistoryEntry], start: datetime,
               now: datetime, config: Config, labels: Mapping[str, str],
               advice: Set[str]) -> SinceLast | None:
    """`entry`: the last 1:1 that took place before this one (None: there was none), and
    `d` its digest; `advice`: the ids of the questions whose answers are advice."""
    if entry is None:
        return None
    when = entry.start.astimezone(config.zone)
    by_id = {i.id: i for i in items}
    new = [i for i in items if when <= i.created <= now]
    # Agreed at the 1:1: what its review wrote down (review stamps both with one time).
    reviewed = d.reviewed_at if d else None
    # An owe made of the boss's advice or answer is told as that, not again as agreed or new.
    new = [i for i in new if not i.fields.get("advised")]
    agreed = [i for i in new if i.kind in ("need", "owe") and i.created == reviewed]
    closed = [i for i in items if i.closed and when <= i.closed <= now]
    lost = _lost(history, entry.slot, start, now, config)
    calendar = [f"{slot:%a %d %b} {st}" + (f" by {who}" if who and st != "deleted" else "")
                for slot, st, who in lost]
    days = (start.astimezone(config.zone).date() - when.date()).days
    if days >= GAP_DAYS:
        calendar.append(f"{days} days since your last 1:1, on {when:%a %d %b}")
    checkin = d.shown.get("checkin") if d else None
    return SinceLast(
        when=when, days=days,
        answered=tuple(_answered(d, by_id, labels)),
        advised=tuple(n for n in notes if d and n.digest_id == d.id and n.question_id in advice),
        said=tuple(n for n in notes if d and checkin and n.digest_id == d.id
                   and n.question_id == checkin[0]),
        learned=tuple(i for i in new if i.kind == "about"),
        agreed=tuple(agreed),
        done=tuple(i for i in closed if i.status == "done"),
        dropped=tuple(i for i in closed if i.status == "dropped"),
        added=tuple(i for i in new if i.kind != "about" and i not in agreed),
        changed=tuple(_changed(d, items, when)),
        calendar=tuple(calendar),
        lost=tuple(lost),
        reviewed=reviewed is not None,
    )
