"""A clock far ahead of the last cycle's is not trusted until a second cycle confirms it;
a clock put back behind what the store recorded undoes what was recorded ahead of it.

A wrong `--now` or a machine clock that jumped years ahead would send the digests of
meetings that far away, record them sent (so nothing goes out when their day really
comes) and write their 1:1s into the history. Nothing tells a wrong clock from a machine
that was off for a long time but the next cycle: so a cycle more than JUMP after the last
one does nothing at all but record its own time, which the next cycle then compares with:
ten minutes on, it goes on as usual; back at the real time, it runs as usual too (a clock
put back is never held). A dry run keeps nothing, so it is never held.

A wrong clock that stays (two cycles or more) is taken as right: the digests of meetings
that far away go out and are recorded sent, so none would go out when their day really
comes. When the clock is put back, those records lie more than JUMP ahead of it: they
are forgotten (`rewound`), and each digest is owed again in its time. Should the clock
put back be the wrong one instead, the worst is one digest sent twice, never silence."""

from __future__ import annotations

from datetime import datetime, timedelta

from manageup.store import Store
from manageup.words import plural

# Past any holiday the machine is off for (a held cycle costs one poll interval, and a
# warning that would alarm for nothing), and far short of the years a wrong --now or a
# reset hardware clock is off by.
JUMP = timedelta(days=30)


def held(store: Store, now: datetime) -> str:
    """Why this cycle must not act on its clock, or "" when it may."""
    last = None if store.scratch else store.last_cycle()
    if last is None or now - last[0] <= JUMP:
        return ""
    then = last[0].astimezone(now.tzinfo)
    return (f"the clock says {now:%Y-%m-%d %H:%M}, {(now - then).days} days after the last "
            f"cycle ({then:%Y-%m-%d %H:%M}); this cycle sends nothing and records nothing. "
            "If the clock is right, the next cycle goes on as usual; if not, set it right")


def rewound(store: Store, now: datetime) -> str:
    """What a clock put back behind the store's records undid (see the module's doc), or
    "" when nothing was recorded ahead of it."""
    count, latest = store.forget_ahead(now, JUMP)
    if latest is None:
        return ""
    then = latest.astimezone(now.tzinfo)
    return (f"the clock says {now:%Y-%m-%d %H:%M}, {(then - now).days} days before mails "
            f"recorded at {then:%Y-%m-%d %H:%M}: the clock was ahead then, so "
            f"{plural(count, 'mail')} sent or tried under it will go out again in their "
            "time. If the clock is wrong now, set it right")
