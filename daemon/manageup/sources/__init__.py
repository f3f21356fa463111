"""Calendar sources behind one small interface, picked by `type` from a lazy registry.

A source turns a calendar into Occurrences within a window. It does not judge them:
cancelled and declined instances come back too (detect drops them, history counts them).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from manageup.errors import SourceError

if TYPE_CHECKING:
    from manageup.config import Calendar, Config
    from manageup.model import Occurrence


@dataclass
class FetchResult:
    occurrences: list[Occurrence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unchanged: bool = False  # the feed is as it was at the last fetch


class Source(Protocol):
    label: str

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult: ...


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
