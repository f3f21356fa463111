"""The short reminder after a 1:1 to run `manageup review`: sent once, through the
outbox, after the meeting's end as the calendar has it now (it may have moved since)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from manageup.cycle.context import Cycle
from manageup.cycle.outbox import Letter, Mail
from manageup.model import HistoryEntry
from manageup.store import DigestRecord, LedgerKind

NUDGE_WINDOW = timedelta(days=1)  # a review reminder later than this is no use


def _shown_end(rec: DigestRecord) -> datetime:
    """The 1:1's end as its digest recorded it; `shown` is free JSON (an import may hold
    anything), so an end that is not a time with an offset counts as the start."""
    try:
        end = datetime.fromisoformat(rec.shown.get("end", rec.start.isoformat()))
    except (TypeError, ValueError, AttributeError):
        return rec.start
    return end if end.tzinfo is not None else rec.start


def _latest_unreviewed(cycle: Cycle) -> list[DigestRecord]:
    latest: dict[str, DigestRecord] = {}
    for rec in cycle.store.digests():  # a moved 1:1 has a digest per time: the last counts
        if rec.key not in latest or rec.sent_at >= latest[rec.key].sent_at:
            latest[rec.key] = rec
    return [rec for rec in latest.values() if not rec.reviewed_at]


def _window(rec: DigestRecord, seen: HistoryEntry | None, after: timedelta) \
        -> tuple[datetime, datetime] | None:
    """When the reminder is due and its deadline; None when none is owed (the 1:1 was
    cancelled or declined since)."""
    end = _shown_end(rec)
    if seen is not None and seen.status in ("cancelled", "declined"):
        return None  # it did not take place: nothing to review
    try:
        if seen is not None and seen.start != rec.start:
            end = seen.start + (end - rec.start)  # moved after its digest went out
        due = end + after
        return due, due + NUDGE_WINDOW
    except OverflowError:
        return None  # an end near year 9999 (an odd import): no reminder is due


def send_reminders(cycle: Cycle, history: Sequence[HistoryEntry] = ()) -> None:
    after = cycle.config.review.nudge_after
    if after is None:
        return
    now_at = {h.key: h for h in history}
    for rec in _latest_unreviewed(cycle):
        window = _window(rec, now_at.get(rec.key), after)
        if window is None or not window[0] <= cycle.now < window[1]:
            continue  # not owed, not yet, or too stale to be useful
        due, deadline = window
        key = f"nudge|{rec.key}"

        def build(rec: DigestRecord = rec) -> Mail:
            from manageup.deliver import build_nudge
            from manageup.review import plan

            return Mail(build_nudge(plan(cycle.store, rec), cycle.config, cycle.now))

        letter = Letter(key, deadline, due, f"review reminder for {rec.title}",
                        LedgerKind.NUDGE)
        if cycle.outbox.post(letter, build):
            cycle.report.sent.append(key)


def send_called_off(cycle: Cycle, history: Sequence[HistoryEntry]) -> None:
    """One short mail for each 1:1 cancelled after its digest went out (calledoff.py)."""
    from manageup.calledoff import CalledOff, to_tell

    for c in to_tell(cycle.store.digests(), history, cycle.now, cycle.config):
        def build(c: CalledOff = c) -> Mail:
            from manageup.deliver import build_notice

            return Mail(build_notice(cycle.config, cycle.now, c.key, c.digest.start,
                                     c.subject(cycle.config), c.text(cycle.config)))

        letter = Letter(c.key, c.deadline, cycle.now,
                        f"the cancelled notice for {c.digest.title}", LedgerKind.NOTICE)
        if cycle.outbox.post(letter, build):
            cycle.report.sent.append(c.key)
