"""A clock far ahead of the last cycle's is not trusted until a second cycle confirms it.

A wrong `--now` or a machine clock that jumped years ahead would send the digests of
meetings that far away, record them sent (so nothing goes out when their day really
comes) and write their 1:1s into the history. Nothing tells a wrong clock from a machine
that was off for a long time but the next cycle: so a cycle more than JUMP after the last
one does nothing at all but record its own time, which the next cycle then compares with:
ten minutes on, it goes on as usual; back at the real time, it runs as usual too (a clock
put back is never held). A dry run keeps nothing, so it is never held."""

from __future__ import annotations

from datetime import datetime, timedelta

from manageup.store import Store

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
