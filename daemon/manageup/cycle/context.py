"""What one cycle works with, in one object: the functions of a cycle take it instead of
a handful of parameters each, and a dry run is told apart only by what is put in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from manageup.config import Config
from manageup.cycle.gather import Gathered
from manageup.cycle.outbox import Outbox
from manageup.sources import Source
from manageup.store import Store

if TYPE_CHECKING:
    from manageup.deliver import Transport


@dataclass
class CycleReport:
    """What one cycle did."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    waiting: list[tuple[str, datetime]] = field(default_factory=list)  # (title, due at)
    gathered: Gathered = field(default_factory=Gathered)
    skipped: bool = False  # another cycle held the store's lock
    held: str = ""  # why this cycle did nothing: its clock far ahead of the last one's
    stuck: list[tuple[str, str]] = field(default_factory=list)  # (key, what to tell): due
    # digests left unsent after a failure (Outbox.held)


@dataclass
class Cycle:
    """One cycle at `now`. The real one works on the store and sends with the configured
    transport; a dry run on a scratch copy of the store (Store.scratch_copy), with the
    stdout transport and no archive, and is otherwise the very same code."""

    config: Config
    store: Store
    transport: Transport
    now: datetime
    sources: Sequence[Source] = ()
    archive: Path | None = None  # where sent digests are also kept as Markdown
    report: CycleReport = field(default_factory=CycleReport)
    outbox: Outbox = field(init=False)

    def __post_init__(self) -> None:
        self.outbox = Outbox(self.store, self.transport, self.now)
