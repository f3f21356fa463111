"""People's names as calendars give them, made fit to show: Outlook and Exchange send the
directory's "Last, First" as the CN ("Whitfield, Dana"), Google often the address itself.
The digest says "Dana Whitfield's goals", never "Whitfield, Dana's goals", and never the
raw address where a name is known."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from manageup.model import Occurrence, address

_TRAILING_NOTE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")  # "(Sales)", "[EXT]"


def display_name(cn: str) -> str:
    """'Whitfield, Dana' -> 'Dana Whitfield'; an address or nothing -> ''."""
    text = " ".join(cn.replace('"', " ").split())
    text = _TRAILING_NOTE.sub("", text).strip(" ,")
    if not text or "@" in text:
        return ""
    last, comma, first = text.partition(",")
    if comma and last.strip() and first.strip() and "," not in first:
        return f"{first.strip()} {last.strip()}"
    return text


def name_in_calendar(occurrences: Iterable[Occurrence], addresses: Iterable[str]) -> str:
    """The name the calendar gives most often to any of these addresses, or ''."""
    wanted = {address(a) for a in addresses}
    seen: Counter[str] = Counter()
    for occ in occurrences:
        for p in (*occ.attendees, *([occ.organizer] if occ.organizer else [])):
            if address(p.email) in wanted and display_name(p.name):
                seen[display_name(p.name)] += 1
    return seen.most_common(1)[0][0] if seen else ""
