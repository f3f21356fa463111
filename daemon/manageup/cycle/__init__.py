"""One cycle of the pipeline: sources → occurrences → 1:1s → due? → digest → outbox → ledger.

    context.py    Cycle: what one cycle works with (config, store, transport, clock,
                  sources), and its report
    run.py        the cycle itself, under the store's lock; the real or dry store for it
    gather.py     reading every calendar over the cycle's window
    outbox.py     sending through the ledger: each mail once, retried while it may help
    digests.py    the prep digest of each 1:1 that is due
    reminders.py  the review reminder after a 1:1
    backup.py     the store's health and daily backup, and the damaged-store notice
    signin.py     the notice that a sign-in died
    queries.py    what the commands ask of the calendars (meetings, preview, doctor)
    watch.py      the log's "no 1:1 found", said once a day and not every poll

A dry run is this same cycle over a scratch copy of the store, sending to stdout.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from manageup.cycle.digests import make_digest
from manageup.cycle.gather import Gathered, gather, make_sources, upcoming

if TYPE_CHECKING:
    from manageup.cycle.context import Cycle, CycleReport
    from manageup.cycle.run import cycle_with_store, run_cycle

__all__ = ["Cycle", "CycleReport", "Gathered", "cycle_with_store", "gather", "make_digest",
           "make_sources", "run_cycle", "upcoming"]

# Loaded when first asked for: `meetings` and `preview` import this package (for queries.py)
# and never need the cycle that sends (its outbox, its run). gather and make_digest are
# bound above: `gather` is also a submodule's name, which its import would set here.
_LATER = {"Cycle": "context", "CycleReport": "context", "cycle_with_store": "run",
          "run_cycle": "run"}


def __getattr__(name: str) -> object:
    if name not in _LATER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"manageup.cycle.{_LATER[name]}"), name)
