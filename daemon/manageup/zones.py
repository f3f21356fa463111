"""Time zones as people and calendars name them: "Berlin", "europe/berlin", and the
Windows names Outlook and Exchange write ("W. Europe Standard Time"), to the IANA name
the config holds."""

from __future__ import annotations

import re
import zoneinfo
from collections import Counter
from functools import cache

_TZID = re.compile(rb"^(?:DTSTART|DTEND)[^:\r\n]*?;TZID=(\"[^\"]*\"|[^;:\r\n]*)",
                   re.IGNORECASE | re.MULTILINE)


@cache
def _iana() -> tuple[str, ...]:
    return tuple(sorted(n for n in zoneinfo.available_timezones()
                        if "/" in n and not n.startswith(("Etc/", "SystemV/", "posix/",
                                                          "right/"))))


def _windows() -> dict[str, str]:
    # icalendar keeps the Unicode CLDR table of Windows zone names (windowsZones.xml).
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    return dict(WINDOWS_TO_OLSON)


def to_iana(name: str) -> str:
    """The IANA name for an IANA name in any case, a Windows name, or a city that names
    exactly one zone; "" when none or more than one fits."""
    text = name.strip().strip('"')
    if not text:
        return ""
    if text.upper() == "UTC":
        return "UTC"
    lowered = text.casefold()
    for n in _iana():
        if n.casefold() == lowered:
            return n
    windows = {k.casefold(): v for k, v in _windows().items()}
    if lowered in windows:
        return windows[lowered]
    city = lowered.replace(" ", "_")
    fits = [n for n in _iana() if n.rsplit("/", 1)[-1].casefold() == city]
    return fits[0] if len(fits) == 1 else ""


def candidates(name: str, limit: int = 5) -> list[str]:
    """Zones whose name contains what was typed, to offer when it fits none or several."""
    typed = name.strip().casefold().replace(" ", "_")
    return [n for n in _iana() if typed and typed in n.casefold()][:limit]


def most_used(data: bytes) -> str:
    """The IANA zone the calendar's events are written in most, or ""."""
    seen: Counter[str] = Counter()
    for m in _TZID.finditer(data):
        zone = to_iana(m.group(1).decode("utf-8", "replace"))
        if zone and zone != "UTC":
            seen[zone] += 1
    return seen.most_common(1)[0][0] if seen else ""
