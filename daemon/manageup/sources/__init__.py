"""Calendar sources behind one small interface, picked by `type` from a lazy registry.

A source turns a calendar into Occurrences within a window. It does not judge them:
cancelled and declined instances come back too (detect drops them, history counts them).

What a source can do beyond `fetch` it declares by also implementing one of the typed
capability protocols below (and naming it among its bases, so mypy checks the signatures):
`KeepsSyncState` (resumes from a sync token kept in the store), `SeesBossWeek` (the
boss's free/busy) and `ReportsHealth` (its own lines in `manageup doctor`). Callers ask
with isinstance, never with hasattr or a class name.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, runtime_checkable
from zoneinfo import ZoneInfo

from manageup.errors import SourceError

if TYPE_CHECKING:
    from manageup.config import Calendar, Config
    from manageup.model import BossWeek, Occurrence


@dataclass
class FetchResult:
    """What one read of a calendar gave: occurrences and warnings."""

    occurrences: list[Occurrence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unchanged: bool = False  # the feed is as it was at the last fetch


class Source(Protocol):
    label: str

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult: ...


class StateStore(Protocol):
    """The part of the store a syncing source reads and writes (the Store satisfies it).
    Sync state is the provider's own JSON (a token and the events it saw), hence Any."""

    def sync_state(self, calendar: str) -> dict[str, Any] | None: ...

    def save_sync_state(self, calendar: str, state: dict[str, Any] | None) -> None: ...

    def flag(self, name: str) -> tuple[str, datetime] | None: ...

    def set_flag(self, name: str, value: str | None, now: datetime) -> None: ...

    def rename_uids(self, renames: dict[str, str]) -> int: ...


@runtime_checkable
class KeepsSyncState(Protocol):
    """A source that resumes from a sync token kept in the store, so a restart (or the
    next timer run) costs one request when nothing changed.

    The caller passes the store, the clock and `readonly` on every call: a dry run, a
    preview or `doctor` reads the saved state but must not write it (nor any flag)."""

    def fetch_synced(self, start: datetime, end: datetime, zone: ZoneInfo, *,
                     store: StateStore, now: datetime, readonly: bool) -> FetchResult: ...


def state_covers(state: dict[str, Any] | None, start: datetime,
                 end: datetime) -> TypeGuard[dict[str, Any]]:
    """Whether a saved sync state can be resumed for this window: it has a token and was
    listed from at most `start` until at least `end`; otherwise the window is read again."""
    return bool(state and state["token"]
                and datetime.fromisoformat(state["synced_from"]) <= start
                and datetime.fromisoformat(state["synced_until"]) >= end)


def fetch_read_only(source: KeepsSyncState, store_path: Path, start: datetime, end: datetime,
                    zone: ZoneInfo) -> FetchResult:
    """`fetch` for a source that keeps sync state (preview, doctor): the saved state is
    used but never written."""
    from manageup.store import Store

    store = Store.open(store_path, readonly=True)
    try:
        return source.fetch_synced(start, end, zone, store=store, now=start, readonly=True)
    finally:
        store.close()


@runtime_checkable
class SeesBossWeek(Protocol):
    """A source that can read the boss's free/busy (when the boss shares it)."""

    def boss_week(self, now: datetime, zone: ZoneInfo) -> BossWeek | None: ...


Check = tuple[bool, str]  # a line of `manageup doctor`: passed, and what it says


@runtime_checkable
class ReportsHealth(Protocol):
    """A source that can tell `manageup doctor` more than whether it reads: its sign-in,
    its server, its login, each with what to do when it fails. Writes nothing."""

    def health(self, env: Mapping[str, str]) -> list[Check]: ...


def unlabelled(message: str, label: str) -> str:
    """Sources start their errors with the calendar's name; a doctor line names it once."""
    return message.removeprefix(f"{label}: ")


# Modules import lazily so `manageup --help` never pays for the Google client libraries.
_REGISTRY = {
    "ics": "manageup.sources.ics:IcsSource",
    "google": "manageup.sources.google:GoogleSource",
    "caldav": "manageup.sources.caldav:CaldavSource",
    "microsoft": "manageup.sources.microsoft:MicrosoftSource",
}


def make_source(cal: Calendar, config: Config) -> Source:
    module_name, cls_name = _REGISTRY[cal.type].split(":")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name)
    except ModuleNotFoundError:
        raise SourceError(f"{cal.label}: calendars of type {cal.type!r} are not supported "
                          "in this version; export the calendar as .ics instead") from None
    source: Source = cls(cal, config)
    return source


def fetch_into(source: Source, start: datetime, end: datetime, zone: ZoneInfo, *,
               store: StateStore | None, now: datetime, readonly: bool) -> FetchResult:
    """One fetch, with the store for a source that keeps sync state."""
    if store is not None and isinstance(source, KeepsSyncState):
        return source.fetch_synced(start, end, zone, store=store, now=now, readonly=readonly)
    return source.fetch(start, end, zone)

